"""The verification step runner and what it calls: the clients, the face checker, the sender."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from uuid import UUID

import dramatiq

from prakerja.clients import (
    HttpCivilRegistry,
    HttpEducationRegistry,
    HttpEmailService,
    HttpExclusionRegistry,
    HttpSmsGateway,
)
from prakerja.container import Container
from prakerja.domain.stages import Step
from prakerja.settings import Settings
from prakerja.tracing import TraceParents, traced_sender
from prakerja.verification.face import FaceRecognitionChecker
from prakerja.verification.runner import DelayPolicy, FaceChecker, Services, StepRunner


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
