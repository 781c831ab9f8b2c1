"""Liveness and readiness probes."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency

from prakerja.api.auth import public
from prakerja.api.readiness import Readiness
from prakerja.api.schemas import Health


class HealthRoutes(Controller):
    tags = ["operations"]

    @get("/health", opt=public(), summary="The process is alive")
    async def health(self) -> Health:
        return Health(status="ok")

    @get(
        "/ready",
        opt=public(),
        sync_to_thread=True,
        summary="The database is usable; followers, horizon, broker and breakers",
        description=(
            "503 when the database cannot be reached or its schema is behind the code;"
            " `degraded` (200) when the service works but a follower is stopped or stalled,"
            " a transaction holds the log's horizon, the broker is unreachable or a"
            " breaker is open. Answers from the service's own pool in a few milliseconds."
        ),
    )
    def ready(self, readiness: NamedDependency[Readiness]) -> Response[Health]:
        reading = readiness.read()
        return Response(
            Health(status=reading.status, checks=reading.checks), status_code=reading.http_status
        )
