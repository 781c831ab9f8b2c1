"""Who is calling: bearer tokens (Litestar's JWT auth) and one guard reading each route's roles.

Every route declares ``opt={"roles": ...}``; the guard refuses anyone else. An applicant
may only touch routes whose ``applicant_id`` is their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.security.jwt import JWTAuth, Token


class Role(StrEnum):
    APPLICANT = "applicant"
    REVIEWER = "reviewer"
    AUDITOR = "auditor"
    OPS = "ops"
    FINANCE = "finance"


STAFF = frozenset({Role.REVIEWER, Role.AUDITOR, Role.OPS, Role.FINANCE})
PUBLIC = "public"

# The guard's refusals, by name: tests tell them apart from a handler's own 401/403.
NO_ROLES_DECLARED = "This endpoint declares no roles."
TOKEN_REQUIRED = "A bearer token is required."  # noqa: S105 - a message
ROLE_REFUSED = "Your role may not use this endpoint."
OTHER_CASE = "Applicants may only see their own case."


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role

    @property
    def applicant_id(self) -> UUID | None:
        return UUID(self.subject) if self.role is Role.APPLICANT else None


async def _retrieve_principal(token: Token, _: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    try:
        return Principal(subject=token.sub, role=Role(token.extras.get("role", "")))
    except ValueError:
        raise NotAuthorizedException("The token names no known role.") from None


def build_jwt_auth(secret: str, ttl: dt.timedelta) -> JWTAuth[Principal, Token]:
    return JWTAuth[Principal, Token](
        retrieve_user_handler=_retrieve_principal,
        token_secret=secret,
        default_token_expiration=ttl,
        exclude=["^/health$", "^/ready$", "^/schema"],
        exclude_opt_key="exclude_from_auth",
    )


class TokenIssuer:
    """Signs bearer tokens for a subject and role (what the login routes hand out)."""

    def __init__(self, auth: JWTAuth[Principal, Token]) -> None:
        self._auth = auth

    def issue(self, subject: str, role: Role) -> str:
        return self._auth.create_token(identifier=subject, token_extras={"role": role.value})


def authorize(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The single guard: the route's declared roles, and applicants only on their own case."""
    roles = handler.opt.get("roles")
    if roles is None:
        raise PermissionDeniedException(NO_ROLES_DECLARED)
    if roles == PUBLIC:
        return
    principal = connection.user
    if not isinstance(principal, Principal):
        raise NotAuthorizedException(TOKEN_REQUIRED)
    if principal.role not in roles:
        raise PermissionDeniedException(ROLE_REFUSED)
    own_case = connection.path_params.get("applicant_id", principal.applicant_id)
    if principal.role is Role.APPLICANT and own_case != principal.applicant_id:
        raise PermissionDeniedException(OTHER_CASE)


def roles(*allowed: Role) -> dict[str, Any]:
    """Handler ``opt`` declaring who may call it."""
    return {"roles": frozenset(allowed)}


def public() -> dict[str, Any]:
    return {"roles": PUBLIC, "exclude_from_auth": True}
