"""CPU time spent by each part of the service during a run, per applicant.

Read from ``/proc`` (Linux): each process of the stack with its children (uvicorn and
Dramatiq start worker processes), and the PostgreSQL backends serving the run's
database (found through ``pg_stat_activity``; they must run on this machine). CPU time
rather than wall time: it is what another machine would need, whatever else this one
was doing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import psycopg

_PROC = Path("/proc")


def _ticks(pid: int) -> int:
    """User + system time of one process, in clock ticks (0 if it is gone)."""
    try:
        fields = (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _descendants(pid: int, tree: Mapping[int, list[int]]) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(tree.get(current, ()))
    return found


def seconds_by_part(parts: Mapping[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process and its descendants."""
    if not _PROC.exists():
        return {}
    tree = _children()
    tick = os.sysconf("SC_CLK_TCK")
    return {
        name: sum(_ticks(p) for p in _descendants(pid, tree)) / tick for name, pid in parts.items()
    }


def backend_pids(conninfo: str, dbname: str) -> list[int]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (dbname,),
        ).fetchall()
    return [int(row[0]) for row in rows]


def backends_seconds(pids: Iterable[int]) -> float:
    """CPU seconds so far of these PostgreSQL backends (those still running)."""
    tick = os.sysconf("SC_CLK_TCK")
    return sum(_ticks(pid) for pid in pids) / tick
