"""The domain's exceptions. Each carries a stable machine-readable ``code``."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every rule the domain refuses to break."""

    code: ClassVar[str] = "domain_error"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.extra = extra


class InvalidInput(DomainError):
    """Raised when a value cannot be what it claims to be (a malformed NIK, phone, email)."""

    code = "invalid_input"


class InvalidNik(InvalidInput):
    """Raised when a NIK is malformed or structurally impossible."""

    code = "invalid_nik"


class InvalidPhone(InvalidInput):
    """Raised when a phone number is not an Indonesian mobile number."""

    code = "invalid_phone"


class IncorrectCode(InvalidInput):
    """Raised when a one-time code is not the one sent (the session itself is fine)."""

    code = "otp_incorrect"


class UnderMinimumAge(InvalidInput):
    """Raised when the declared birth date makes the applicant younger than the minimum age."""

    code = "under_minimum_age"


class InvalidEmail(InvalidInput):
    """Raised when an email address is not deliverable in form."""

    code = "invalid_email"


class TransitionNotAllowed(DomainError):
    """Raised when the applicant's current state does not allow the requested step."""

    code = "transition_not_allowed"


class CaseClosed(TransitionNotAllowed):
    """Raised when the applicant acts on a final case: refused for good, or revoked."""

    code = "case_closed"


class AlreadyTaken(DomainError):
    """Raised when a NIK, email or phone already belongs to another applicant."""

    code = "already_taken"


class NotFound(DomainError):
    """Raised when an applicant (or other aggregate) does not exist."""

    code = "not_found"


class InvalidCredentials(DomainError):
    """Raised when a login or verification secret does not match."""

    code = "invalid_credentials"
