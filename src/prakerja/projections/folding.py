"""How a folding process opens the event log.

Rebuilds and far-behind followers fold on several cores, in processes started from a
fork server. Each process opens its own connections and its own mapper (the event
store's decryption and decoding), once, from a :class:`FoldingSource` it is handed:
the composition root (:mod:`prakerja.bootstrap`) provides the one the service uses, so
the read side never builds the service itself.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import Mapper
from psycopg_pool import ConnectionPool


@runtime_checkable
class FoldingSource(Protocol):
    """Picklable (it crosses into each process); :meth:`open` runs once per process."""

    def open(self) -> tuple[ConnectionPool, Mapper[UUID]]:
        """A small connection pool to the log, and the mapper that decodes its events."""
        ...
