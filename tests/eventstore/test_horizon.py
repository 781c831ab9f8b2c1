"""A transaction left open holds every follower: the service bounds its own, and shows
what holds the horizon in `/ready` and `prakerja projections status`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import psycopg
import pytest
from litestar.testing import TestClient

from prakerja.api.app import create_app
from prakerja.bootstrap import bootstrap
from prakerja.container import Container
from prakerja.eventstore.horizon import horizon
from prakerja.settings import ProjectionSettings, Settings
from tests.eventstore.probe import new_id, recorder_of, stored, wait_for
from tests.helpers import wait_until

pytestmark = pytest.mark.postgres


@pytest.fixture
def watched(pg_settings: Settings) -> Iterator[Container]:
    """The service, told to call a transaction open for half a second a held horizon,
    and to end its own sessions idle in a transaction after a second."""
    settings = pg_settings.model_copy(
        update={
            "projections": ProjectionSettings(horizon_warn_s=0.5),
            "db_idle_in_transaction_timeout_s": 1,
        }
    )
    container = bootstrap(settings)
    yield container
    container.close()


def test_ready_says_when_an_open_transaction_holds_the_followers(watched: Container) -> None:
    recorder = recorder_of(watched.applicants)
    assert watched.pool is not None
    with TestClient(app=create_app(watched)) as client:
        assert "horizon" in client.get("/ready").json()["checks"]
        assert watched.database is not None
        with psycopg.connect(watched.database.conninfo) as other:  # not one of ours
            other.execute("SELECT pg_current_xact_id()")  # it has written: it holds
            recorder.insert_events([stored(watched.applicants, new_id(), 1) for _ in range(5)])

            # Held for horizon_warn_s (0.5 s) from now: /ready must come to say so.
            def degraded_by_the_horizon() -> httpx.Response | None:
                # The horizon is the whole server's: another database's transaction
                # (another test's, on another worker) may hold it first, for a while.
                answer = client.get("/ready")
                held = answer.json()["checks"].get("horizon", "")
                return answer if "idle in transaction" in held else None

            ready = wait_until(degraded_by_the_horizon, "/ready to report the held horizon")
            assert ready.status_code == 200 and ready.json()["status"] == "degraded"
            held = ready.json()["checks"]["horizon"]
            assert held.startswith("held for ") and "idle in transaction" in held, held
            assert held.endswith("; 5 committed events wait"), held
            with watched.pool.connection() as conn:
                assert horizon(conn).events_behind == 5
        with watched.pool.connection() as conn:
            wait_for(lambda: horizon(conn).events_behind == 0, message="the horizon to pass")


def test_the_services_sessions_end_a_transaction_left_idle(watched: Container) -> None:
    assert watched.pool is not None
    assert watched.database is not None
    with watched.pool.connection() as conn:
        assert conn.execute("SHOW idle_in_transaction_session_timeout").fetchone() == ("1s",)
    with recorder_of(watched.applicants).datastore.get_connection() as conn:
        shown = conn.execute("SHOW idle_in_transaction_session_timeout").fetchone()
        assert shown == {"idle_in_transaction_session_timeout": "1s"}
    left_open = watched.pool.getconn()
    try:
        left_open.execute("SELECT pg_current_xact_id()")
        session = left_open.info.backend_pid
        # Watched from another session: a statement on this one would end its idleness.
        with psycopg.connect(watched.database.conninfo, autocommit=True) as other:
            wait_until(
                lambda: (
                    other.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (session,)
                    ).fetchone()
                    == (0,)
                ),
                "the server to end the idle transaction's session",
            )
        with pytest.raises(psycopg.Error, match="idle-in-transaction"):
            left_open.execute("SELECT 1")
    finally:
        watched.pool.putconn(left_open)
