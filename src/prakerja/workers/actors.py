"""One Dramatiq actor per verification step. Messages carry the applicant's id only.

Actors are thin: they hand the id to :class:`StepRunner`, which is idempotent. Only
technical faults are retried (with backoff); on the last retry the runner records the
case as delayed instead of raising, and the dispatcher offers it again later.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from uuid import UUID

import dramatiq
import psycopg
import structlog
from dramatiq.middleware import CurrentMessage

from prakerja.application.applicants import ConcurrentUpdate
from prakerja.clients.errors import TransientServiceFault
from prakerja.domain.errors import NotFound
from prakerja.domain.stages import Step
from prakerja.settings import VerificationSettings
from prakerja.verification.runner import StepRunner

_log = structlog.get_logger("prakerja.worker")

FACE_QUEUE = "face"
VERIFICATION_QUEUE = "verification"
_RETRYABLE = (TransientServiceFault, ConcurrentUpdate, psycopg.OperationalError)


def queue_of(step: Step) -> str:
    # dlib holds the GIL: face checks get their own queue, served one thread per process.
    return FACE_QUEUE if step is Step.CHECK_FACE else VERIFICATION_QUEUE


def declare_actors(
    broker: dramatiq.Broker,
    runner: Callable[[], StepRunner],
    settings: VerificationSettings,
    namespace: str = "",
    queues: Collection[str] = (VERIFICATION_QUEUE, FACE_QUEUE),
) -> dict[Step, dramatiq.Actor[..., None]]:
    """Bind one actor per step of ``queues`` to ``broker``; ``runner`` is called lazily.

    ``namespace`` prefixes queue and actor names, so several deployments (or test runs)
    can share one broker without taking each other's messages.
    """

    def retry_when(retries: int, error: Exception) -> bool:
        return isinstance(error, _RETRYABLE) and retries < settings.max_retries + 1

    actors: dict[Step, dramatiq.Actor[..., None]] = {}
    for step in Step:
        if queue_of(step) not in queues:
            continue
        actors[step] = dramatiq.Actor(
            _performer(step, runner, settings.max_retries),
            broker=broker,
            actor_name=namespace + step.value,
            queue_name=namespace + queue_of(step),
            priority=0,
            options={
                "retry_when": retry_when,
                "min_backoff": settings.min_backoff_ms,
                "max_backoff": settings.max_backoff_ms,
                "time_limit": int(settings.time_limit_s * 1000),
            },
        )
    return actors


def _performer(
    step: Step, runner: Callable[[], StepRunner], max_retries: int
) -> Callable[[str], None]:
    def perform(applicant_id: str) -> None:
        message = CurrentMessage.get_current_message()
        retries = int(message.options.get("retries", 0)) if message is not None else 0
        try:
            outcome = runner().run(step, UUID(applicant_id), last_try=retries >= max_retries)
        except NotFound:
            # A message naming no applicant of this database (an old queue, a typo): drop it.
            _log.warning(
                "message for an unknown applicant dropped",
                step=step.value,
                applicant_id=applicant_id,
            )
            return
        _log.info(
            "step done",
            step=step.value,
            applicant_id=applicant_id,
            outcome=outcome.value,
            retries=retries,
        )

    perform.__name__ = step.value
    return perform
