"""Contact value objects: Indonesian mobile numbers and email addresses."""

from __future__ import annotations

import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from prakerja.domain.errors import InvalidEmail, InvalidPhone

# Indonesian mobile numbers: 08xx / 628xx / +628xx, 9 to 12 digits after the leading 8.
_MOBILE = re.compile(r"8[1-9][0-9]{7,10}")


@dataclass(frozen=True)
class PhoneNumber:
    """An Indonesian mobile number in E.164 form (``+628…``)."""

    e164: str

    @classmethod
    def parse(cls, raw: str) -> PhoneNumber:
        digits = re.sub(r"[\s().\-]", "", raw)
        if digits.startswith("+62"):
            national = digits[3:]
        elif digits.startswith("62"):
            national = digits[2:]
        elif digits.startswith("0"):
            national = digits[1:]
        else:
            national = digits
        if not _MOBILE.fullmatch(national):
            raise InvalidPhone(
                "Enter an Indonesian mobile number such as 0812 3456 7890.", code="invalid_phone"
            )
        return cls("+62" + national)

    @property
    def masked(self) -> str:
        return mask_phone(self.e164)

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"PhoneNumber({self.masked!r})"


@dataclass(frozen=True)
class EmailAddress:
    """A syntactically valid email address, normalised (domain lower-cased, IDNA)."""

    value: str

    @classmethod
    def parse(cls, raw: str) -> EmailAddress:
        try:
            checked = validate_email(raw.strip(), check_deliverability=False)
        except EmailNotValidError as error:
            raise InvalidEmail(str(error), code="invalid_email") from None
        return cls(checked.normalized)

    @property
    def uniqueness_key(self) -> str:
        """Addresses differing only in case are the same mailbox for our purposes."""
        return self.value.lower()

    @property
    def masked(self) -> str:
        return mask_email(self.value)

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"EmailAddress({self.masked!r})"


def mask_phone(e164: str) -> str:
    """``+62812*****890``: enough to recognise one's own number, not to call it."""
    return e164[:6] + "*" * max(len(e164) - 9, 0) + e164[-3:]


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"
