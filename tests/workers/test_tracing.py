"""With tracing on, one trace runs from an API call to the worker that did its work."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from prakerja.api.app import create_app
from prakerja.bootstrap import bootstrap
from prakerja.settings import ServiceUrls, Settings
from prakerja.simulators.server import RunningSimulators
from prakerja.tracing import configure_tracing, stop_tracing
from prakerja.workers.pipeline import InProcessPipeline
from tests.helpers import register

pytestmark = pytest.mark.postgres


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    stop_tracing()


def test_one_trace_spans_the_request_and_the_worker_that_handled_its_message(
    pg_settings: Settings, simulators: RunningSimulators, spans: InMemorySpanExporter
) -> None:
    urls = simulators.urls
    settings = pg_settings.model_copy(
        update={"services": ServiceUrls(civil_registry=urls.dukcapil, email=urls.email)}
    )
    configure_tracing(settings, "api", exporter=spans)
    container = bootstrap(settings)
    pipeline = InProcessPipeline(container)
    try:
        with TestClient(app=create_app(container)) as client:
            pipeline.start()
            register(client, "traced@example.com")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not _named(spans, "process send_"):
                time.sleep(0.2)
    finally:
        pipeline.stop()
        container.close()
    finished = spans.get_finished_spans()
    [request] = [s for s in finished if s.name == "POST /v1/applicants" and _server(s)]
    trace_id = request.context.trace_id
    in_trace = [s for s in finished if s.context.trace_id == trace_id]
    kinds = {(s.kind, s.name.split(" ")[0]) for s in in_trace}
    assert (SpanKind.PRODUCER, "send") in kinds
    assert (SpanKind.CONSUMER, "process") in kinds
    consumer = next(s for s in in_trace if s.kind is SpanKind.CONSUMER)
    assert consumer.name == "process send_verification_email"
    clients = [s for s in in_trace if s.kind is SpanKind.CLIENT]
    assert any(s.attributes and "db.system" in str(dict(s.attributes)) for s in clients)
    assert any(s.name.startswith("POST") for s in clients), [s.name for s in clients]
    assert all("traced@example.com" not in str(s.attributes) for s in finished)


def _named(spans: InMemorySpanExporter, prefix: str) -> bool:
    return any(s.name.startswith(prefix) for s in spans.get_finished_spans())


def _server(span: Any) -> bool:
    return bool(span.kind is SpanKind.SERVER)
