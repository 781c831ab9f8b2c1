"""Logging a staff member's read of personal data from inside a request.

The log itself (its entries, stores and append-only table) is
:mod:`prakerja.security.access_log`; this module knows the request: who asks, through
which endpoint, under which request id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

import structlog
from litestar import Request

from prakerja.api.auth import Principal, Role
from prakerja.security.access_log import AccessEntry, AccessLog


def record_read(
    log: AccessLog,
    request: Request[Any, Any, Any],
    applicant_id: UUID,
    fields: Iterable[str],
    clock: Callable[[], dt.datetime] | None = None,
) -> None:
    """Log that the caller is about to be shown ``fields`` of one applicant, in clear.

    Call it after the data is gathered and before it is returned. Nothing is logged for
    applicants (their own case) or when no field is shown in clear.
    """
    principal = request.user
    shown = tuple(sorted(set(fields)))
    if not isinstance(principal, Principal) or principal.role is Role.APPLICANT or not shown:
        return
    now = clock() if clock is not None else dt.datetime.now(dt.UTC)
    template = request.scope.get("path_template", request.url.path)
    log.record(
        AccessEntry(
            at=now,
            staff=principal.subject,
            role=principal.role.value,
            applicant_id=applicant_id,
            fields=shown,
            endpoint=f"{request.method} {template}",
            request_id=structlog.contextvars.get_contextvars().get("request_id"),
        )
    )
