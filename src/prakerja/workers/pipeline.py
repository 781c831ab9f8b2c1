"""Wiring of the verification pipeline: clients, step runner, dispatcher, enqueuer, workers."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any
from uuid import UUID

import dramatiq
import structlog

from prakerja.application.review_queue import review_queue_follower
from prakerja.bootstrap import Container
from prakerja.clients import (
    HttpCivilRegistry,
    HttpEducationRegistry,
    HttpEmailService,
    HttpExclusionRegistry,
    HttpSmsGateway,
)
from prakerja.domain.stages import Step
from prakerja.projections.follower import LogFollower
from prakerja.projections.runner import read_model_loops
from prakerja.settings import Settings
from prakerja.tracing import TraceParents, traced_sender
from prakerja.verification.face import FaceRecognitionChecker
from prakerja.verification.runner import DelayPolicy, FaceChecker, Services, StepRunner
from prakerja.workers.actors import FACE_QUEUE, VERIFICATION_QUEUE, declare_actors
from prakerja.workers.broker import build_broker
from prakerja.workers.dispatcher import Dispatcher
from prakerja.workers.enqueuer import Enqueuer
from prakerja.workers.scheduler import start_programme
from prakerja.workers.table_upkeep import run_upkeep

_log = structlog.get_logger("prakerja.pipeline")


def build_services(container: Container, face: FaceChecker | None) -> Services:
    configs = container.client_configs
    return Services(
        email=HttpEmailService(configs.email),
        sms=HttpSmsGateway(configs.sms),
        registry=HttpCivilRegistry(configs.civil_registry),
        education=HttpEducationRegistry(configs.education),
        exclusions=HttpExclusionRegistry(configs.exclusions),
        photos=container.photos,
        face=face,
        public_url=container.settings.public_url,
    )


def face_checker(settings: Settings) -> FaceChecker:
    from prakerja.face.matching import FacePolicy

    policy = FacePolicy(
        version=settings.face.policy_version,
        accept_max_distance=settings.face.accept_max_distance,
        review_max_distance=settings.face.review_max_distance,
    )
    return FaceRecognitionChecker(policy)


def build_runner(container: Container, *, with_face: bool = True) -> StepRunner:
    verification = container.settings.verification
    delays = DelayPolicy(
        dt.timedelta(seconds=verification.delay_base_s),
        dt.timedelta(seconds=verification.delay_ceiling_s),
    )
    face = face_checker(container.settings) if with_face else None
    return StepRunner(container.applicants, build_services(container, face), delays)


def sender(
    actors: dict[Step, dramatiq.Actor[..., None]], parents: TraceParents | None = None
) -> Callable[[Step, UUID], None]:
    """Send a step's message; with tracing on, under the trace of the request behind it."""

    def send(step: Step, applicant_id: UUID) -> None:
        actors[step].send(str(applicant_id))

    return send if parents is None else traced_sender(send, parents)


@dataclass
class InProcessPipeline:
    """Dispatcher, enqueuer and Dramatiq workers inside one process (the embedded default).

    The in-memory brokers lose their queues when the process stops; the work ledger does
    not, and on start everything it holds is offered again.

    A Dramatiq worker owns its broker (one worker per process, on RabbitMQ), so each
    in-process worker gets an in-memory broker of its own, holding its queue alone.
    """

    container: Container
    stop_event: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    workers: list[Any] = field(default_factory=list)

    def start(self) -> None:
        assert self.container.pool is not None, "the pipeline needs PostgreSQL"
        settings = self.container.settings
        runner = cache(lambda: build_runner(self.container))
        actors: dict[Step, dramatiq.Actor[..., None]] = {}
        for queue, threads in (
            (VERIFICATION_QUEUE, settings.verification.worker_threads),
            (FACE_QUEUE, 1),
        ):
            broker = build_broker(None)
            actors |= declare_actors(broker, runner, settings.verification, queues={queue})
            self.workers.append(dramatiq.Worker(broker, queues={queue}, worker_threads=threads))
        follower = LogFollower(
            self.container.applicants, self.container.pool, Dispatcher(self.container.applicants)
        )
        enqueuer = Enqueuer(
            self.container.pool,
            sender(actors, self.container.applicants.trace_parents),
            dt.timedelta(seconds=settings.verification.redelivery_s),
        )
        enqueuer.forget_sent()
        for worker in self.workers:
            worker.start()
        review_queue = review_queue_follower(self.container.applicants, self.container.pool)
        conninfo = self.container.pool.conninfo
        assert isinstance(conninfo, str)
        loops: list[tuple[str, Callable[[threading.Event], None]]] = [
            ("dispatcher", follower.run),
            ("enqueuer", enqueuer.run),
            ("review-queue", review_queue.run),
            ("table-upkeep", partial(run_upkeep, conninfo)),
            *read_model_loops(self.container),
        ]
        for name, loop in loops:
            thread = threading.Thread(target=loop, args=(self.stop_event,), name=name, daemon=True)
            thread.start()
            self.threads.append(thread)
        _log.info("verification pipeline running in-process")
        programme = start_programme(
            self.container, build_broker(None), self.stop_event, in_memory_broker=True
        )
        self.threads += programme.threads
        self.workers += programme.workers

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(5)
        for worker in self.workers:
            worker.stop(timeout=5000)
