"""ASGI entry point for servers that import the app (``uvicorn --factory``)."""

from __future__ import annotations

from litestar import Litestar

from prakerja.api.app import create_app
from prakerja.bootstrap import bootstrap
from prakerja.logs import configure_logging
from prakerja.metrics.multiprocess import process_exited
from prakerja.settings import Settings
from prakerja.tracing import configure_tracing, stop_tracing


def app_from_environment() -> Litestar:
    """Build settings from ``PRAKERJA_*`` variables, then the service, then the app.

    With no broker configured, the verification pipeline (dispatcher, enqueuer and
    workers) runs inside this process, so one command runs everything.
    """
    settings = Settings()
    configure_logging(settings, "api")
    configure_tracing(settings, "api")
    container = bootstrap(settings)
    app = create_app(container)
    if settings.broker_url is None:
        from prakerja.workers.pipeline import InProcessPipeline

        pipeline = InProcessPipeline(container)
        app.on_startup.append(pipeline.start)
        app.on_shutdown.append(pipeline.stop)
    app.on_shutdown.append(container.close)
    app.on_shutdown.append(lambda: process_exited())
    app.on_shutdown.append(stop_tracing)
    return app
