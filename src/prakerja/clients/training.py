"""The webhook contract with training platforms: how their events are signed and checked.

A platform POSTs each event as JSON with two headers: ``X-Prakerja-Timestamp`` (Unix
seconds when it signed) and ``X-Prakerja-Signature`` (``v1=`` and the hex HMAC-SHA256,
under the secret we share with that platform, of ``"<timestamp>." + raw body``). Several
``v1=`` values, comma-separated, are accepted so a secret can be rotated without a gap.
A signature older or newer than the tolerance is refused (replay window); within it, a
replayed event is harmless because events are applied once per platform event id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from prakerja.domain.errors import InvalidCredentials
from prakerja.security.comparison import ascii_digits, same_secret

TIMESTAMP_HEADER = "X-Prakerja-Timestamp"
SIGNATURE_HEADER = "X-Prakerja-Signature"
DEVELOPMENT_SECRET = "development-only-skillhub-webhook-secret"  # noqa: S105 - marked as such
"""The default shared secret of the simulated platform; production refuses it."""
_TIMESTAMP_DIGITS = 12
"""Unix seconds have 10 digits until 2286; more than 12 is far outside any replay window."""


class WebhookRejected(InvalidCredentials):
    """Raised when a webhook's signature is missing, wrong, or outside the replay window."""

    code = "invalid_signature"


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def signed_headers(secret: bytes, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        "content-type": "application/json",
    }


def verify(
    secret: bytes,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    *,
    now: dt.datetime,
    tolerance: dt.timedelta,
) -> None:
    """Accept the webhook, or raise :class:`WebhookRejected` saying why."""
    if not timestamp_header or not signature_header:
        raise WebhookRejected("The webhook is not signed.", code="unsigned_webhook")
    if not ascii_digits(timestamp_header):
        raise WebhookRejected("The timestamp is not a number.", code="invalid_signature")
    # Compared as numbers, never made a datetime: any count of digits is refused cleanly.
    if (
        len(timestamp_header) > _TIMESTAMP_DIGITS
        or abs(now.timestamp() - int(timestamp_header)) > tolerance.total_seconds()
    ):
        raise WebhookRejected(
            "The webhook was signed outside the replay window.", code="stale_webhook"
        )
    timestamp = int(timestamp_header)
    expected = sign(secret, timestamp, body)
    offered = [part.strip() for part in signature_header.split(",")]
    if not any(same_secret(expected, candidate) for candidate in offered):
        raise WebhookRejected("The signature does not match.", code="invalid_signature")
