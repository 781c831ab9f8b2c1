"""`/ready`: answered from the service's own pool, reporting the database, the followers,
the horizon, the broker and this process's breakers."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy
from litestar.testing import TestClient

from prakerja.api.app import create_app
from prakerja.api.readiness import LAG_CAP, BrokerProbe
from prakerja.bootstrap import bootstrap
from prakerja.clients import ClientConfig
from prakerja.clients.errors import ServiceError
from prakerja.clients.transport import ServiceChannel
from prakerja.container import Container
from prakerja.eventstore.horizon import horizon
from prakerja.settings import ProjectionSettings, Settings
from tests.eventstore.probe import new_id, recorder_of, stored, wait_for

pytestmark = pytest.mark.postgres


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def service(pg_settings: Settings) -> Iterator[Container]:
    settings = pg_settings.model_copy(update={"projections": ProjectionSettings(stall_warn_s=0.5)})
    container = bootstrap(settings)
    yield container
    container.close()


@pytest.fixture
def api(service: Container) -> Iterator[TestClient[Any]]:
    with TestClient(app=create_app(service)) as client:
        yield client


def backends(service: Container) -> int:
    assert service.database is not None
    with psycopg.connect(service.database.conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_ready_uses_the_pool_and_opens_no_connection(
    api: TestClient[Any], service: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert api.get("/ready").status_code == 200  # the pool has what it needs now
    before = backends(service)

    def no_engine(*args: object, **kwargs: object) -> None:
        raise AssertionError("/ready built a database engine")

    monkeypatch.setattr(sqlalchemy, "create_engine", no_engine)
    for _ in range(30):
        ready = api.get("/ready")
        assert ready.status_code == 200, ready.text
    assert backends(service) == before
    checks = ready.json()["checks"]
    assert checks["database"] == "ok" and checks["schema"] == "current"
    assert checks["broker"] == "none: workers run inside the service"


def test_a_schema_behind_the_code_is_not_ready(api: TestClient[Any], service: Container) -> None:
    assert service.pool is not None
    with service.pool.connection() as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    ready = api.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["schema"] == "behind: run `prakerja migrate`"


def test_a_follower_behind_shows_its_lag_and_degrades_once_stalled(
    api: TestClient[Any], service: Container
) -> None:
    assert service.pool is not None
    with service.pool.connection() as conn:
        conn.execute("INSERT INTO log_positions (name) VALUES ('dispatcher')")
    assert api.get("/ready").json()["checks"]["follower dispatcher"] == "current"
    recorder_of(service.applicants).insert_events(
        [stored(service.applicants, new_id(), 1) for _ in range(3)]
    )
    with service.pool.connection() as conn:  # they have just moved: behind, not stalled
        # Only readable events count, and the horizon is the server's: wait for it.
        wait_for(lambda: horizon(conn).events_behind == 0, message="the horizon to pass")
        conn.execute("UPDATE log_positions SET updated_at = now()")
    ready = api.get("/ready").json()
    assert ready["checks"]["follower dispatcher"].startswith("3 events behind, last moved ")
    assert ready["status"] == "ok", ready
    time.sleep(0.6)  # past stall_warn_s without moving
    ready = api.get("/ready").json()
    assert ready["status"] == "degraded"

    recorder_of(service.applicants).insert_events(
        [stored(service.applicants, new_id(), 1) for _ in range(LAG_CAP)]
    )
    with service.pool.connection() as conn:
        wait_for(lambda: horizon(conn).events_behind == 0, message="the horizon to pass")
    behind = api.get("/ready").json()["checks"]["follower dispatcher"]
    assert behind.startswith(f"{LAG_CAP:,}+ events behind"), behind


def test_an_unreachable_broker_degrades_and_a_reachable_one_is_ok() -> None:
    down = BrokerProbe(f"amqp://guest:guest@127.0.0.1:{closed_port()}/")
    assert down.state() == "not checked yet"  # a probe never waits on the network
    wait_for(lambda: down.state() != "not checked yet", message="the probe to finish")
    assert down.state() == "unreachable: ConnectionRefusedError"

    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        assert BrokerProbe(f"redis://127.0.0.1:{port}/0").probe_now() == "ok"


def test_ready_reports_the_broker(pg_settings: Settings) -> None:
    settings = pg_settings.model_copy(
        update={"broker_url": f"amqp://guest:guest@127.0.0.1:{closed_port()}/"}
    )
    container = bootstrap(settings)
    try:
        with TestClient(app=create_app(container)) as client:

            def broker() -> str:
                return str(client.get("/ready").json()["checks"]["broker"])

            wait_for(lambda: broker() != "not checked yet", message="the broker probe")
            ready = client.get("/ready")
            assert ready.status_code == 200 and ready.json()["status"] == "degraded"
            assert broker() == "unreachable: ConnectionRefusedError"
    finally:
        container.close()


def test_an_open_breaker_degrades(api: TestClient[Any]) -> None:
    config = ClientConfig(
        base_url=f"http://127.0.0.1:{closed_port()}",
        retry_attempts=0,
        connect_timeout_s=0.2,
        breaker_failure_threshold=1,
        breaker_reset_s=60,
    )
    channel = ServiceChannel("readiness_probe", config)
    try:
        assert api.get("/ready").json()["checks"]["breaker readiness_probe"] == "closed"
        with pytest.raises(ServiceError):
            channel.get_bytes("probe", "/")
        ready = api.get("/ready").json()
        assert ready["checks"]["breaker readiness_probe"] == "open"
        assert ready["status"] == "degraded"
    finally:
        channel.close()
    assert "breaker readiness_probe" not in api.get("/ready").json()["checks"]
