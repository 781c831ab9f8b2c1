"""Zero-downtime rebuilds: beside the live version, while writes arrive and readers read."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from prakerja.api.app import create_app
from prakerja.container import Container
from prakerja.eventstore.position import Position
from prakerja.projections import tables
from prakerja.projections.catalogue import READ_MODELS
from prakerja.projections.live import ReadModelFollower, event_table, wait_for
from prakerja.projections.rebuild import Rebuild, Rebuilt
from tests.api.documented import DocumentedClient
from tests.helpers import staff_headers, wait_until
from tests.projections.conftest import Running
from tests.projections.population import Population

pytestmark = pytest.mark.postgres

SNAPSHOTS = {
    "cases": ["cases", "pending_work", "pending_counts"],
    "funnel": ["funnel_counts", "funnel_totals"],
    "rejections": ["rejection_events", "rejection_counts"],
}
EVERY_VIEW = {
    **SNAPSHOTS,
    "decisions": ["decision_evidence"],
    "rosters": ["wave_roster", "wave_totals"],
}


def rebuild(container: Container, kind: str, page_size: int = 20_000) -> Rebuilt:
    assert container.pool is not None
    assert container.database is not None
    model = READ_MODELS[kind]
    source = event_table(container.applicants, container.pool, model)
    return Rebuild(model, container.database.conninfo, container.pool, source, page_size).run()


def snapshot(container: Container, kind: str) -> dict[str, list[tuple[Any, ...]]]:
    assert container.pool is not None
    with container.pool.connection() as conn:
        return {
            view: conn.execute(f"SELECT * FROM reports.{view} AS v ORDER BY v").fetchall()  # noqa: S608
            for view in EVERY_VIEW[kind]
        }


def last_event(container: Container) -> Position:
    """The position of the log's last event (in the order it is read)."""
    assert container.pool is not None
    with container.pool.connection() as conn:
        row = conn.execute(
            "SELECT transaction_id::text::bigint AS t, notification_id FROM prakerja_events"
            " ORDER BY transaction_id DESC, notification_id DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    return Position(*row)


class Readers(threading.Thread):
    """Staff reading reports all along; every answer is kept."""

    def __init__(self, container: Container) -> None:
        super().__init__(daemon=True)
        self.container = container
        self.stop = threading.Event()
        self.statuses: list[int] = []

    def run(self) -> None:
        with DocumentedClient(app=create_app(self.container)) as client:
            headers = staff_headers(client, "bayu")
            while not self.stop.is_set():
                for path in (
                    "/v1/reports/cases?limit=20",
                    "/v1/reports/funnel",
                    "/v1/reports/rejections",
                    "/v1/reports/pending",
                ):
                    self.statuses.append(client.get(path, headers=headers).status_code)


class Writers(threading.Thread):
    """New applicants registering and going through verification all along."""

    def __init__(self, container: Container) -> None:
        super().__init__(daemon=True)
        self.population = Population(container, seed=77, first=1000)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.population.run(1)


def test_rebuild_while_writes_arrive_matches_a_fresh_build_and_readers_never_fail(
    populated: Container, running: Running
) -> None:
    readers, writers = Readers(populated), Writers(populated)
    before = last_event(populated)
    readers.start()
    writers.start()
    # Start rebuilding once writes are arriving and readers are reading ...
    wait_until(lambda: last_event(populated) > before and readers.statuses, "writes and reads")
    started_at = last_event(populated)
    rebuilt = {kind: rebuild(populated, kind, page_size=40) for kind in SNAPSHOTS}
    # ... and stop writing only once more has been written after the last rebuild ended.
    rebuilt_upto = max(done.position for done in rebuilt.values())
    wait_until(lambda: last_event(populated) > rebuilt_upto, "writes after the rebuilds")
    writers.stop.set()
    writers.join(30)
    last = last_event(populated)
    assert populated.pool is not None
    for kind in SNAPSHOTS:
        assert wait_for(populated.pool, kind, last, timeout=30) is not None
    readers.stop.set()
    readers.join(30)

    assert len(writers.population.people) >= 3
    assert all(done.position > started_at for done in rebuilt.values())  # it saw new writes
    assert readers.statuses and set(readers.statuses) == {200}
    for kind, done in rebuilt.items():
        live = snapshot(populated, kind)
        fresh = rebuild(populated, kind)
        assert fresh.version == done.version + 1
        assert snapshot(populated, kind) == live, kind
    with populated.pool.connection() as conn:
        schemas = {
            r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rm_%'")
        }
        positions = {r[0] for r in conn.execute("SELECT name FROM log_positions")}
    assert schemas >= {"rm_cases_v3", "rm_funnel_v3", "rm_rosters_v1"}
    assert not schemas & {"rm_cases_v1", "rm_cases_v2", "rm_funnel_v1"}
    assert {"cases@3", "funnel@3"} <= positions and "cases@1" not in positions


def test_a_second_rebuild_of_the_same_read_model_is_refused(populated: Container) -> None:
    import psycopg

    from prakerja.projections.rebuild import RebuildRunning, _lock_key

    assert populated.database is not None
    with psycopg.connect(populated.database.conninfo, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (_lock_key("funnel"),))
        with pytest.raises(RebuildRunning):
            rebuild(populated, "funnel")
    assert rebuild(populated, "funnel").version == 2


def test_a_rebuild_folded_by_two_processes_equals_one_folded_by_one(
    populated: Container,
) -> None:
    assert populated.pool is not None
    assert populated.database is not None
    for kind in ("cases", "funnel"):
        single = rebuild(populated, kind)
        expected = snapshot(populated, kind)
        model = READ_MODELS[kind]
        parallel = Rebuild(
            model,
            populated.database.conninfo,
            populated.pool,
            event_table(populated.applicants, populated.pool, model),
            page_size=37,
            folding=populated.folding,
            workers=2,
        ).run()
        assert parallel.version == single.version + 1
        assert parallel.events == single.events
        assert snapshot(populated, kind) == expected, kind


def restart(container: Container, kind: str) -> None:
    """Empty the live version of a read model and move its follower back to the start."""
    assert container.pool is not None
    model = READ_MODELS[kind]
    with container.pool.connection() as conn:
        live = conn.execute("SELECT version FROM read_models WHERE name = %s", (kind,)).fetchone()
        assert live is not None
        tables = ", ".join(f"rm_{kind}_v{live[0]}.{t.name}" for t in model.tables)
        conn.execute(f"TRUNCATE {tables}")
        conn.execute(
            "UPDATE log_positions SET transaction_id = '0', notification_id = 0 WHERE name = %s",
            (f"{kind}@{live[0]}",),
        )


def test_a_catch_up_folded_by_two_processes_equals_one_folded_by_one(
    populated: Container,
) -> None:
    assert populated.pool is not None
    end = last_event(populated)
    for kind, model in READ_MODELS.items():
        ReadModelFollower(populated.applicants, populated.pool, model, page_size=50).catch_up()
        expected = snapshot(populated, kind)
        assert any(expected.values()), kind
        restart(populated, kind)
        parallel = ReadModelFollower(
            populated.applicants,
            populated.pool,
            model,
            page_size=23,
            batch_events=25,  # many batches: each share loads what the last one wrote
            folding=populated.folding,
            processes=2,
            parallel_lag=1,
        )
        try:
            parallel.catch_up()
        finally:
            parallel.close()
        assert parallel.parallel_batches >= 2, kind
        assert parallel.position() > end
        assert snapshot(populated, kind) == expected, kind


def test_a_rebuild_loads_in_transactions_of_bounded_size(
    populated: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every COPY of the load commits alone (a transaction as long as the load would hold
    every follower of the log at its horizon), and the result is the same."""
    rebuild(populated, "cases")
    expected = snapshot(populated, "cases")
    monkeypatch.setattr(tables, "ROWS_PER_COPY", 10)
    done = rebuild(populated, "cases")
    assert snapshot(populated, "cases") == expected
    assert populated.pool is not None
    with populated.pool.connection() as conn:
        row = conn.execute(
            f"SELECT count(*), count(DISTINCT xmin::text) FROM rm_cases_v{done.version}.cases"  # noqa: S608
        ).fetchone()
    assert row is not None
    cases, transactions = row
    assert cases > 40 and transactions >= cases // 10
