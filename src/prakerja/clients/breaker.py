"""A circuit breaker: after N consecutive transient failures, fail fast for a cool-down.

Why not ``pybreaker``: its ``CircuitBreaker.call`` holds the breaker's lock for the
whole guarded call, which would serialise every thread's calls through a shared
client (Dramatiq workers run several threads). This one only takes its lock to read
or change state, uses a monotonic clock, and lets a single probe through when half
open.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int,
        reset_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = failure_threshold
        self._reset_s = reset_s
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0

    @property
    def state(self) -> BreakerState:
        return self._state

    def admit(self) -> float | None:
        """None if a call may go ahead, else the seconds left until a probe may."""
        with self._lock:
            if self._state is BreakerState.CLOSED:
                return None
            left = self._opened_at + self._reset_s - self._clock()
            if self._state is BreakerState.OPEN and left <= 0:
                self._state = BreakerState.HALF_OPEN  # this caller is the probe
                return None
            return max(left, 0.0)

    def record_success(self) -> None:
        with self._lock:
            self._state = BreakerState.CLOSED
            self._failures = 0

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state is BreakerState.HALF_OPEN or self._failures >= self._threshold:
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()
