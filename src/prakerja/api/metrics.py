"""``/metrics`` on the API, and Litestar's Prometheus middleware counting every request.

The middleware labels a request with its route's template (``/v1/applicants/{applicant_id}``),
never the path asked for, so ids do not become label values. ``/metrics`` needs no token,
counts against no rate limit and is not in the OpenAPI document: it is for the scraper,
and carries no personal data (keep it on the internal network all the same).
"""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from litestar.middleware.base import DefineMiddleware
from litestar.plugins.prometheus import PrometheusConfig
from litestar.response import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from prakerja.api.auth import public
from prakerja.container import Container


def http_metrics() -> DefineMiddleware:
    config = PrometheusConfig(
        app_name="prakerja",
        prefix="prakerja_http",
        group_path=True,
        buckets=[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
    )
    return config.middleware


@get(
    "/metrics",
    opt=public(),
    include_in_schema=False,
    sync_to_thread=True,
    summary="Prometheus metrics (not in the OpenAPI document)",
)
def metrics(container: NamedDependency[Container]) -> Response[bytes]:
    """Prometheus' text exposition format."""
    body = generate_latest(container.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
