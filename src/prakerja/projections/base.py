"""What a read model is: its tables, the events it reads, and how it folds a batch.

A read model folds a batch of events in memory (:class:`Fold`) and writes the result in
the follower's transaction, with the follower's new position. Its tables live in one
schema per version (``rm_<kind>_v<version>``) so a new version can be built beside the
live one; readers query views in the ``reports`` schema that point at the live version
(:mod:`prakerja.projections.versions`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import psycopg
from eventsourcing.utils import get_topic

from prakerja.domain.programme import WIB, programme_day
from prakerja.projections.decoding import Decoded, Fields, decoded
from prakerja.projections.follower import EventFailed, Logged
from prakerja.projections.tables import Table

S = TypeVar("S")

DAY_ZONE = WIB
"""Days in reports are Jakarta days (WIB), the programme's working day."""

day_of = programme_day


def schema_name(kind: str, version: int) -> str:
    return f"rm_{kind}_v{version}"


def tracking_name(kind: str, version: int) -> str:
    return f"{kind}@{version}"


class Fold(Protocol):
    """A batch of events folded in memory, not yet written."""

    @property
    def held(self) -> int:
        """How many keyed states the fold holds (bounds memory during a rebuild)."""
        ...

    def apply(self, page: Sequence[Logged], conn: psycopg.Connection[Any]) -> None:
        """Fold a page; ``conn`` loads the stored state of keys seen for the first time."""
        ...

    def flush(self, cursor: psycopg.Cursor[Any]) -> None:
        """Write everything folded, in the caller's transaction."""
        ...


class ReadModel(ABC):
    """One read model: its name, the fields it reads, its tables and their views."""

    kind: ClassVar[str]
    fields: ClassVar[Fields]
    tables: ClassVar[tuple[Table, ...]]
    views: ClassVar[Mapping[str, str]]
    """View name in the ``reports`` schema -> the table it shows."""

    @property
    def topics(self) -> list[str]:
        return [get_topic(kind) for kind in self.fields]

    def table(self, name: str, schema: str, *, staged: bool = False) -> Table:
        found = next(t for t in self.tables if t.name == name)
        return replace(found, schema=schema, staged=staged)

    def fold_tables(self, schema: str) -> list[Table]:
        """This model's tables in ``schema`` (a version's)."""
        return [self.table(t.name, schema) for t in self.tables]

    @abstractmethod
    def fold(self, schema: str, *, fresh: bool, staged: bool = False) -> Fold:
        """A new fold writing into ``schema``; ``fresh``: its tables are still empty.

        ``staged``: its writes go to the tables' staging twins, for a parallel catch-up
        to merge in one transaction (:mod:`prakerja.projections.parallel`).
        """


class VersionHandler:
    """A read-model version as a :class:`~prakerja.projections.follower.PageHandler`:
    one page, one fold, one write (what a plain ``LogFollower`` runs)."""

    def __init__(self, model: ReadModel, version: int) -> None:
        self.model = model
        self.version = version
        self.name = tracking_name(model.kind, version)
        self.schema = schema_name(model.kind, version)
        self.topics: Sequence[str] = model.topics

    def handle(self, page: Sequence[Logged], cursor: psycopg.Cursor[Any]) -> None:
        fold = self.model.fold(self.schema, fresh=False)
        fold.apply(page, cursor.connection)
        fold.flush(cursor)


class ApplicantFold(ABC, Generic[S]):
    """Keeps one state per applicant touched in the batch, loaded on first touch."""

    def __init__(self, *, fresh: bool) -> None:
        self.fresh = fresh
        self.states: dict[bytes, S] = {}
        """By the applicant id's 16 bytes (see :class:`Decoded`)."""

    @property
    def held(self) -> int:
        return len(self.states)

    def apply(self, page: Sequence[Logged], conn: psycopg.Connection[Any]) -> None:
        if not page:
            return
        if type(page[0].event) is Decoded:  # pages come from one source: check once
            events: list[Decoded] = [item.event for item in page]  # type: ignore[misc]
        else:
            events = [decoded(item) for item in page]
        states = self.states
        if not self.fresh:
            first: dict[bytes, int] = {}
            for event in events:
                first.setdefault(event.originator_id, event.originator_version)
            # An applicant first seen at version 1 has no stored state: nothing to load.
            missing = [i for i, version in first.items() if version > 1 and i not in states]
            if missing:
                states.update(self.load(conn, missing))
        new, fold = self.new, self.fold
        for item, event in zip(page, events, strict=True):
            state = states.get(event.originator_id)
            if state is None:
                state = states[event.originator_id] = new()
            try:
                fold(item.position.notification_id, event, state)
            except Exception as error:
                raise EventFailed(item.position, error) from error

    @abstractmethod
    def load(self, conn: psycopg.Connection[Any], ids: list[bytes]) -> dict[bytes, S]:
        """Stored states of these applicants (those with none are left out)."""

    @abstractmethod
    def new(self) -> S:
        """The state of an applicant the read model has not seen yet."""

    @abstractmethod
    def fold(self, event_id: int, event: Decoded, state: S) -> None:
        """Apply one event to its applicant's state (and to any counts).

        ``event_id`` is the event's notification id: its identity where a row keeps one,
        never its place in commit order (the log is read by transaction, then id)."""

    @abstractmethod
    def flush(self, cursor: psycopg.Cursor[Any]) -> None: ...
