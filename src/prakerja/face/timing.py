"""Per-stage timings, recorded with each verdict so slow photos can be spotted."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

STAGES = ("decode", "detect", "landmarks", "quality", "encode")


class Stopwatch:
    """Milliseconds spent per stage (summed when a stage runs more than once)."""

    def __init__(self) -> None:
        self._started = time.perf_counter()
        self._stages = dict.fromkeys(STAGES, 0.0)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the body of a ``with`` block as part of stage ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            self._stages[name] = self._stages.get(name, 0.0) + elapsed

    def result(self) -> dict[str, float]:
        """Each stage's milliseconds, and the total since the stopwatch was made."""
        return {**self._stages, "total": (time.perf_counter() - self._started) * 1000}
