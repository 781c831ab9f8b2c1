"""Errors of the simulators as RFC 9457 problem details, each with a stable ``code``."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

logger = logging.getLogger(__name__)


class Problem(ProblemDetailsException):
    """Raised by a simulator to answer with a problem document."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        *,
        detail: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            detail=detail or title,
            status_code=status,
            headers=headers,
            extra={"code": code},
            type_=f"urn:prakerja:simulator:{code}",
            title=title,
        )


def problem_details() -> ProblemDetailsPlugin:
    """Every HTTP error, Litestar's own included (400 on a bad body, 404, 405), as a problem."""
    return ProblemDetailsPlugin(ProblemDetailsConfig(enable_for_all_http_exceptions=True))


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """A bug in a simulator: log it with its traceback, answer a plain 500 problem."""
    # The handler's name, not the path: a path may hold a NIK.
    logger.exception("simulator error in %s", request.route_handler.handler_name)
    return Problem(500, "simulator_bug", "The simulator failed.").to_response(request)
