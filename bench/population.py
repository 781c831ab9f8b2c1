"""A scratch database loaded with N applicants' events, the way every measurement starts.

The log comes from the read-models benchmark's generator (``bench/projections.py``):
real aggregates driven through their commands, encrypted by the application's own
mapper, written with COPY under the event store's lock. One generator for the project
keeps every benchmark measuring the same kind of log.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg

from bench.common import Loaded
from prakerja.simulation.database import ScratchDatabase
from prakerja.simulation.stack import StackKeys


def load(server_url: str, applicants: int, work_dir: Path, seed: int = 2020) -> Loaded:
    from bench.projections import generate

    database = ScratchDatabase(server_url, f"s{applicants}")
    database.create()
    keys = StackKeys()
    started = time.monotonic()
    try:
        generated = generate(database.address, applicants, keys.cipher_key, seed, processes=2)
    except BaseException:
        database.drop()
        raise
    with psycopg.connect(database.address.conninfo) as conn:
        row = conn.execute("SELECT count(*) FROM prakerja_events").fetchone()
    return Loaded(
        database=database,
        keys=keys,
        applicants=int(generated["applicants"]),
        events=int(row[0]) if row else 0,
        load_seconds=time.monotonic() - started,
        work_dir=work_dir,
    )


def empty(server_url: str, work_dir: Path) -> Loaded:
    """A migrated scratch database with no applicants (for what the log does not affect)."""
    database = ScratchDatabase(server_url, "empty")
    database.create()
    return Loaded(database, StackKeys(), 0, 0, 0.0, work_dir)
