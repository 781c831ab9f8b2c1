"""A rebuild's bulk load on several cores: one process per share of the applicants.

Decrypting, parsing and folding run in Python, so one process uses one core. A read
model's state is per applicant, so the whole log can be split by applicant: worker *k*
of *n* reads only the events of aggregates whose id's last byte is *k* modulo *n*
(filtered by the database), folds them into the new version's empty tables and copies
its rows in. Per-applicant rows never collide; count rows do, and are added up once
every worker is done (:func:`~prakerja.projections.versions.collapse_sums`). Everything
is folded up to one position, fixed before the workers start; the caller records it.

Workers start from a fork server (a clean process: an application and its connections
must never be inherited across ``fork()``) and open their own connections and mapper
from the :class:`~prakerja.projections.folding.FoldingSource` they are given.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from prakerja.eventstore.position import START, Position
from prakerja.projections.base import schema_name
from prakerja.projections.catalogue import READ_MODELS
from prakerja.projections.decoding import EventTable, PayloadDecoder
from prakerja.projections.folding import FoldingSource
from prakerja.projections.tables import autocommit_cursor

Report = Callable[[int, Position], None]
"""Called as (events folded by all workers, lowest position they have reached)."""


class TooManyToHold(RuntimeError):
    """Raised when a worker's share of applicants passes the rebuild's memory bound."""


_WORKER: dict[str, Any] = {}


def fold_in_parallel(
    source: FoldingSource,
    kind: str,
    version: int,
    end: Position,
    workers: int,
    page_size: int,
    max_held: int,
    report: Report | None = None,
) -> int:
    """Fold events up to ``end`` into version ``version``'s empty tables; returns how many."""
    context = multiprocessing.get_context("forkserver")
    progress: Any = context.Queue()
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start, initargs=(source, progress)
    ) as pool:
        futures = [
            pool.submit(_fold_share, kind, version, part, workers, end, page_size, max_held)
            for part in range(workers)
        ]
        folded, reached = [0] * workers, [START] * workers
        while not all(future.done() for future in futures):
            _drain(progress, folded, reached, report)
        _drain(progress, folded, reached, report, wait=0)
        return sum(_result(future) for future in futures)


def _drain(
    progress: Any,
    folded: list[int],
    reached: list[Position],
    report: Report | None,
    wait: float = 0.2,
) -> None:
    try:
        while True:
            part, count, position = progress.get(timeout=wait) if wait else progress.get_nowait()
            folded[part], reached[part] = count, Position(*position)
            if report is not None:
                report(sum(folded), min(reached))
    except queue.Empty:
        return


def _result(future: Future[int]) -> int:
    return future.result()


def _start(source: FoldingSource, progress: Any) -> None:
    _WORKER["pool"], _WORKER["mapper"] = source.open()
    _WORKER["progress"] = progress


def _fold_share(
    kind: str, version: int, part: int, parts: int, end: Position, page_size: int, max_held: int
) -> int:
    pool = _WORKER["pool"]
    model = READ_MODELS[kind]
    source = EventTable(pool, PayloadDecoder(_WORKER["mapper"], model.fields))
    fold = model.fold(schema_name(kind, version), fresh=True)
    folded = 0
    share = (part, parts)
    for rows, covered in source.pages(START, page_size, model.topics, end, share):
        page = source.decode_rows(rows)
        with pool.connection() as conn:
            fold.apply(page, conn)
        folded += len(page)
        _WORKER["progress"].put((part, folded, covered))
        if fold.held >= max_held:
            raise TooManyToHold(
                f"{fold.held} applicants in one share: raise projections.rebuild_max_held"
                " or the number of workers"
            )
    with autocommit_cursor(pool.conninfo) as cursor:
        fold.flush(cursor)  # into a version nobody reads yet: a transaction per COPY
    return folded
