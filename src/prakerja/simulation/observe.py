"""What a simulation run measures beside the funnel: CPU per part of the service, the
size of the event log, and the funnel read model's own count (a cross-check)."""

from __future__ import annotations

import time
from typing import Any

import psycopg

from prakerja.simulation.cpu import backend_pids, backends_seconds, seconds_by_part
from prakerja.simulation.journeys import Outcome
from prakerja.simulation.stack import Stack


class CpuMeter:
    """CPU time of each process of the stack, of PostgreSQL's backends for the run's
    database, and of this driver, from now on."""

    def __init__(self, stack: Stack) -> None:
        self.parts = {name: process.pid for name, process in stack.running.items()}
        self.address = stack.database.address
        self.backends = self._backends()
        self.start = self._now()

    def _backends(self) -> set[int]:
        try:
            return set(backend_pids(self.address.conninfo, self.address.dbname))
        except psycopg.Error:
            return set()

    def _now(self) -> dict[str, float]:
        now = seconds_by_part(self.parts)
        now["postgres (backends of this database)"] = backends_seconds(self.backends)
        now["driver (this process)"] = time.process_time()
        return now

    def per_applicant(self, applicants: int) -> dict[str, float]:
        end = self._now()
        # Connections opened during the run: all their time was the run's.
        end["postgres (backends of this database)"] += backends_seconds(
            self._backends() - self.backends
        )
        used = {name: end[name] - self.start.get(name, 0.0) for name in end}
        used["total"] = sum(used.values())
        return {name: round(1000 * seconds / applicants, 1) for name, seconds in used.items()}


def log_size(stack: Stack, applicants: int) -> dict[str, float]:
    """Events and write transactions (rows sharing an xmin) per applicant."""
    with psycopg.connect(stack.database.address.conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT xmin::text) FROM prakerja_events"
        ).fetchone()
    events, transactions = (int(row[0]), int(row[1])) if row else (0, 0)
    return {
        "events": events,
        "transactions": transactions,
        "events_per_applicant": round(events / applicants, 2),
        "transactions_per_applicant": round(transactions / applicants, 2),
    }


def server_funnel_of(stack: Stack, outcomes: list[Outcome]) -> dict[str, Any]:
    """The funnel read model's totals once it has caught up (a cross-check), if it exists."""
    try:
        from prakerja.projections.queries.funnel import FunnelFilter, funnel_totals
    except ImportError as error:
        return {"available": False, "reason": f"no funnel read model: {error}"}
    registered = sum(1 for o in outcomes if o.applicant_id is not None)
    deadline = time.monotonic() + 300
    totals: dict[str, int] = {}
    previous: dict[str, int] | None = None
    try:
        with psycopg.connect(stack.database.address.conninfo, autocommit=True) as conn:
            # Caught up: every registration counted, and nothing changed for a few seconds.
            while time.monotonic() < deadline:
                totals = funnel_totals(conn, FunnelFilter())
                if totals.get("registered", 0) >= registered and totals == previous:
                    break
                previous = totals
                time.sleep(3)
    except psycopg.Error as error:
        return {"available": False, "reason": f"{type(error).__name__}: {error}"[:300]}
    return {"available": True, "milestones": totals}


def postgres_version(stack: Stack) -> str | None:
    try:
        with psycopg.connect(stack.database.server.conninfo) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return None
    return None if row is None else str(row[0])
