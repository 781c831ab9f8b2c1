"""The table of every endpoint, who may call it and how it is rate-limited, from the app.

``docs/endpoints.md`` is this module's output (``prakerja endpoints --write``) and a test
compares the two, so the documentation cannot drift from the routes the app serves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute

from prakerja.api.auth import PUBLIC, Role
from prakerja.api.limits import limits_of

DOCS_PREFIX = "/schema"
"""Litestar's OpenAPI document and viewer: public, and not ours to guard."""

_TYPED_PARAM = re.compile(r"\{(\w+):[^}]+\}")

_HEADER = """\
# Endpoints

Generated from the application by `prakerja endpoints --write docs/endpoints.md`; a test
fails when this file and the code disagree. Every route declares the roles that may call
it and one guard enforces them; an applicant may only call routes naming their own
`applicant_id`. `public` needs no token. The OpenAPI document (`/schema`) is public too, and
so is `/metrics` (Prometheus' format, not in the OpenAPI document; see docs/operations.md).

Rate limits are settings (`PRAKERJA_LIMITS__<NAME>='[count, seconds]'`); over one, the
answer is `429` with the problem code `rate_limited` and `Retry-After`. Guesses of an OTP
code are also locked per applicant and per phone number across codes and accounts
(`otp_locked`, `PRAKERJA_LIMITS__OTP_LOCK_*`). Staff reads of personal data in clear are
written to the access log (`/v1/audit/access/...`).

| Method | Path | Who may call it | Rate limits | Summary |
|---|---|---|---|---|
"""


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    roles: Any
    summary: str
    template: str = ""
    """The route's path with parameter types (``{applicant_id:uuid}``)."""

    @property
    def is_public(self) -> bool:
        return bool(self.roles == PUBLIC)

    @property
    def own_case_only(self) -> bool:
        return "{applicant_id}" in self.path

    def who(self) -> str:
        if self.is_public:
            return "public"
        if self.roles is None:
            return "**no roles declared**"
        names = []
        for role in Role:
            if role in self.roles:
                own = role is Role.APPLICANT and self.own_case_only
                names.append(f"{role.value} (own case)" if own else role.value)
        return ", ".join(names)

    def limits(self) -> str:
        rules = limits_of(f"{self.method} {self.path}")
        return ", ".join(f"`{name}` ({key})" for name, key in rules) or "none"


def endpoints(app: Litestar) -> list[Endpoint]:
    """Every method of every route the app serves, but Litestar's own (OPTIONS, /schema) and
    those kept out of the OpenAPI document (``/metrics``, for the scraper)."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(DOCS_PREFIX):
            continue
        path = _TYPED_PARAM.sub(r"{\1}", route.path)
        for handler in route.route_handlers:
            if handler.include_in_schema is False:
                continue
            for method in sorted(handler.http_methods):
                if method == "OPTIONS":
                    continue
                roles = handler.opt.get("roles")
                found.append(Endpoint(method, path, roles, handler.summary or "", route.path))
    return sorted(found, key=lambda e: (e.path, e.method))


def render(app: Litestar) -> str:
    rows = [
        f"| {e.method} | `{e.path}` | {e.who()} | {e.limits()} | {e.summary} |"
        for e in endpoints(app)
    ]
    return _HEADER + "\n".join(rows) + "\n"
