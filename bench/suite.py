"""The whole suite: each scale loads a fresh database, then every measurement runs on it."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from rich.console import Console

from bench import api_load, face, lock, read_models, registration, write_plans, writers
from bench.common import Loaded
from bench.population import empty, load
from bench.report import Measurement, skipped
from prakerja.db.server import DatabaseAddress
from prakerja.simulation.machine import load_average, machine_info

MEASUREMENTS = (
    "read_models",
    "queries",
    "plans",
    "registration",
    "lock",
    "writers",
    "http",
    "face",
)


@dataclass(frozen=True)
class Plan:
    server_url: str
    sizes: tuple[int, ...]
    seconds: float
    threads: int
    rate: float
    face_images: int
    query_samples: int
    only: tuple[str, ...] = MEASUREMENTS
    work_dir: Path = Path("bench/results/work")
    projections_timeout_s: float = 3 * 3600


def run(plan: Plan, command: str, console: Console) -> dict[str, Any]:
    started_at = dt.datetime.now(dt.UTC)
    results: dict[str, Any] = {
        "command": command,
        "started_at": started_at.isoformat(timespec="seconds"),
        "load_average_at_start": load_average(),
        "machine": machine_info(_postgres_version(plan.server_url)),
        "plan": {
            "sizes": list(plan.sizes),
            "seconds_per_loop": plan.seconds,
            "threads": plan.threads,
            "offered_rate_per_s": plan.rate,
            "face_images": plan.face_images,
            "query_samples": plan.query_samples,
            "measurements": list(plan.only),
        },
        "loads": [],
        "measurements": [],
    }
    rows: list[Measurement] = []
    scaled = [name for name in plan.only if name != "face"]
    for size in plan.sizes if scaled else ():
        work = plan.work_dir / f"{size}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        console.print(f"[bold]loading {size:,} applicants[/bold] …")
        loaded = load(plan.server_url, size, work)
        results["loads"].append(
            {
                "applicants": loaded.applicants,
                "events": loaded.events,
                "seconds": round(loaded.load_seconds, 1),
                "database": loaded.database.name,
            }
        )
        console.print(
            f"  {loaded.applicants:,} applicants, {loaded.events:,} events"
            f" in {loaded.load_seconds:,.0f} s"
        )
        try:
            rows += _at_scale(plan, loaded, console)
        finally:
            loaded.database.drop()
    if "face" in plan.only:
        rows += _step(console, "face", lambda: _face(plan))
    results["measurements"] = [row.as_dict() for row in rows]
    results["load_average_at_end"] = load_average()
    results["seconds"] = round((dt.datetime.now(dt.UTC) - started_at).total_seconds())
    return results


def _at_scale(plan: Plan, loaded: Loaded, console: Console) -> list[Measurement]:
    """Read models first, while the log holds only the loaded applicants (the write
    measurements then add their own)."""
    rows: list[Measurement] = []
    if "read_models" in plan.only:
        rows += _step(
            console,
            "read models",
            lambda: read_models.projections(loaded, plan.server_url, plan.projections_timeout_s),
        )
    if "queries" in plan.only:
        rows += _step(console, "queries", lambda: read_models.queries(loaded, plan.query_samples))
    if "plans" in plan.only:
        rows += _step(console, "write plans", lambda: write_plans.measure(loaded))
    if "registration" in plan.only:
        rows += _step(
            console,
            "registration",
            lambda: [registration.measure(loaded, plan.threads, plan.seconds)],
        )
    if "lock" in plan.only:
        rows += _step(console, "event-store lock", lambda: lock.measure(loaded, plan.seconds))
    if "writers" in plan.only:
        rows += _step(console, "writer processes", lambda: writers.measure(loaded, plan.seconds))
    if "http" in plan.only:
        load_plan = api_load.LoadPlan(rate=plan.rate, seconds=plan.seconds)
        rows += _step(console, "http", lambda: api_load.measure(loaded, load_plan))
    return rows


def _face(plan: Plan) -> list[Measurement]:
    """Face throughput does not depend on the log: measured once, on a small database."""
    work = plan.work_dir / "face"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    loaded = empty(plan.server_url, work)
    try:
        return face.measure(loaded, plan.face_images)
    finally:
        loaded.database.drop()


def _step(
    console: Console, name: str, measure: Callable[[], list[Measurement]]
) -> list[Measurement]:
    console.print(f"[bold]{name}[/bold] …")
    began = time.monotonic()
    try:
        rows = measure()
    except Exception as error:  # noqa: BLE001 - one failed measurement must not lose the others
        console.print(f"  [red]failed[/red]: {type(error).__name__}: {error}")
        return [skipped(name, name, None, f"failed: {type(error).__name__}: {error}"[:400])]
    for row in rows:
        shown = "not measured" if row.value is None else f"{row.value:,} {row.unit}"
        base = "" if row.baseline is None else f" (baseline {row.baseline:,})"
        console.print(f"  {row.title}: {shown}{base}")
    console.print(f"  [dim]{time.monotonic() - began:,.0f} s[/dim]")
    return rows


def _postgres_version(server_url: str) -> str | None:
    try:
        address = DatabaseAddress.from_url(server_url)
        with psycopg.connect(address.conninfo, connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except (psycopg.Error, ValueError):
        return None
    return None if row is None else str(row[0])
