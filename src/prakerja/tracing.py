"""Optional OpenTelemetry tracing: off unless ``PRAKERJA_TRACING__OTLP_ENDPOINT`` is set.

One trace follows a request through the API (Litestar's OpenTelemetry plugin, on the
official ASGI instrumentation), its SQL (psycopg's instrumentation), the work it causes
and the worker that does it, with that worker's calls to other services (httpx's
instrumentation). Work is not sent from the request but derived from the log later, so
the request's trace context is kept per applicant (:class:`TraceParents`) and the
enqueuer sends each message under it; :class:`MessageTracing` carries it in the message's
options to the worker, the way the official instrumentation of Remoulade (Dramatiq's
fork) does. Span names and attributes hold templates and step names, never personal data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

import dramatiq
from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from prakerja.settings import Settings

_OPTIONS_KEY = "trace_context"
_ID = re.compile(r"/[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}|/\d+")
_state: dict[str, Any] = {}


def configure_tracing(settings: Settings, role: str, exporter: Any = None) -> Any:
    """Set the process's tracer provider up and instrument httpx and psycopg, or do nothing.

    ``exporter`` (tests: an in-memory one) replaces the OTLP exporter and turns tracing on.
    """
    endpoint = settings.tracing.otlp_endpoint
    if endpoint is None and exporter is None:
        return None
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    resource = Resource.create({"service.name": settings.tracing.service_name, "role": role})
    sampler = ParentBased(TraceIdRatioBased(settings.tracing.sample_ratio))
    provider = TracerProvider(resource=resource, sampler=sampler)
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        trace.set_tracer_provider(provider)
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    PsycopgInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)
    _state["provider"] = provider
    return provider


def tracer_provider() -> Any:
    """The provider :func:`configure_tracing` set up in this process, or None."""
    return _state.get("provider")


def _tracer() -> trace.Tracer:
    return trace.get_tracer("prakerja", tracer_provider=tracer_provider())


def http_plugin() -> Any:
    """Litestar's OpenTelemetry plugin, when tracing is on."""
    provider = tracer_provider()
    if provider is None:
        return None
    from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin

    config = OpenTelemetryConfig(
        tracer_provider=provider,
        scope_span_details_extractor=_span_details,
        exclude=["^/metrics$", "^/health$"],
    )
    return OpenTelemetryPlugin(config)


def _span_details(scope: Any) -> tuple[str, dict[str, str]]:
    """``GET /v1/applicants/{id}/status``: ids out of span names, which are grouped by."""
    path = _ID.sub("/{id}", str(scope.get("path", "")))
    name = f"{scope.get('method', '')} {path}".strip()
    return name, {"http.route": path}


class TraceParents:
    """The trace of the last request that changed each case, for the work it causes."""

    def __init__(self, pool: Any = None) -> None:
        self._pool = pool
        self._memory: dict[UUID, str] = {}

    def remember(self, applicant_ids: Iterable[UUID]) -> None:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        parent = carrier.get("traceparent")
        if parent is None:
            return
        rows = [(applicant_id, parent) for applicant_id in set(applicant_ids)]
        if self._pool is None:
            self._memory.update(rows)
            return
        with self._pool.connection() as conn:
            conn.cursor().executemany(
                "INSERT INTO trace_parents (applicant_id, traceparent) VALUES (%s, %s)"
                " ON CONFLICT (applicant_id) DO UPDATE SET traceparent = EXCLUDED.traceparent,"
                " recorded_at = now()",
                rows,
            )

    def context_of(self, applicant_id: UUID) -> context.Context:
        parent = self._memory.get(applicant_id)
        if parent is None and self._pool is not None:
            with self._pool.connection() as conn:
                row = conn.execute(
                    "SELECT traceparent FROM trace_parents WHERE applicant_id = %s",
                    (applicant_id,),
                ).fetchone()
            parent = row[0] if row else None
        return propagate.extract({"traceparent": parent} if parent else {})


def traced_sender(
    send: Callable[[Any, UUID], None], parents: TraceParents
) -> Callable[[Any, UUID], None]:
    """Send each step under the trace of the request that caused it."""

    def send_in_trace(step: Any, applicant_id: UUID) -> None:
        token = context.attach(parents.context_of(applicant_id))
        try:
            send(step, applicant_id)
        finally:
            context.detach(token)

    return send_in_trace


class MessageTracing(dramatiq.Middleware):
    """A producer span where a message is sent, its context in the message, a consumer
    span (the parent of everything the actor does) where it is processed."""

    def __init__(self) -> None:
        self._open: dict[str, tuple[Any, object]] = {}

    def before_enqueue(self, broker: dramatiq.Broker, message: Any, delay: int) -> None:
        with _tracer().start_as_current_span(
            f"send {message.actor_name}", kind=SpanKind.PRODUCER
        ) as span:
            span.set_attribute("messaging.destination.name", message.queue_name)
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            message.options[_OPTIONS_KEY] = carrier

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        parent = propagate.extract(message.options.get(_OPTIONS_KEY) or {})
        span = _tracer().start_span(
            f"process {message.actor_name}", context=parent, kind=SpanKind.CONSUMER
        )
        span.set_attribute("messaging.message.retries", int(message.options.get("retries", 0)))
        token = context.attach(trace.set_span_in_context(span, parent))
        self._open[message.message_id] = (span, token)

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        span, token = self._open.pop(message.message_id, (None, None))
        if span is None:
            return
        if exception is not None:
            span.set_status(Status(StatusCode.ERROR, type(exception).__name__))
        span.end()
        context.detach(token)  # type: ignore[arg-type]

    after_skip_message = after_process_message


def stop_tracing() -> None:
    """Send what is left and undo :func:`configure_tracing` (at exit, and between tests)."""
    provider = _state.pop("provider", None)
    if provider is None:
        return
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    HTTPXClientInstrumentor().uninstrument()
    PsycopgInstrumentor().uninstrument()
    provider.shutdown()
