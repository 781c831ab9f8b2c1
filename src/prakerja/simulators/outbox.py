"""What the SMS gateway and the email service "sent": idempotent by key, readable by recipient."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Hashable
from typing import Generic, Protocol, TypeVar

from litestar.status_codes import HTTP_409_CONFLICT

from prakerja.simulators.problems import Problem


class Message(Protocol):
    @property
    def to(self) -> str: ...

    @property
    def fingerprint(self) -> Hashable:
        """The content a retry must repeat exactly to reuse an idempotency key."""
        ...


M = TypeVar("M", bound=Message)


class Outbox(Generic[M]):
    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._by_key: dict[str, M] = {}
        self._by_recipient: defaultdict[str, list[M]] = defaultdict(list)

    def send(self, idempotency_key: str, make: Callable[[str], M]) -> M:
        """The message sent under this key, creating it with ``make(message_id)`` once."""
        digest = hashlib.blake2b(idempotency_key.encode(), digest_size=10).hexdigest()
        message_id = f"{self._prefix}_{digest}"
        message = make(message_id)
        earlier = self._by_key.get(idempotency_key)
        if earlier is not None:
            if earlier.fingerprint != message.fingerprint:
                raise Problem(
                    HTTP_409_CONFLICT,
                    "idempotency_key_reused",
                    "This idempotency key was used for another message.",
                )
            return earlier
        self._by_key[idempotency_key] = message
        self._by_recipient[message.to].append(message)
        return message

    def sent_to(self, recipient: str) -> list[M]:
        return list(self._by_recipient.get(recipient, ()))

    async def arrived(self, recipient: str, wait_s: float) -> list[M]:
        """What was sent to ``recipient``, waiting up to ``wait_s`` for a first message
        (a demo or a test then needs no guessed sleep while a worker sends it)."""
        deadline = time.monotonic() + wait_s
        while not (found := self.sent_to(recipient)) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return found
