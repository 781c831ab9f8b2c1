"""Rate limits on the endpoints abuse aims at: registration, logins, OTP request and entry.

One table, :data:`ENDPOINT_LIMITS`, says which limits each endpoint counts and by what
key (the client's address, the email or username typed, the applicant's account, the
phone number asked for). A guard placed after :func:`prakerja.api.auth.authorize`
counts them: only callers allowed on a route count against it, so nobody can exhaust
another applicant's limits with their own token. Over a limit, the answer is a 429
problem (``code`` ``rate_limited``) with ``Retry-After``.

Litestar's own ``RateLimitMiddleware`` was the first choice and does not fit: it keys a
limit on the request alone (never on the email or phone in the body), keeps one rate per
middleware, and reads then writes its store under a per-process lock, so several API
processes together let through several times the limit. Counting here is one atomic
upsert per key in PostgreSQL (:mod:`prakerja.security.counters`).

The OTP *guess* lock (per applicant and per phone number, across codes and accounts)
is not here but in :meth:`prakerja.application.applicants.Applicants.verify_otp`,
because only the case knows which phone a code was sent to.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from litestar import Request
from litestar.concurrency import sync_to_thread
from litestar.connection import ASGIConnection
from litestar.exceptions import SerializationException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Response

from prakerja.api.problems import problem
from prakerja.domain.contact import PhoneNumber
from prakerja.domain.errors import InvalidInput
from prakerja.metrics import families as metrics
from prakerja.security.counters import Counters, Limit, LimitExceeded, longest_wait
from prakerja.settings import LimitSettings, Mode


class Key(StrEnum):
    CLIENT = "client address"
    EMAIL = "email"
    USERNAME = "username"
    ACCOUNT = "applicant account"
    PHONE = "phone number"


ENDPOINT_LIMITS: dict[str, tuple[tuple[str, Key], ...]] = {
    "POST /v1/applicants": (
        ("register_per_client", Key.CLIENT),
        ("register_per_email", Key.EMAIL),
    ),
    "POST /v1/auth/token": (
        ("login_per_client", Key.CLIENT),
        ("login_per_account", Key.EMAIL),
    ),
    "POST /v1/staff/token": (
        ("login_per_client", Key.CLIENT),
        ("login_per_account", Key.USERNAME),
    ),
    "POST /v1/applicants/{applicant_id}/phone/otp": (
        ("otp_request_per_client", Key.CLIENT),
        ("otp_request_per_account", Key.ACCOUNT),
        ("otp_request_per_phone", Key.PHONE),
    ),
    # Guesses are also locked per applicant and per phone, in Applicants.verify_otp.
    "POST /v1/applicants/{applicant_id}/phone/verification": (
        ("otp_verify_per_client", Key.CLIENT),
    ),
}
"""``"METHOD /path/{template}"`` -> the limits (names of :class:`LimitSettings` fields)."""

STATE_KEY = "request_limits"
_LOOPBACK = ["127.0.0.0/8", "::1/128"]
_BODY_KEYS = {Key.EMAIL: "email", Key.USERNAME: "username", Key.PHONE: "phone"}


def limits_of(endpoint: str) -> tuple[tuple[str, Key], ...]:
    return ENDPOINT_LIMITS.get(endpoint, ())


class RequestLimits:
    """The guard counting :data:`ENDPOINT_LIMITS`; trusted addresses are not counted."""

    def __init__(
        self,
        counters: Counters,
        settings: LimitSettings,
        mode: Mode,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.counters = counters
        self.settings = settings
        self.clock = clock
        trusted = settings.trusted_clients
        if trusted is None:
            trusted = _LOOPBACK if mode is Mode.DEVELOPMENT else []
        self._trusted = [ipaddress.ip_network(net, strict=False) for net in trusted]

    async def __call__(
        self, connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        if not isinstance(connection, Request):
            return
        rules = limits_of(f"{connection.method} {connection.scope['path_template']}")
        client = connection.client.host if connection.client else "unknown"
        if not rules or self._is_trusted(client):
            return
        body = await _json_body(connection) if any(k in _BODY_KEYS for _, k in rules) else {}
        limits = []
        for name, key in rules:
            value = _key_value(key, client, body, connection.path_params)
            if value is not None:
                count, seconds = getattr(self.settings, name)
                limits.append(Limit(name, value, count, dt.timedelta(seconds=seconds)))
        now = self.clock()
        verdicts = await sync_to_thread(self.counters.hit, limits, now)
        refused = longest_wait([v for v in verdicts if not v.allowed])
        if refused is not None:
            wait = refused.retry_after(now)
            key = dict(rules)[refused.limit.name]
            metrics.rate_limited(refused.limit.name)
            raise LimitExceeded(
                f"Too many attempts for this {key}; try again in {wait} seconds.",
                retry_after=wait,
                limit=refused.limit.name,
            )

    def _is_trusted(self, client: str) -> bool:
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return False
        return any(address in network for network in self._trusted)


async def enforce_limits(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The guard: :class:`RequestLimits` lives in the app's state (guards are copied)."""
    limits: RequestLimits = connection.app.state[STATE_KEY]
    await limits(connection, handler)


def on_limit_exceeded(request: Request[Any, Any, Any], exc: LimitExceeded) -> Response[Any]:
    """429 with ``Retry-After`` (the problem document carries the same seconds)."""
    return problem(429, exc.code, exc.detail, request, retry_after=exc.retry_after, limit=exc.limit)


async def _json_body(connection: Request[Any, Any, Any]) -> dict[str, Any]:
    """The JSON body, if it is one, decoded as the handler will decode it (and kept for
    it); an undecodable one counts by the client alone, and the handler refuses it."""
    try:
        parsed = await connection.json()
    except SerializationException:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _key_value(key: Key, client: str, body: dict[str, Any], path: dict[str, Any]) -> str | None:
    """The value a limit counts by; None when the request lacks it (it fails validation)."""
    if key is Key.CLIENT:
        return client
    if key is Key.ACCOUNT:
        return str(path["applicant_id"])
    raw = body.get(_BODY_KEYS[key])
    if not isinstance(raw, str) or not raw.strip():
        return None
    if key is Key.PHONE:
        try:
            return PhoneNumber.parse(raw).e164
        except InvalidInput:
            return None
    return raw.strip().lower()
