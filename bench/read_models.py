"""Read models: catch-up and rebuild (measured by ``bench/projections.py``, the read-model
benchmark, on this run's log), then query latency on the read models it built.

The read-model benchmark is run as a subprocess on the loaded database (``--database``),
so this suite and it measure one log; its JSON is folded into this run's results. Its
baselines are the library's stock ``ProjectionRunner`` (one event per transaction) and a
raw ``COPY`` read of the same events.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from bench.common import Loaded
from bench.measure import Run, summarise
from bench.report import Measurement, Target, skipped
from prakerja.api.auth import Role, TokenIssuer, build_jwt_auth
from prakerja.settings import ProjectionSettings
from prakerja.simulation.client import Client
from prakerja.simulation.stack import Stack, StackOptions

REPO = Path(__file__).resolve().parent.parent
CATCH_UP_TARGET = 50_000.0
REBUILD_TARGET_EVENTS, REBUILD_TARGET_SECONDS = 10_000_000, 240.0


def projections(loaded: Loaded, server_url: str, timeout_s: float) -> list[Measurement]:
    """Run the read-model benchmark on the loaded log; its results as this suite's rows."""
    script = REPO / "bench" / "projections.py"
    size = loaded.applicants
    if not script.exists():
        return [skipped("read_models.catch_up", "Read-model catch-up", size, f"{script} missing")]
    key_file = REPO / "bench" / "results" / f".{loaded.database.name}.key"
    out = loaded.work_dir / f"projections-{size}.json"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(loaded.keys.cipher_key)
    command = [
        sys.executable,
        str(script),
        "--server",
        server_url,
        "--database",
        loaded.database.name,
        # The loaded size: the script's own default would top the log up to 100,000.
        "--applicants",
        str(size),
        "--out",
        str(out),
    ]
    try:
        finished = subprocess.run(  # noqa: S603 - our own script
            command, cwd=REPO, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return [skipped("read_models.catch_up", "Read-model catch-up", size, "timed out")]
    finally:
        key_file.unlink(missing_ok=True)
    if finished.returncode != 0 or not out.exists():
        tail = (finished.stderr or finished.stdout).strip().splitlines()[-3:]
        reason = f"bench/projections.py failed ({finished.returncode}): {' / '.join(tail)}"
        return [skipped("read_models.catch_up", "Read-model catch-up", size, reason[:400])]
    return _rows(json.loads(out.read_text()), size)


def _rows(found: dict[str, Any], size: int) -> list[Measurement]:
    stock = float(found["stock_runner_cases"]["events_per_s"])
    copy = float(found["raw_copy_read"]["events_per_s"])
    rows = []
    log_events = int(found["log"]["events"])
    workers = ProjectionSettings().rebuild_workers
    for phase, title in (("catch_up", "catch-up"), ("rebuild", "full rebuild")):
        # As deployed: catch-up with its worker processes, rebuild with rebuild_workers.
        deployed = {
            kind: found[phase].get(f"{kind} ({workers} processes)", r)
            for kind, r in found[phase].items()
            if "processes)" not in kind
        }
        per_model = {kind: float(r["events_per_s"]) for kind, r in deployed.items()}
        slowest = min(per_model, key=lambda kind: per_model[kind])
        rate = per_model[slowest]
        through_log = log_events / float(deployed[slowest]["seconds"])
        if phase == "catch_up":
            target = Target("≥ 50,000 events/s", "value_min", CATCH_UP_TARGET)
        else:
            target = Target(
                "10 million events in ≤ 4 min (≥ 41,667 events/s)",
                "value_min",
                REBUILD_TARGET_EVENTS / REBUILD_TARGET_SECONDS,
            )
        rows.append(
            Measurement(
                id=f"read_models.{phase}",
                title=f"Read-model {title}, slowest of {len(per_model)} ({slowest}), as deployed",
                unit="events/s",
                value=round(rate),
                baseline_title="the library's stock ProjectionRunner, same fold (cases)",
                baseline=round(stock),
                size=size,
                target=target,
                details={
                    "events_per_s_by_model": {k: round(v) for k, v in per_model.items()},
                    "raw_copy_read_events_per_s": round(copy),
                    "log": found.get("log"),
                    "source": "bench/projections.py",
                },
                note=(
                    f"events/s count the model's own events; {slowest} went through the whole"
                    f" log of {log_events:,} events at {through_log:,.0f} log events/s;"
                    f" vs a raw COPY read of the log ({copy:,.0f} events/s): {rate / copy:.3f}"
                ),
            )
        )
    return rows


def queries(loaded: Loaded, samples: int) -> list[Measurement]:
    """p99 of the funnel report and of case searches, over HTTP and as bare queries."""
    size = loaded.applicants
    try:
        from prakerja.projections.queries.cases import CaseFilter, search_cases
        from prakerja.projections.queries.funnel import (
            FunnelFilter,
            funnel_breakdown,
            funnel_totals,
        )
    except ImportError as error:
        return [skipped("queries.funnel", "Funnel query", size, f"no read models: {error}")]
    conninfo = loaded.database.address.conninfo
    with psycopg.connect(conninfo, autocommit=True) as conn:
        floor = _timed(lambda: conn.execute("SELECT 1").fetchone(), samples)
        funnel_db = _timed(
            lambda: (
                funnel_totals(conn, FunnelFilter()),
                funnel_breakdown(conn, FunnelFilter(), "province", 50, 0),
            ),
            samples,
        )
        cases_db = _timed(
            lambda: search_cases(conn, CaseFilter(province="32", status="verified"), 50, None),
            samples,
        )
    options = StackOptions(api_processes=1, read_models=False)
    with Stack(
        loaded.database, loaded.work_dir / "queries", options, parts={"api"}, keys=loaded.keys
    ) as stack:
        issuer = TokenIssuer(build_jwt_auth(loaded.keys.token_secret, dt.timedelta(hours=1)))
        headers = {"Authorization": f"Bearer {issuer.issue('bench-ops', Role.OPS)}"}
        funnel_http, cases_http = asyncio.run(_http(stack.api_url, headers, samples))
    return [
        Measurement(
            id="queries.funnel",
            title="Funnel query (totals and per province), p99",
            unit="ms",
            value=funnel_db.p99_ms,
            baseline_title="SELECT 1 on the same connection (the floor of any query)",
            baseline=floor.p99_ms,
            size=size,
            target=Target("p99 ≤ 10 ms", "value_max", 10.0),
            details={"db": funnel_db.as_dict(), "http": funnel_http.as_dict()},
            note=f"over HTTP (GET /v1/reports/funnel?by=province): p99 {funnel_http.p99_ms} ms",
        ),
        Measurement(
            id="queries.cases",
            title="Case search (province and status, first page of 50), p99",
            unit="ms",
            value=cases_db.p99_ms,
            baseline_title="SELECT 1 on the same connection",
            baseline=floor.p99_ms,
            size=size,
            details={"db": cases_db.as_dict(), "http": cases_http.as_dict()},
            note=f"over HTTP (GET /v1/reports/cases): p99 {cases_http.p99_ms} ms",
        ),
    ]


def _timed(query: Callable[[], object], samples: int) -> Run:
    query()
    latencies = []
    began = time.perf_counter()
    for _ in range(samples):
        started = time.perf_counter()
        query()
        latencies.append(time.perf_counter() - started)
    return summarise(latencies, 0, time.perf_counter() - began)


async def _http(api: str, headers: dict[str, str], samples: int) -> tuple[Run, Run]:
    async with Client(max_connections=4) as http:

        async def timed(path: str) -> Run:
            latencies, errors = [], 0
            began = time.perf_counter()
            for _ in range(samples):
                started = time.perf_counter()
                reply = await http.request("GET", f"{api}{path}", headers=headers)
                if reply.status == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1
            return summarise(latencies, errors, time.perf_counter() - began)

        funnel = await timed("/v1/reports/funnel?by=province")
        cases = await timed("/v1/reports/cases?province=32&status=verified")
    return funnel, cases
