"""Several writer processes on one database: does the total grow with processes?

Each process builds the service as an API or worker process does (its own
``Applicants`` and connection pool) and registers applicants through the application
layer (``register_prehashed``: the uniqueness lookup, two events, one save) from a few
threads for a while. The total of commits a second is measured with 1, 2 and 4
processes, through the service's recorder and, beside it in the same run, through the
library's own recorder, whose ``LOCK TABLE … IN EXCLUSIVE MODE`` and ``NOTIFY`` make
every writer of the database take turns.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.common import Loaded, settings_for
from bench.measure import closed_loop
from bench.report import Measurement, Target
from prakerja.bootstrap import bootstrap
from prakerja.domain.contact import EmailAddress
from prakerja.security.passwords import Passwords
from prakerja.settings import PasswordHashing

PROCESSES = (1, 2, 4)
THREADS_PER_PROCESS = 4
LOCKED = "eventsourcing.postgres:PostgresApplicationRecorder"


@dataclass(frozen=True)
class Job:
    loaded: Loaded
    recorder_topic: str | None
    threads: int
    seconds: float
    run_id: str
    password_hash: str


def _writer(job: Job, start: Any, results: Any) -> None:
    """One writer process: build the service, wait for the others, register for a while."""
    settings = settings_for(job.loaded, pool=job.threads + 2)
    container = bootstrap(settings, recorder_topic=job.recorder_topic)
    applicants = container.applicants
    try:
        start.wait()

        def register(number: int) -> None:
            email = EmailAddress.parse(f"w-{job.run_id}-{number}-{uuid.uuid4().hex}@example.com")
            applicants.register_prehashed(email, job.password_hash)

        run = closed_loop(register, job.threads, job.seconds)
        results.put((run.operations, run.seconds, run.error_kinds))
    finally:
        container.close()


def _total(job: Job, processes: int) -> tuple[float, Counter[str]]:
    """Registrations/s of ``processes`` writers together, and their errors by kind."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes + 1)
    results = context.Queue()
    workers = [
        context.Process(target=_writer, args=(job, start, results)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    start.wait(timeout=120)
    outcomes = [results.get(timeout=job.seconds + 120) for _ in workers]
    for worker in workers:
        worker.join(30)
    # They start together at the barrier and each runs for the same time.
    elapsed = max(seconds for _, seconds, _ in outcomes)
    operations = sum(count for count, _, _ in outcomes)
    errors: Counter[str] = Counter()
    for _, _, kinds in outcomes:
        errors.update(kinds)
    return operations / elapsed, errors


def measure(loaded: Loaded, seconds: float) -> list[Measurement]:
    password_hash = Passwords(PasswordHashing()).hash("a benchmark password")
    rows = []
    single: float | None = None
    for processes in PROCESSES:
        run_id = uuid.uuid4().hex[:8]
        ours = Job(loaded, None, THREADS_PER_PROCESS, seconds, run_id, password_hash)
        locked = Job(loaded, LOCKED, THREADS_PER_PROCESS, seconds, run_id + "l", password_hash)
        rate, errors = _total(ours, processes)
        locked_rate, locked_errors = _total(locked, processes)
        single = single or rate
        rows.append(
            Measurement(
                id=f"writers.{processes}",
                title=f"Registrations, {processes} writer process(es) of {THREADS_PER_PROCESS}"
                " threads, total",
                unit="registrations/s",
                value=round(rate, 1),
                baseline_title="the same processes through the library's recorder (table lock"
                " and NOTIFY)",
                baseline=round(locked_rate, 1),
                size=loaded.applicants,
                target=Target("grows with processes (≥ 1 process's total)", "value_min", single)
                if processes > 1
                else None,
                note=f"{rate / single:.2f} times one process's total; errors"
                f" {_described(errors)} (library's recorder: {_described(locked_errors)})",
                details={
                    "processes": processes,
                    "threads_per_process": THREADS_PER_PROCESS,
                    "seconds": seconds,
                    "errors": dict(errors),
                    "errors_library_recorder": dict(locked_errors),
                },
            )
        )
    return rows


def _described(errors: Counter[str]) -> str:
    if not errors:
        return "0"
    return ", ".join(f"{count} {kind}" for kind, count in errors.most_common())
