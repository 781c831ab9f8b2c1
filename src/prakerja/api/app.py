"""The Litestar application factory."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import structlog
from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.logging.config import LoggingConfig
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from prakerja.api.auth import TokenIssuer, authorize, build_jwt_auth
from prakerja.api.bodies import ApiRequest
from prakerja.api.limits import STATE_KEY, RequestLimits, enforce_limits, on_limit_exceeded
from prakerja.api.metrics import http_metrics, metrics
from prakerja.api.openapi import openapi_config
from prakerja.api.problem_docs import ProblemSchemaPlugin, document_operations
from prakerja.api.problems import EXCEPTION_HANDLERS
from prakerja.api.readiness import Readiness
from prakerja.api.routes import ROUTE_HANDLERS
from prakerja.container import Container
from prakerja.security.counters import LimitExceeded
from prakerja.security.passwords import Passwords
from prakerja.tracing import http_plugin

_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:\-]+")


class RequestContext(ASGIMiddleware):
    """Give every request an id, bound into every log line written while it runs.

    A caller's ``X-Request-Id`` is kept (its first 64 bytes) when it is a plain token;
    anything else (bytes that are not UTF-8, control characters, spaces) would forge log
    lines or the response's header, so the request gets an id of its own instead.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        offered = dict(scope.get("headers", [])).get(b"x-request-id", b"")[:64]
        plain = _REQUEST_ID.fullmatch(offered) is not None
        request_id = offered.decode("ascii") if plain else uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await next_app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")


def create_app(container: Container) -> Litestar:
    settings = container.settings
    jwt_auth = build_jwt_auth(
        container.keys.token_secret, dt.timedelta(minutes=settings.token_ttl_minutes)
    )
    passwords = Passwords(settings.password_hashing)
    tokens = TokenIssuer(jwt_auth)
    readiness = Readiness.of(settings, container.pool)
    dependencies = {
        "container": Provide(lambda: container, sync_to_thread=False),
        "settings": Provide(lambda: settings, sync_to_thread=False),
        "applicants": Provide(lambda: container.applicants, sync_to_thread=False),
        "pool": Provide(lambda: container.pool, sync_to_thread=False),
        "programme": Provide(lambda: container.programme, sync_to_thread=False),
        "payment_provider": Provide(lambda: container.payment_provider, sync_to_thread=False),
        "photos": Provide(lambda: container.photos, sync_to_thread=False),
        "staff": Provide(lambda: settings.staff, sync_to_thread=False),
        "passwords": Provide(lambda: passwords, sync_to_thread=False),
        "tokens": Provide(lambda: tokens, sync_to_thread=False),
        "reviews": Provide(lambda: container.reviews, sync_to_thread=False),
        "review_queue": Provide(lambda: container.review_queue, sync_to_thread=False),
        "access_log": Provide(lambda: container.access_log, sync_to_thread=False),
        "readiness": Provide(lambda: readiness, sync_to_thread=False),
    }
    # Rate limits count after authorisation: only callers allowed on a route count.
    limits = RequestLimits(
        container.counters, settings.limits, settings.mode, lambda: container.applicants.clock()
    )
    app = Litestar(
        # The guard covers every route of ours; the OpenAPI pages are public.
        route_handlers=[
            Router("/", route_handlers=ROUTE_HANDLERS, guards=[authorize, enforce_limits]),
            metrics,  # for the scraper: no token, no rate limit
        ],
        dependencies=dependencies,
        request_class=ApiRequest,
        middleware=[RequestContext(), http_metrics()],
        on_app_init=[jwt_auth.on_app_init],
        state=State({STATE_KEY: limits}),
        exception_handlers={
            **EXCEPTION_HANDLERS,
            LimitExceeded: on_limit_exceeded,
        },
        openapi_config=openapi_config(),
        plugins=[
            ProblemSchemaPlugin(),
            *([plugin] if (plugin := http_plugin()) is not None else []),
        ],
        request_max_body_size=1024 * 1024,
        debug=False,
        # Logging is configured once, by the entry point (structlog, masked); Litestar's
        # default would set the root logger to INFO and give its own logger a handler
        # writing around that pipeline. Its records go to the root logger's handler.
        logging_config=LoggingConfig(
            configure_root_logger=False,
            loggers={"litestar": {"level": "INFO", "handlers": [], "propagate": True}},
        ),
    )
    document_operations(app)
    return app
