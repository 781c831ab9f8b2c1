"""Uniqueness keys an application has seen to exist, so a claim knows when to read one."""

from __future__ import annotations

import threading
from collections import OrderedDict
from uuid import UUID


class KnownKeys:
    """A bounded, thread-safe set of key ids (the oldest forgotten first): forgetting one
    costs only a failed save and a retry."""

    def __init__(self, size: int = 100_000) -> None:
        self._size = size
        self._ids: OrderedDict[UUID, None] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._ids

    def add(self, key_id: UUID) -> None:
        with self._lock:
            self._ids[key_id] = None
            self._ids.move_to_end(key_id)
            if len(self._ids) > self._size:
                self._ids.popitem(last=False)

    def discard(self, key_id: UUID) -> None:
        with self._lock:
            self._ids.pop(key_id, None)
