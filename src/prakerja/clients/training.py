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
from prakerja.security.comparison import same_secret

TIMESTAMP_HEADER = "X-Prakerja-Timestamp"
SIGNATURE_HEADER = "X-Prakerja-Signature"
DEVELOPMENT_SECRET = "development-only-skillhub-webhook-secret"  # noqa: S105 - marked as such
"""The default shared secret of the simulated platform; production refuses it."""


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
    try:
        timestamp = int(timestamp_header)
    except ValueError:
        raise WebhookRejected("The timestamp is not a number.", code="invalid_signature") from None
    signed_at = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    if abs(now - signed_at) > tolerance:
        raise WebhookRejected(
            "The webhook was signed outside the replay window.", code="stale_webhook"
        )
    expected = sign(secret, timestamp, body)
    offered = [part.strip() for part in signature_header.split(",")]
    if not any(same_secret(expected, candidate) for candidate in offered):
        raise WebhookRejected("The signature does not match.", code="invalid_signature")
