"""Every background loop of the service, by part, and the parts each way of running starts.

``prakerja up`` and ``serve`` with no broker run every part in their process
(:data:`EMBEDDED`), with the Dramatiq workers on in-memory brokers of their own. With a
broker, each part runs as a process of its own: ``prakerja dispatcher``
(:data:`DISPATCHER`: verification and housekeeping), ``review-queue``, ``programme run``
and ``projections run``, while ``prakerja worker`` consumes the verification queues.
Whichever way, the loops are these, built here and run by one
:class:`~prakerja.workers.supervisor.Supervisor`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from enum import StrEnum
from functools import cache, partial
from typing import Any

import dramatiq

from prakerja.container import Container
from prakerja.domain.stages import Step
from prakerja.projections.follower import LogFollower
from prakerja.projections.review_queue import review_queue_follower
from prakerja.projections.runner import read_model_loops
from prakerja.workers.actors import FACE_QUEUE, VERIFICATION_QUEUE, declare_actors
from prakerja.workers.broker import build_broker
from prakerja.workers.dispatcher import Dispatcher
from prakerja.workers.enqueuer import Enqueuer
from prakerja.workers.housekeeping import delete_expired_photos
from prakerja.workers.scheduler import programme_loops
from prakerja.workers.supervisor import Loop, Supervisor
from prakerja.workers.table_upkeep import run_upkeep
from prakerja.workers.verification import build_runner, sender


class Part(StrEnum):
    VERIFICATION = "verification"
    """The dispatcher (log → work ledger) and the enqueuer (ledger → broker)."""
    HOUSEKEEPING = "housekeeping"
    """Selfies past their retention deleted; tables vacuumed when autovacuum is off."""
    REVIEW_QUEUE = "review-queue"
    READ_MODELS = "read-models"
    PROGRAMME = "programme"
    """The programme ledger, the payment enqueuer and the wave scheduler."""


EMBEDDED = frozenset(Part)
DISPATCHER = frozenset({Part.VERIFICATION, Part.HOUSEKEEPING})


def supervise(
    container: Container, parts: Collection[Part], *, broker_url: str | None
) -> Supervisor:
    """The loops of ``parts`` (not started yet). With no ``broker_url`` each part's Dramatiq
    workers run here too, on in-memory brokers; with one, the messages go to that broker."""
    assert container.pool is not None, "the background work needs PostgreSQL"
    loops: list[Loop] = []
    workers: list[Any] = []
    if Part.VERIFICATION in parts:
        built, consumers = verification_loops(container, broker_url)
        loops += built
        workers += consumers
    if Part.REVIEW_QUEUE in parts:
        follower = review_queue_follower(container.applicants, container.pool)
        loops.append(Loop("review-queue", follower.run, restart=False))
    if Part.HOUSEKEEPING in parts:
        loops += housekeeping_loops(container)
    if Part.READ_MODELS in parts:
        assert container.pool is not None, "read models need PostgreSQL"
        followers = read_model_loops(
            container.applicants,
            container.pool,
            container.settings.projections,
            container.folding,
        )
        loops += [Loop(name, run, restart=False) for name, run in followers]
    if Part.PROGRAMME in parts:
        in_memory = broker_url is None
        broker = build_broker(broker_url, container.settings.broker_queue_type)
        built, consumers = programme_loops(container, broker, in_memory_broker=in_memory)
        loops += built
        workers += consumers if in_memory else []
    return Supervisor(loops, workers)


def verification_loops(
    container: Container, broker_url: str | None
) -> tuple[list[Loop], list[dramatiq.Worker]]:
    assert container.pool is not None
    settings = container.settings
    runner = cache(lambda: build_runner(container))
    actors: dict[Step, dramatiq.Actor[..., None]] = {}
    workers = []
    if broker_url is None:
        for queue, threads in (
            (VERIFICATION_QUEUE, settings.verification.worker_threads),
            (FACE_QUEUE, 1),
        ):
            broker = build_broker(None)
            actors |= declare_actors(broker, runner, settings.verification, queues={queue})
            workers.append(dramatiq.Worker(broker, queues={queue}, worker_threads=threads))
    else:
        broker = build_broker(broker_url, settings.broker_queue_type)
        actors = declare_actors(broker, runner, settings.verification)
    dispatcher = LogFollower(container.applicants, container.pool, Dispatcher(container.applicants))
    enqueuer = Enqueuer(
        container.pool,
        sender(actors, container.applicants.trace_parents),
        dt.timedelta(seconds=settings.verification.redelivery_s),
    )
    if broker_url is None:
        enqueuer.forget_sent()
    return [
        Loop("dispatcher", dispatcher.run, restart=False),
        Loop("enqueuer", enqueuer.run),
    ], workers


def housekeeping_loops(container: Container) -> list[Loop]:
    assert container.pool is not None
    conninfo = container.pool.conninfo
    assert isinstance(conninfo, str)
    every = dt.timedelta(seconds=container.settings.face.photo_sweep_interval_s)
    return [
        Loop("housekeeping", partial(delete_expired_photos, photos=container.photos, every=every)),
        Loop("table-upkeep", partial(run_upkeep, conninfo)),
    ]
