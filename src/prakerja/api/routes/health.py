"""Liveness and readiness probes."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency

from prakerja.api.auth import public
from prakerja.api.schemas import Health
from prakerja.bootstrap import Container
from prakerja.db.migrations import schema_status
from prakerja.eventstore.horizon import Horizon, horizon
from prakerja.projections.status import failures


class HealthRoutes(Controller):
    tags = ["operations"]

    @get("/health", opt=public(), summary="The process is alive")
    async def health(self) -> Health:
        return Health(status="ok")

    @get(
        "/ready",
        opt=public(),
        sync_to_thread=True,
        summary="The database is reachable and its schema is current",
    )
    def ready(self, container: NamedDependency[Container]) -> Response[Health]:
        if container.database is None:
            return Response(Health(status="ok", checks={"database": "in-memory"}))
        try:
            status = schema_status(container.database)
        except Exception as error:  # noqa: BLE001 - any failure means not ready
            checks = {"database": f"unreachable: {type(error).__name__}"}
            return Response(Health(status="unavailable", checks=checks), status_code=503)
        if not status.is_current:
            checks = {"database": "ok", "schema": "behind: run `prakerja migrate`"}
            return Response(Health(status="unavailable", checks=checks), status_code=503)
        checks = {"database": "ok", "schema": "current"}
        # A follower stopped on an event is reported, not made fatal: commands still work,
        # and taking every replica out of service would not fix it. Details (the error
        # text) are for `prakerja projections status` and the logs, not this public page.
        assert container.pool is not None
        with container.pool.connection() as conn:
            stopped = failures(conn)
            held = horizon(conn)
        for failure in stopped:
            kind = failure.error.split(":", 1)[0]
            checks[f"follower {failure.name}"] = f"stopped at event {failure.failed_event} ({kind})"
        # A transaction left open anywhere on the server holds every follower of the log.
        stuck = held.held_longer_than(container.settings.projections.horizon_warn_s)
        checks["horizon"] = horizon_check(held, stuck=stuck)
        return Response(Health(status="degraded" if stopped or stuck else "ok", checks=checks))


def horizon_check(held: Horizon, *, stuck: bool) -> str:
    """The horizon for the public probe: ages and counts, nothing about the sessions."""
    waiting = f"{held.events_behind_text} committed events wait"
    if held.oldest_age_s is None:
        return f"ok; {waiting}"
    age = f"{held.oldest_age_s:,.1f} s"
    if stuck:
        return f"held for {age} by a transaction ({held.oldest_state}); {waiting}"
    return f"ok (oldest transaction {age}); {waiting}"
