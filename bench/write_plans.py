"""Does any statement of a write grow with the data? Its plans, at the loaded size.

An identity submission is two statements: the read of the applicant's events (and, the
first time a NIK is claimed, nothing more: the key is not read) and one insert of the new
rows. Each is run under ``EXPLAIN (ANALYZE, BUFFERS)`` for sample applicants of the
loaded log (the insert in a transaction rolled back), so the results show, size by size,
whether its plan, its pages touched or its time change as the log grows.
"""

from __future__ import annotations

import json
import statistics
import uuid
from typing import Any

import psycopg

from bench.common import Loaded
from bench.report import Measurement

_SAMPLES = 200
_READ = (
    "SELECT originator_id, originator_version, topic, state FROM prakerja_events"
    " WHERE originator_id = %s ORDER BY originator_version"
)
_INSERT = (
    "INSERT INTO prakerja_events (originator_id, originator_version, topic, state)"
    " VALUES (%s, 1, 'bench', %s), (%s, 1, 'bench', %s) RETURNING notification_id,"
    " transaction_id"
)


def measure(loaded: Loaded) -> list[Measurement]:
    with psycopg.connect(loaded.database.address.conninfo) as conn:
        conn.execute("ANALYZE prakerja_events")
        conn.commit()
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT originator_id FROM prakerja_events TABLESAMPLE SYSTEM (1)"
                " WHERE originator_version = 1 LIMIT %s",
                (_SAMPLES,),
            ).fetchall()
        ]
        reads = [_explain(conn, _READ, (i,)) for i in ids]
        inserts = []
        for _ in range(_SAMPLES):
            with conn.transaction(force_rollback=True):
                params = (uuid.uuid4(), b"x" * 300, uuid.uuid4(), b"x" * 300)
                inserts.append(_explain(conn, _INSERT, params))
    return [
        _row("write_plans.read", "Write, statement 1: read the case's events", reads, loaded),
        _row("write_plans.insert", "Write, statement 2: insert the new rows", inserts, loaded),
    ]


def _explain(conn: psycopg.Connection[Any], statement: str, params: tuple[Any, ...]) -> Any:
    row = conn.execute(
        f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}",
        params,
    ).fetchone()
    assert row is not None
    plan = row[0]
    return plan if isinstance(plan, list) else json.loads(plan)


def _row(id_: str, title: str, plans: list[Any], loaded: Loaded) -> Measurement:
    times = [plan[0]["Execution Time"] for plan in plans]
    buffers = [_buffers(plan[0]["Plan"]) for plan in plans]
    nodes = sorted({_shape(plan[0]["Plan"]) for plan in plans})
    return Measurement(
        id=id_,
        title=title + ", median execution time",
        unit="ms",
        value=round(statistics.median(times), 3),
        baseline_title="compare the sizes: a statement that grows with the log would show here",
        baseline=None,
        size=loaded.applicants,
        note=f"plan {' | '.join(nodes)}; pages touched median"
        f" {statistics.median(buffers):.0f}, max {max(buffers)}; p99"
        f" {sorted(times)[int(len(times) * 0.99) - 1]:.3f} ms over {len(times)} samples",
        details={"samples": len(times), "plans": nodes, "example": plans[0]},
    )


def _buffers(node: dict[str, Any]) -> int:
    own = int(node.get("Shared Hit Blocks", 0)) + int(node.get("Shared Read Blocks", 0))
    return max(own, *(_buffers(child) for child in node.get("Plans", [])), 0)


def _shape(node: dict[str, Any]) -> str:
    name = str(node["Node Type"])
    if "Index Name" in node:
        name += f" on {node['Index Name']}"
    children = [_shape(child) for child in node.get("Plans", [])]
    return name + (f" ({', '.join(children)})" if children else "")
