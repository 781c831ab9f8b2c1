"""Comparing a secret we issued with what a client offers, whatever the client sent.

Everything we issue (email tokens, OTP codes, webhook signatures) is ASCII, so an offer
with any other character is simply wrong. Checking that first matters: ``hmac.compare_digest``
raises ``TypeError`` on a ``str`` that is not ASCII, and ``str.isdigit`` accepts digits of
every script (``"١٢".isdigit()``, ``"²".isdigit()``), which ``int`` then parses or refuses.
"""

from __future__ import annotations

import hmac


def same_secret(expected: str, offered: str) -> bool:
    """Constant-time equality of the issued secret and the offered one, as bytes."""
    if not offered.isascii():
        return False
    return hmac.compare_digest(expected.encode("ascii"), offered.encode("ascii"))


def ascii_digits(text: str) -> bool:
    """``text`` is one or more of 0-9, and nothing else (no sign, space or underscore)."""
    return text.isascii() and text.isdigit()
