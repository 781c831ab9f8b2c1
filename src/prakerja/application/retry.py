"""The one retry policy for optimistic-concurrency conflicts.

A save fails whole (the event store's ``IntegrityError``) when another writer recorded a
version of the same aggregate first: workers record outcomes on a case while its owner
acts, reviewers and the scheduler touch the same waves. Nothing was written, so the
command is run again on what is recorded now (get, call, save), and may then be refused
by the aggregate for good. Each retry waits a little longer, with full jitter, so the
writers part ways; after the last attempt the caller gets :class:`ConcurrentUpdate`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from eventsourcing.persistence import IntegrityError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from prakerja.domain.errors import DomainError

T = TypeVar("T")

CONFLICT_WAIT_S = 0.005
"""The jitter's first ceiling; it doubles with each retry."""

CONFLICT_MAX_WAIT_S = 0.16
"""The jitter's ceiling, whatever the attempt."""


class ConcurrentUpdate(DomainError):
    """Raised when the same case kept changing under a command after several retries.

    Nothing was written; the client may send the same command again (``retry_after``)."""

    code = "concurrent_update"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, retry_after=1)


def retry_on_conflict(
    attempt: Callable[[], T],
    *,
    attempts: int,
    conflict: type[Exception] = IntegrityError,
    gave_up: str = "The case kept changing; try again.",
) -> T:
    """Run ``attempt`` until it does not raise ``conflict``, at most ``attempts`` times.

    ``attempt`` must read what it changes itself (a retry that reused the aggregates
    loaded before would only lose the race again). Other exceptions pass at once.
    """
    retrying = Retrying(
        retry=retry_if_exception_type(conflict),
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=CONFLICT_WAIT_S, max=CONFLICT_MAX_WAIT_S),
        reraise=True,
    )
    try:
        return retrying(attempt)
    except conflict:
        raise ConcurrentUpdate(gave_up) from None
