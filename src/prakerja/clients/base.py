"""What the HTTP clients share: their channel, closing, and the breaker's state."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

import httpx

from prakerja.clients.breaker import BreakerState
from prakerja.clients.config import ClientConfig
from prakerja.clients.transport import ServiceChannel


class HttpClient:
    service = "service"

    def __init__(
        self,
        config: ClientConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._channel = ServiceChannel(self.service, config, transport=transport, sleep=sleep)

    @property
    def breaker_state(self) -> BreakerState:
        return self._channel.breaker_state

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
