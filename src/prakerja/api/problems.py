"""Every error leaves as RFC 9457 problem details with a stable ``code``; this is the one place."""

from __future__ import annotations

from typing import Any

import psycopg
import structlog
from eventsourcing import persistence
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    SerializationException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from prakerja.application.applicants import ConcurrentUpdate
from prakerja.application.review import EvidenceUnavailable
from prakerja.clients.errors import ServiceContractError, TransientServiceFault
from prakerja.domain.errors import (
    AlreadyTaken,
    DomainError,
    InvalidCredentials,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
)
from prakerja.domain.review import SeparationOfDuties
from prakerja.security.counters import LimitExceeded

PROBLEM_JSON = "application/problem+json"
_log = structlog.get_logger("prakerja.api")

_DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (LimitExceeded, 429),
    (SeparationOfDuties, 403),
    (EvidenceUnavailable, 503),
    (InvalidInput, 422),
    (AlreadyTaken, 409),
    (TransitionNotAllowed, 409),
    (ConcurrentUpdate, 409),
    (NotFound, 404),
    (InvalidCredentials, 401),
]

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "service_unavailable",
}


_SERVICE_RETRY_S = 30
_MEMBERS = frozenset({"type", "title", "status", "code", "detail", "instance", "request"})
"""The problem's own members (and ``problem``'s arguments): an error's extras never
replace them (a review's ``status`` is not the HTTP status)."""


class ProblemError(Exception):
    """Raised by the API layer for a problem that is not a domain rule (e.g. a bad upload)."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra


def problem(
    status: int, code: str, detail: str, request: Request[Any, Any, Any], **extra: Any
) -> Response[dict[str, Any]]:
    body = {
        **extra,
        "type": f"https://prakerja.example/problems/{code}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "code": code,
        "detail": detail,
        "instance": request.url.path,
    }
    headers = {"Retry-After": str(extra["retry_after"])} if "retry_after" in extra else None
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_status(kind: type[DomainError]) -> int:
    """The status a domain error of this kind answers with (its nearest mapped base)."""
    return next((s for base, s in _DOMAIN_STATUS if issubclass(kind, base)), 400)


def on_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    status = domain_status(type(exc))
    extra = {
        k: v
        for k, v in exc.extra.items()
        if isinstance(v, (str, int, float, bool)) and k not in _MEMBERS
    }
    return problem(status, exc.code, exc.detail, request, **extra)


def on_problem(request: Request[Any, Any, Any], exc: ProblemError) -> Response[Any]:
    return problem(exc.status, exc.code, exc.detail, request, **exc.extra)


def on_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    detail = str(exc.detail)
    code = "invalid_json" if "JSON" in detail or "decode" in detail.lower() else "invalid_request"
    errors = exc.extra if isinstance(exc.extra, list) else []
    return problem(400, code, detail, request, errors=_clean_errors(errors))


def on_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException):
        code = "unauthorized"
    elif isinstance(exc, PermissionDeniedException):
        code = "forbidden"
    elif isinstance(exc.__cause__, SerializationException):
        code = "invalid_json"
    else:
        code = _HTTP_CODES.get(status, "http_error")
    if status >= HTTP_500_INTERNAL_SERVER_ERROR:
        return on_unexpected(request, exc)
    return problem(status, code, str(exc.detail), request)


def on_service_down(request: Request[Any, Any, Any], exc: TransientServiceFault) -> Response[Any]:
    """An external service that does not answer now: the caller may retry."""
    wait = max(1, round(exc.retry_after_s or _SERVICE_RETRY_S))
    detail = f"The {exc.service} service is not answering; try again later."
    return problem(
        503, "service_unavailable", detail, request, service=exc.service, retry_after=wait
    )


def on_service_contract(
    request: Request[Any, Any, Any], exc: ServiceContractError
) -> Response[Any]:
    """An external service answered what the contract does not allow: logged, and no retry."""
    _log.error("service broke its contract", service=exc.service, operation=exc.operation)
    detail = f"The {exc.service} service gave an answer we cannot use; it was logged."
    return problem(502, "bad_gateway", detail, request, service=exc.service)


_DATABASE_DOWN = (
    persistence.OperationalError,
    persistence.InterfaceError,
    psycopg.OperationalError,
)
"""The database not answering (the event store's errors, or psycopg's and the pool's own
``PoolTimeout``): a technical failure, retried by the caller, never a 500."""
_DATABASE_RETRY_S = 2


def on_database_down(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    _log.warning("database unavailable", path=request.url.path, error_type=type(exc).__name__)
    detail = "The database is not answering; try again shortly."
    return problem(503, "database_unavailable", detail, request, retry_after=_DATABASE_RETRY_S)


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    _log.error(
        "unhandled error", path=request.url.path, error_type=type(exc).__name__, exc_info=exc
    )
    return problem(
        500, "internal_error", "Something went wrong on our side; it was logged.", request
    )


def _clean_errors(errors: list[Any]) -> list[dict[str, Any]]:
    cleaned = []
    for error in errors:
        if isinstance(error, dict):
            # Never echo submitted values back: they may be personal data.
            cleaned.append({k: str(v) for k, v in error.items() if k in ("key", "message")})
    return cleaned


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: on_domain_error,
    ProblemError: on_problem,
    ValidationException: on_validation,
    HTTPException: on_http,
    TransientServiceFault: on_service_down,
    ServiceContractError: on_service_contract,
    **dict.fromkeys(_DATABASE_DOWN, on_database_down),
    Exception: on_unexpected,
}
