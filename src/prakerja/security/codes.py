"""Email tokens and SMS codes derived from a secret, so nothing secret is stored in events.

A code is an HMAC of the applicant, the attempt and the address it goes to: a worker
that re-sends after a crash sends the same code, never a second valid one, and a code
for an old address or an earlier request stops being valid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID

from prakerja.security.comparison import ascii_digits, same_secret


class Codes:
    def __init__(self, email_secret: bytes, otp_secret: bytes) -> None:
        self._email_secret = email_secret
        self._otp_secret = otp_secret

    def email_token(self, applicant_id: UUID, email: str, attempt: int) -> str:
        mac = hmac.new(
            self._email_secret, f"{applicant_id}:{email.lower()}:{attempt}".encode(), hashlib.sha256
        ).digest()
        return f"{attempt}.{base64.urlsafe_b64encode(mac[:18]).decode()}"

    def check_email_token(
        self, applicant_id: UUID, email: str, token: str, attempts_requested: int
    ) -> int | None:
        """The attempt the token was sent with, or None when it is not one we sent."""
        head, _, _ = token.partition(".")
        if not ascii_digits(head) or len(head) > 6 or not 1 <= int(head) <= attempts_requested:
            return None
        attempt = int(head)
        expected = self.email_token(applicant_id, email, attempt)
        return attempt if same_secret(expected, token) else None

    def otp(self, applicant_id: UUID, phone: str, sequence: int) -> str:
        mac = hmac.new(
            self._otp_secret, f"{applicant_id}:{phone}:{sequence}".encode(), hashlib.sha256
        ).digest()
        return f"{int.from_bytes(mac[:8], 'big') % 1_000_000:06d}"

    def check_otp(self, applicant_id: UUID, phone: str, sequence: int, code: str) -> bool:
        return same_secret(self.otp(applicant_id, phone, sequence), code.strip())
