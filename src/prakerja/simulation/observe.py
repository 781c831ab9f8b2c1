"""What a simulation run measures beside the funnel: CPU per part of the service, the
size of the event log, and the funnel read model's own count (a cross-check)."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg

from prakerja.simulation.cpu import backend_pids, backends_seconds, seconds_by_part
from prakerja.simulation.journeys import Outcome
from prakerja.simulation.stack import Stack


class CpuMeter:
    """CPU time of each process of the stack, of PostgreSQL's backends for the run's
    database, and of this driver, from now on.

    Backends come and go during a run (pools replace connections after their maximum
    lifetime), so they are sampled every ``every`` seconds: a backend that closed keeps
    the time it had at its last sample (at most ``every`` seconds of it are missed).
    """

    def __init__(self, stack: Stack, every: float = 5.0) -> None:
        self.parts = {name: process.pid for name, process in stack.running.items()}
        self.address = stack.database.address
        self._every = every
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._lock = threading.Lock()
        self._sample(initial=True)
        self.start = self._now()
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample_until_stopped, daemon=True)
        self._sampler.start()

    def _sample(self, *, initial: bool = False) -> None:
        try:
            pids = backend_pids(self.address.conninfo, self.address.dbname)
        except psycopg.Error:
            return
        with self._lock:
            for pid in pids:
                seconds = backends_seconds([pid])
                # A backend seen after the start did all its work during the run.
                self._first.setdefault(pid, seconds if initial else 0.0)
                self._last[pid] = max(seconds, self._last.get(pid, 0.0))

    def _sample_until_stopped(self) -> None:
        while not self._stop.wait(self._every):
            self._sample()

    def _now(self) -> dict[str, float]:
        now = seconds_by_part(self.parts)
        now["driver (this process)"] = time.process_time()
        return now

    def per_applicant(self, applicants: int) -> dict[str, float]:
        self._stop.set()
        self._sampler.join()
        self._sample()
        end = self._now()
        used = {name: end[name] - self.start.get(name, 0.0) for name in end}
        with self._lock:
            used["postgres (backends of this database)"] = sum(
                self._last[pid] - self._first[pid] for pid in self._last
            )
        used["total"] = sum(used.values())
        return {name: round(1000 * seconds / applicants, 1) for name, seconds in used.items()}


def log_size(stack: Stack, applicants: int) -> dict[str, float]:
    """Events and write transactions (rows sharing a transaction id) per applicant."""
    with psycopg.connect(stack.database.address.conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT transaction_id) FROM prakerja_events"
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
