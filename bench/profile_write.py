"""Where one HTTP write's time goes: the identity submission profiled in the API process.

    .venv/bin/python -m bench.profile_write --database-url postgresql://…/postgres

Loads a small database, starts ``prakerja serve`` (one process, as the benchmarks run
it), sends identity submissions as fast as they are answered for a while, and samples
the API process with py-spy (``pip install py-spy``; not a dependency of the service).
Writes the collapsed stacks and a table of where the samples fall (each group: the
share of the samples of running threads, waits excluded, with such a frame anywhere on
the stack; groups overlap) and the API process's CPU use to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.api_load import Prepared, _identity, _prepare
from bench.common import container_for
from bench.measure import Run, closed_loop_async
from bench.population import load
from prakerja.settings import PasswordHashing
from prakerja.simulation.client import Client
from prakerja.simulation.stack import Stack, StackOptions

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("psycopg (queries, libpq, type adapters)", ("psycopg/", "psycopg_pool/")),
    ("event store: read the case (select_events)", ("select_events",)),
    ("event store: insert (insert_events)", ("insert_events",)),
    ("eventsourcing: build and decode events (mapper, aggregate)", ("eventsourcing/",)),
    ("pydantic validation", ("pydantic",)),
    ("JWT decode and guards", ("jwt/", "auth.py", "limits.py")),
    ("Litestar routing, DI, serialisation", ("litestar/",)),
    ("uvicorn and the event loop (HTTP parsing, asyncio)", ("uvicorn/", "asyncio/")),
    ("thread pool hand-off (anyio)", ("anyio/",)),
    ("metrics and logging", ("prometheus_client", "structlog", "prakerja/metrics")),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_write")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--applicants", type=int, default=5_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--out", type=Path, default=Path("bench/results/profile-write"))
    args = parser.parse_args(argv)
    if shutil.which("py-spy") is None and not (Path(sys.executable).parent / "py-spy").exists():
        print("py-spy is not installed (pip install py-spy)", file=sys.stderr)
        return 1
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    loaded = load(args.database_url, args.applicants, work)
    container = container_for(loaded, pool=8)
    try:
        writes = int(args.seconds * 2_000) + 1_000
        prepared = _prepare(container, loaded, writes)
        options = StackOptions(
            api_processes=1, password_hashing=PasswordHashing(), read_models=False
        )
        with Stack(
            loaded.database, work / "api", options, parts={"api"}, keys=loaded.keys
        ) as stack:
            api_pid = stack.running["api"].pid
            collapsed = args.out / "collapsed.txt"
            sampler = subprocess.Popen(  # noqa: S603 - the profiler on our own process
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(api_pid),
                    "--subprocesses",
                    "--rate",
                    "250",
                    "--duration",
                    str(int(args.seconds)),
                    "--format",
                    "raw",
                    "--output",
                    str(collapsed),
                    "--nonblocking",
                ],
            )
            time.sleep(1.0)
            run = asyncio.run(_write(stack.api_url, prepared, args.seconds, args.concurrency))
            sampler.wait(args.seconds + 60)
    finally:
        container.close()
        loaded.database.drop()
    table = summarise(collapsed.read_text())
    result = {
        "requests_per_second": round(run.per_second, 1),
        "p50_ms": run.p50_ms,
        "p99_ms": run.p99_ms,
        "errors": run.errors,
        "groups": table,
    }
    (args.out / "summary.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


async def _write(api: str, prepared: Prepared, seconds: float, concurrency: int) -> Run:
    async with Client(max_connections=256) as http:

        async def write(_: int) -> bool:
            applicant_id, index = prepared.take()
            reply = await http.request(
                "PUT",
                f"{api}/v1/applicants/{applicant_id}/identity",
                json_body=_identity(prepared.people, index),
                headers={"Authorization": f"Bearer {prepared.tokens[applicant_id]}"},
            )
            return reply.status == 202

        return await closed_loop_async(write, concurrency, seconds)


def summarise(collapsed: str) -> list[dict[str, object]]:
    """Share of samples per group (a stack counts for every group it touches) and of idle."""
    total = 0
    counts: collections.Counter[str] = collections.Counter()
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        for name, needles in GROUPS:
            if any(needle in stack for needle in needles):
                counts[name] += count
    return [
        {"group": name, "share_of_samples": round(counts[name] / total, 3) if total else 0.0}
        for name, _ in GROUPS
    ]


if __name__ == "__main__":
    sys.exit(main())
