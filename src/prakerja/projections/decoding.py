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
import psycopg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic
from psycopg_pool import ConnectionPool

from prakerja.projections.follower import EventFailed, Logged, Page

Field = str | tuple[str, Any]
"""A payload field a projection reads: its name, or its name and the TypedDict it is read as."""
Fields = Mapping[type, Sequence[Field]]
"""Which payload fields a projection reads, by event class."""


def field_name(field: Field) -> str:
    return field if isinstance(field, str) else field[0]


_READ_PAGE = (
    # uuid_send: the id's 16 bytes, cheaper to load and to hash than a UUID object.
    "SELECT notification_id, uuid_send(originator_id), originator_version, topic, state"
    " FROM prakerja_events WHERE notification_id > %s AND notification_id < %s"
    " AND topic = ANY(%s) ORDER BY notification_id LIMIT %s"
)
_NO_END = 2**63 - 1
_PARTITION = " AND get_byte(uuid_send(originator_id), 15) %% %s = %s"
_READ_PART = _READ_PAGE.replace(" ORDER BY", _PARTITION + " ORDER BY")
_HEAD = "SELECT coalesce(max(notification_id), 0) FROM prakerja_events"


def log_head(conn: psycopg.Connection[Any]) -> int:
    """The newest notification id in the log (0 when it is empty)."""
    row = conn.execute(_HEAD).fetchone()
    return int(row[0]) if row else 0


ORDERED_READ = (
    "SELECT set_config('enable_bitmapscan', 'off', true),"
    " set_config('enable_seqscan', 'off', true),"
    " set_config('max_parallel_workers_per_gather', '0', true),"
    " set_config('jit', 'off', true)"
)
"""A page is the next rows in id order: walk the id index and stop at the limit. When
few rows are expected to match (a read model of rare events, or one worker's share,
whose filter PostgreSQL cannot estimate), the planner would rather collect every match
up to the end of the log and sort it, for every page: a rebuild then reads the log
once per page. (Nor is a page read worth a JIT compilation or parallel workers.)"""


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
        self, after: int, limit: int, topics: Sequence[str], before: int | None = None
    ) -> Page:
        rows, end = self.read_rows(after, limit, topics, before)
        return Page(self.decode_rows(rows), end)

    def read_rows(
        self,
        after: int,
        limit: int,
        topics: Sequence[str],
        before: int | None = None,
        partition: tuple[int, int] | None = None,
    ) -> tuple[list[tuple[Any, ...]], int]:
        """Raw rows after ``after`` (and before ``before``) and how far they cover,
        read in one snapshot. ``partition``: (part, parts), only the aggregates whose
        id's last byte modulo ``parts`` is ``part`` (a parallel rebuild)."""
        with self._pool.connection() as conn, conn.transaction():
            cursor = conn.cursor(binary=True)
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute(ORDERED_READ)
            if partition is None:
                cursor.execute(_READ_PAGE, (after, before or _NO_END, list(topics), limit))
            else:
                part, parts = partition
                params = (after, before or _NO_END, list(topics), parts, part, limit)
                cursor.execute(_READ_PART, params)
            rows = cursor.fetchall()
            end = rows[-1][0] if rows else after
            if len(rows) < limit:
                # Same snapshot: nothing relevant exists up to the head (ids commit in order).
                head = cursor.execute(_HEAD).fetchone()
                reached = int(head[0]) if head else 0
                end = max(end, reached if before is None else min(reached, before - 1))
        return rows, end

    def pages(
        self,
        after: int,
        limit: int,
        topics: Sequence[str],
        before: int | None = None,
        partition: tuple[int, int] | None = None,
    ) -> Iterator[tuple[list[tuple[Any, ...]], int]]:
        """Raw pages until the log is drained; each is read (in a thread: the database
        works, the GIL is free) while the caller decodes and folds the one before."""
        read = self.read_rows
        future = self._prefetch.submit(read, after, limit, topics, before, partition)
        while True:
            rows, end = future.result()
            full = len(rows) == limit
            if full:
                future = self._prefetch.submit(read, end, limit, topics, before, partition)
            yield rows, end
            if not full:
                return

    def decode_rows(self, rows: Iterable[tuple[Any, ...]]) -> list[Logged]:
        """:meth:`PayloadDecoder.decode` for every row: the loop that runs per event."""
        decode = self.decoder.decode
        make_logged = tuple.__new__  # NamedTuple's own __new__ is a Python frame per event
        items: list[Logged] = []
        append = items.append
        for position, originator_id, version, topic, state in rows:
            try:
                append(
                    make_logged(Logged, (position, decode(originator_id, version, topic, state)))
                )
            except Exception as error:
                raise EventFailed(position, error) from error
        return items
