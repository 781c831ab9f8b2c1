"""Read pages of the event log and decode only what read models use.

Profiling a catch-up showed decoding as the hot spot: the library's mapper decrypts,
parses the whole JSON payload through a Python ``object_hook`` and builds the event
object, about 80,000 events/s on one core. Read models need a handful of fields per
event, so this source decrypts with a cipher object built once, parses each topic's
payload with a ``msgspec`` decoder that knows only the fields its projection reads
(the rest of the JSON is skipped in C), and converts tagged values (UUIDs, dates,
datetimes) with the application's own transcodings. Ids and topics come from their
clear columns. Events whose class has a ``class_version`` above 1 go through the
library's mapper, so its upcasters still apply.

A field may name the shape it is read as, a ``TypedDict`` (``("evidence", FaceEvidence)``):
the decoder then builds only the keys that shape declares and skips the rest of a nested
object in C (a face decision's findings and timings, a reason's messages). The value is
still a dict, with the same keys the library's mapper would give, so a fold reads both
sources alike.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, NamedTuple
from uuid import UUID

import msgspec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic
from psycopg_pool import ConnectionPool

from prakerja.eventstore.position import Position
from prakerja.eventstore.reading import Row, read_page
from prakerja.projections.follower import EventFailed, Logged, Page

Field = str | tuple[str, Any]
"""A payload field a projection reads: its name, or its name and the TypedDict it is read as."""
Fields = Mapping[type, Sequence[Field]]
"""Which payload fields a projection reads, by event class."""


def field_name(field: Field) -> str:
    return field if isinstance(field, str) else field[0]


class Decoded(NamedTuple):
    """An event as read models see it: ids in clear, its class, time, and the fields read
    (``data``, as attributes). A tuple: millions are made during a rebuild.

    ``originator_id`` is the aggregate id's 16 bytes (``UUID.bytes``): read models key
    their per-applicant state by it, and turn it back into a UUID only to write a row.
    """

    originator_id: bytes
    originator_version: int
    kind: type
    timestamp: dt.datetime
    data: Any

    @classmethod
    def from_event(cls, event: Any) -> Decoded:
        """The same view of a full domain event (the library mapper's output)."""
        state = dict(vars(event))
        return cls(
            state.pop("originator_id").bytes,
            state.pop("originator_version"),
            type(event),
            state["timestamp"],
            SimpleNamespace(**state),
        )


def decoded(item: Logged) -> Decoded:
    """The event of a logged item as a :class:`Decoded`, whichever source read it."""
    event = item.event
    return event if isinstance(event, Decoded) else Decoded.from_event(event)


_from_iso = dt.datetime.fromisoformat
_new_tuple = tuple.__new__


class _Tagged(msgspec.Struct):
    data: str = msgspec.field(name="_data_")


@dataclass(frozen=True)
class _Plan:
    kind: type
    decoder: msgspec.json.Decoder[Any] | None
    tagged: tuple[str, ...]
    """Fields whose type the JSON transcoder writes as a tagged object (UUID, dates)."""


class PayloadDecoder:
    """Decrypts and parses stored events for one set of needed fields."""

    def __init__(self, mapper: Mapper[Any], fields: Fields) -> None:
        self._mapper = mapper
        self._fields = {kind: tuple(names) for kind, names in fields.items()}
        self._plans: dict[str, _Plan] = {}
        cipher = mapper.cipher
        self._aes = AESGCM(cipher.key) if type(cipher) is AESCipher else None
        self._decrypt: Callable[[bytes], bytes] | None = None if cipher is None else cipher.decrypt
        self._compressor = mapper.compressor
        transcoder = mapper.transcoder
        self._transcodings = transcoder.names if isinstance(transcoder, JSONTranscoder) else {}

    @property
    def topics(self) -> list[str]:
        return [get_topic(kind) for kind in self._fields]

    def decode(self, originator_id: bytes, version: int, topic: str, state: bytes) -> Decoded:
        plan = self._plans.get(topic) or self._plan(topic)
        decoder = plan.decoder
        if decoder is None:
            stored = StoredEvent(UUID(bytes=originator_id), version, topic, state)
            return Decoded.from_event(self._mapper.to_domain_event(stored))
        aes = self._aes
        if aes is not None:
            # The library's AESCipher layout: nonce (12), tag (16), ciphertext.
            state = aes.decrypt(state[:12], state[28:] + state[12:28], None)
        elif self._decrypt is not None:
            state = self._decrypt(state)
        if self._compressor is not None:
            state = self._compressor.decompress(state)
        payload = decoder.decode(state)
        for name in plan.tagged:
            value = getattr(payload, name)
            if type(value) is dict and "_type_" in value:
                setattr(payload, name, self._untag(value))
        moment = _from_iso(payload.timestamp.data)
        return _new_tuple(Decoded, (originator_id, version, plan.kind, moment, payload))

    def _untag(self, value: dict[str, Any]) -> Any:
        transcoding = self._transcodings.get(value["_type_"])
        return value if transcoding is None else transcoding.decode(value["_data_"])

    def _plan(self, topic: str) -> _Plan:
        kind = resolve_topic(topic)
        if kind not in self._fields:
            raise LookupError(f"no projection reads {topic}")
        names = self._fields[kind]
        if getattr(kind, "class_version", 1) > 1:
            plan = _Plan(kind, None, tuple(field_name(name) for name in names))
        else:
            struct = msgspec.defstruct(
                f"{kind.__qualname__}Fields",
                [("timestamp", _Tagged), *((n, Any) if isinstance(n, str) else n for n in names)],
            )
            plain = [name for name in names if isinstance(name, str)]
            plan = _Plan(kind, msgspec.json.Decoder(struct), _tagged(kind, plain))
        self._plans[topic] = plan
        return plan


_PLAIN_JSON = frozenset({str, int, float, bool, type(None), list, dict, Any})


def _tagged(kind: type, names: Sequence[str]) -> tuple[str, ...]:
    """The fields whose annotation is not plain JSON (they may come back tagged)."""
    hints = typing.get_type_hints(kind)
    found = []
    for name in names:
        parts = typing.get_args(hints[name]) or (hints[name],)
        if any((typing.get_origin(part) or part) not in _PLAIN_JSON for part in parts):
            found.append(name)
    return tuple(found)


class EventTable:
    """Pages of :class:`Decoded` events straight from ``prakerja_events`` (binary rows)."""

    def __init__(self, pool: ConnectionPool, decoder: PayloadDecoder) -> None:
        self._pool = pool
        self.decoder = decoder
        self._prefetch = ThreadPoolExecutor(1, thread_name_prefix="log-prefetch")

    def read(
        self, after: Position, limit: int, topics: Sequence[str], upto: Position | None = None
    ) -> Page:
        rows, end = self.read_rows(after, limit, topics, upto)
        return Page(self.decode_rows(rows), end)

    def read_rows(
        self,
        after: Position,
        limit: int,
        topics: Sequence[str],
        upto: Position | None = None,
        partition: tuple[int, int] | None = None,
    ) -> tuple[list[Row], Position]:
        """Raw rows after ``after`` (up to ``upto``, included) and how far they cover
        (:func:`~prakerja.eventstore.reading.read_page`)."""
        with self._pool.connection() as conn:
            return read_page(conn, after, limit, topics, upto, partition)

    def pages(
        self,
        after: Position,
        limit: int,
        topics: Sequence[str],
        upto: Position | None = None,
        partition: tuple[int, int] | None = None,
    ) -> Iterator[tuple[list[Row], Position]]:
        """Raw pages until the log is drained; each is read (in a thread: the database
        works, the GIL is free) while the caller decodes and folds the one before."""
        read = self.read_rows
        future = self._prefetch.submit(read, after, limit, topics, upto, partition)
        while True:
            rows, end = future.result()
            full = len(rows) == limit
            if full:
                future = self._prefetch.submit(read, end, limit, topics, upto, partition)
            yield rows, end
            if not full:
                return

    def decode_rows(self, rows: Iterable[Row]) -> list[Logged]:
        """:meth:`PayloadDecoder.decode` for every row: the loop that runs per event."""
        decode = self.decoder.decode
        make = tuple.__new__  # NamedTuple's own __new__ is a Python frame per event
        items: list[Logged] = []
        append = items.append
        for transaction_id, notification_id, originator_id, version, topic, state in rows:
            position = make(Position, (transaction_id, notification_id))
            try:
                append(make(Logged, (position, decode(originator_id, version, topic, state))))
            except Exception as error:
                raise EventFailed(position, error) from error
        return items
