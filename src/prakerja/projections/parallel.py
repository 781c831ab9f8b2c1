"""Catch-up on several cores: worker processes fold shares of a batch, the follower
writes the whole batch in one transaction.

Decrypting, parsing and folding run in Python, one core per process. When a read
model is far behind (after a restart, a long outage, a new version's catch-up), its
follower splits each batch of the log by applicant, as a parallel rebuild does
(:mod:`prakerja.projections.partitions`): worker *k* of *n* folds the events of the
aggregates whose id's last byte is *k* modulo *n*, loading their stored state from the
live tables, and leaves its writes in the tables' staging twins
(:meth:`~prakerja.projections.tables.Table.merge_staged`). The follower then merges
every share, checks the version is still live and moves its position, in one
transaction: the read model and its position still change together, exactly once. A
crash before that commit leaves only staging rows, cleared before the next batch.

Workers start from a fork server (an application and its connections must never be
inherited across ``fork()``) and live as long as the follower.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from prakerja.eventstore.position import Position
from prakerja.projections.base import schema_name
from prakerja.projections.catalogue import READ_MODELS
from prakerja.projections.decoding import EventTable, PayloadDecoder
from prakerja.projections.folding import FoldingSource

_WORKER: dict[str, Any] = {}


class ParallelFolder:
    """A pool of worker processes folding shares of one read model's batches."""

    def __init__(self, source: FoldingSource, kind: str, processes: int, page_size: int) -> None:
        self._source = source
        self.kind = kind
        self.processes = processes
        self.page_size = page_size
        self._executor: ProcessPoolExecutor | None = None

    def fold(self, version: int, start: Position, end: Position) -> int:
        """Fold the events after ``start`` up to ``end`` into the staging twins of
        ``version``'s tables; returns how many. Raises the first worker's failure
        (:class:`~prakerja.projections.follower.EventFailed` for a failing event)."""
        executor = self.start()
        futures = [
            executor.submit(
                _stage_share, self.kind, version, part, self.processes, start, end, self.page_size
            )
            for part in range(self.processes)
        ]
        return sum(future.result() for future in futures)

    def start(self) -> ProcessPoolExecutor:
        """Start the worker processes (once; the first batch does it if nobody did)."""
        if self._executor is None:
            context = multiprocessing.get_context("forkserver")
            self._executor = ProcessPoolExecutor(
                self.processes, mp_context=context, initializer=_start, initargs=(self._source,)
            )
            for future in [self._executor.submit(_ready) for _ in range(self.processes)]:
                future.result()
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None


def _start(source: FoldingSource) -> None:
    _WORKER["pool"], _WORKER["mapper"] = source.open()
    _WORKER["sources"] = {}


def _ready() -> bool:
    return "pool" in _WORKER


def _source(kind: str) -> EventTable:
    sources: dict[str, EventTable] = _WORKER["sources"]
    if kind not in sources:
        decoder = PayloadDecoder(_WORKER["mapper"], READ_MODELS[kind].fields)
        sources[kind] = EventTable(_WORKER["pool"], decoder)
    return sources[kind]


def _stage_share(
    kind: str, version: int, part: int, parts: int, start: Position, end: Position, page_size: int
) -> int:
    pool = _WORKER["pool"]
    model = READ_MODELS[kind]
    source = _source(kind)
    fold = model.fold(schema_name(kind, version), fresh=False, staged=True)
    folded = 0
    for rows, _ in source.pages(start, page_size, model.topics, end, (part, parts)):
        page = source.decode_rows(rows)  # an event that fails raises EventFailed
        with pool.connection() as conn:
            fold.apply(page, conn)
        folded += len(page)
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
        fold.flush(cursor)
    return folded
