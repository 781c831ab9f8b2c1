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

from prakerja.bootstrap import Container
from prakerja.projections.catalogue import READ_MODELS
from prakerja.projections.live import ReadModelFollower

Loop = Callable[[threading.Event], None]


def read_model_followers(container: Container) -> list[ReadModelFollower]:
    assert container.pool is not None, "read models need PostgreSQL"
    settings = container.settings.projections
    return [
        ReadModelFollower(
            container.applicants,
            container.pool,
            model,
            page_size=settings.page_size,
            batch_events=settings.batch_events,
            settings=container.settings,
            processes=settings.catch_up_processes,
            parallel_lag=settings.catch_up_parallel_lag,
        )
        for model in READ_MODELS.values()
    ]


def read_model_loops(container: Container) -> list[tuple[str, Loop]]:
    """``(thread name, loop)`` for each read model, as the pipeline starts its loops."""
    idle = container.settings.projections.idle_wait_s

    def loop(follower: ReadModelFollower) -> Loop:
        return lambda stop: follower.run(stop, idle)

    return [(f"read-model-{f.model.kind}", loop(f)) for f in read_model_followers(container)]
