"""Fault injection: latency, 503s, hangs and outage windows, decided by a seeded RNG."""

from __future__ import annotations

import asyncio
import random
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE, HTTP_504_GATEWAY_TIMEOUT

from prakerja.simulators.config import FaultConfig
from prakerja.simulators.problems import Problem

FAULTS_OPT = "faults"
"""Route-handler ``opt`` key: only handlers with ``opt={FAULTS_OPT: True}`` get faults."""


class FaultInjector:
    """A ``before_request`` hook that delays or fails calls to one service.

    Each call draws the same three numbers from the RNG, whatever happens, so the
    sequence of decisions depends only on the seed and the order of the calls.
    """

    def __init__(
        self,
        service: str,
        config: FaultConfig,
        *,
        seed: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.service = service
        self._rng = random.Random(seed * 1_000_003 + zlib.crc32(service.encode()))  # noqa: S311 (simulation, not security)
        self._clock = clock
        self._sleep = sleep
        self._config = config
        self._since = clock()

    @property
    def config(self) -> FaultConfig:
        return self._config

    def reconfigure(self, config: FaultConfig) -> None:
        """Replace the faults; outage windows now count from this moment."""
        self._config = config
        self._since = self._clock()

    def in_outage(self) -> bool:
        elapsed = self._clock() - self._since
        return any(w.start_s <= elapsed < w.start_s + w.duration_s for w in self._config.outages)

    async def __call__(self, request: Request[Any, Any, Any]) -> None:
        if not request.route_handler.opt.get(FAULTS_OPT):
            return
        config = self._config
        error_draw, timeout_draw, latency_draw = (self._rng.random() for _ in range(3))
        if self.in_outage():
            raise Problem(HTTP_503_SERVICE_UNAVAILABLE, "outage", f"{self.service} is down")
        jitter = (2.0 * latency_draw - 1.0) * config.latency_jitter_ms
        delay_ms = max(0.0, config.latency_mean_ms + jitter)
        if delay_ms:
            await self._sleep(delay_ms / 1000.0)
        if error_draw < config.error_rate:
            raise Problem(HTTP_503_SERVICE_UNAVAILABLE, "injected_error", f"{self.service} failed")
        if timeout_draw < config.timeout_rate:
            await self._sleep(config.hang_s)
            raise Problem(HTTP_504_GATEWAY_TIMEOUT, "injected_timeout", f"{self.service} hung")


@get("/_admin/faults", sync_to_thread=False)
def read_faults(faults: NamedDependency[FaultInjector]) -> FaultConfig:
    return faults.config


@put("/_admin/faults", sync_to_thread=False)
def replace_faults(
    faults: NamedDependency[FaultInjector], data: JSONBody[FaultConfig]
) -> FaultConfig:
    """Set this service's faults at run time, e.g. an outage starting now."""
    faults.reconfigure(data)
    return faults.config


ADMIN_HANDLERS = [read_faults, replace_faults]
