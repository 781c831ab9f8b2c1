"""The read models' loops: one follower each, inside the service or on their own.

With no broker configured the service runs them among its other loops; with one,
``prakerja projections run`` runs them as their own process. Either way, two copies
of a follower cannot both write a batch (the position is guarded), so running a spare
is safe. A read model that fails on an event stops alone; the others go on. The loops
are run by :mod:`prakerja.workers.supervisor`, like every other background loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from eventsourcing.application import Application
from psycopg_pool import ConnectionPool

from prakerja.projections.catalogue import READ_MODELS
from prakerja.projections.folding import FoldingSource
from prakerja.projections.live import ReadModelFollower
from prakerja.settings import ProjectionSettings

Loop = Callable[[threading.Event], None]


def read_model_followers(
    application: Application[Any],
    pool: ConnectionPool,
    settings: ProjectionSettings,
    folding: FoldingSource | None,
) -> list[ReadModelFollower]:
    """One follower per read model, catching up on several processes when far behind
    (given ``folding`` and ``settings.catch_up_processes`` above 1)."""
    return [
        ReadModelFollower(
            application,
            pool,
            model,
            page_size=settings.page_size,
            batch_events=settings.batch_events,
            folding=folding,
            processes=settings.catch_up_processes,
            parallel_lag=settings.catch_up_parallel_lag,
        )
        for model in READ_MODELS.values()
    ]


def read_model_loops(
    application: Application[Any],
    pool: ConnectionPool,
    settings: ProjectionSettings,
    folding: FoldingSource | None,
) -> list[tuple[str, Loop]]:
    """``(thread name, loop)`` for each read model, as the pipeline starts its loops."""

    def loop(follower: ReadModelFollower) -> Loop:
        return lambda stop: follower.run(stop, settings.idle_wait_s)

    followers = read_model_followers(application, pool, settings, folding)
    return [(f"read-model-{f.model.kind}", loop(f)) for f in followers]
