"""How the programme reads and saves its aggregates: found or not, and retried on a race.

A save that loses an optimistic-concurrency race is retried from fresh state, so a
command is never applied to stale data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Aggregate

from prakerja.application.applicants import Applicants
from prakerja.application.programme.records import Clock
from prakerja.application.retry import retry_on_conflict
from prakerja.domain.applicant import Applicant
from prakerja.domain.errors import NotFound

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")


class ProgrammeStore:
    """The one event store, as the programme's commands and queries use it."""

    def __init__(
        self,
        applicants: Applicants,
        *,
        index_secret: bytes,
        clock: Clock | None = None,
        batch_size: int = 500,
        retries: int = 5,
        roster_cache: int = 4096,
        loaders: int = 4,
    ) -> None:
        self.applicants = applicants
        self._secret = index_secret
        # Waves and their rosters are read by every join; a roster collects thousands of
        # events. The library's repository cache keeps them in memory and fast-forwards
        # each read with only the events stored since (other processes' joins included).
        self._waves = Repository(applicants.events, cache_maxsize=roster_cache, fastforward=True)
        self.clock: Clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.batch_size = batch_size
        self.retries = retries
        self.loaders = loaders

    def _load(self, ids: Sequence[UUID]) -> list[Applicant]:
        """A batch of applicants; loading is mostly waiting on the database, so a few at once."""
        with ThreadPoolExecutor(self.loaders) as pool:
            return list(pool.map(self.applicants.get, ids))

    def _retrying(self, attempt: Callable[[], T], attempts: int | None = None) -> T:
        """Run ``attempt``; when its save loses an optimistic-concurrency race, again."""
        return retry_on_conflict(
            attempt,
            attempts=attempts or self.retries,
            gave_up="Others kept changing the same records; try again.",
        )

    def _find(
        self, aggregate_id: UUID, kind: type[A], repository: Repository[UUID] | None = None
    ) -> A | None:
        try:
            found: object = (repository or self.applicants.repository).get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(found, kind):
            return None
        return found

    def _get(
        self, aggregate_id: UUID, kind: type[A], repository: Repository[UUID] | None = None
    ) -> A:
        found = self._find(aggregate_id, kind, repository)
        if found is None:
            raise NotFound(f"No {kind.__name__} {aggregate_id}.", code="not_found")
        return found
