"""What route handlers receive: the principal, and parts of the built service."""

from __future__ import annotations

from typing import Any

from litestar import Request

from prakerja.api.auth import Principal
from prakerja.domain.errors import DomainError


def principal_of(request: Request[Any, Any, Any]) -> Principal:
    user = request.user
    if not isinstance(user, Principal):
        raise DomainError("No principal on an authenticated route.", code="unauthorized")
    return user
