"""The two ways a call to an external service can fail.

A technical failure is never a rejection of the applicant: callers retry a
:class:`TransientServiceFault` later and flag the case if it persists.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of the failures of an external service call."""

    def __init__(self, service: str, operation: str, detail: str) -> None:
        super().__init__(f"{service}.{operation}: {detail}")
        self.service = service
        self.operation = operation
        self.detail = detail


class TransientServiceFault(ServiceError):
    """Raised when the service could not answer now (timeout, 502/503/504, 429): retry later."""

    def __init__(
        self,
        service: str,
        operation: str,
        detail: str,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(service, operation, detail)
        self.status = status
        self.retry_after_s = retry_after_s


class CircuitOpen(TransientServiceFault):
    """Raised without calling when recent calls failed: the service is presumed down."""


class ServiceContractError(ServiceError):
    """Raised on a 4xx (or another unexpected answer): a bug on one side, retrying won't help."""

    def __init__(
        self,
        service: str,
        operation: str,
        detail: str,
        *,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(service, operation, detail)
        self.status = status
        self.code = code
