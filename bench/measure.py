"""Timing loops shared by the benchmarks: closed loops (as fast as it goes) and open loops
(a fixed offered rate, latency counted from when each request was due, so a stalled
server cannot hide its queue by slowing the load generator down)."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Run:
    """What one timed loop did."""

    operations: int
    errors: int
    seconds: float
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    error_kinds: dict[str, int] = field(default_factory=dict)
    """How many errors of each exception type (an error is never just a number)."""

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "per_second": round(self.per_second, 1)}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summarise(
    latencies_s: list[float], errors: int, seconds: float, kinds: Counter[str] | None = None
) -> Run:
    error_kinds = dict(kinds or {})
    if not latencies_s:
        return Run(0, errors, seconds, None, None, None, error_kinds)
    return Run(
        operations=len(latencies_s),
        errors=errors,
        seconds=seconds,
        p50_ms=round(1000 * statistics.median(latencies_s), 2),
        p99_ms=round(1000 * percentile(latencies_s, 0.99), 2),
        max_ms=round(1000 * max(latencies_s), 2),
        error_kinds=error_kinds,
    )


Call = Callable[[int], None]
"""One operation; the argument numbers it (0, 1, 2, ...). Raising counts as an error."""


def closed_loop(call: Call, threads: int, seconds: float) -> Run:
    """``threads`` threads calling back to back for ``seconds``."""
    latencies: list[float] = []
    errors = 0
    kinds: Counter[str] = Counter()
    lock = threading.Lock()
    counter = iter(range(10**12))
    deadline = time.perf_counter() + seconds

    def loop() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            with lock:
                number = next(counter)
            began = time.perf_counter()
            try:
                call(number)
            except Exception as error:  # noqa: BLE001 - counted, the loop goes on
                with lock:
                    errors += 1
                    kinds[type(error).__name__] += 1
                continue
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)

    began = time.perf_counter()
    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return summarise(latencies, errors, time.perf_counter() - began, kinds)


def open_loop(call: Call, rate: float, seconds: float, threads: int) -> Run:
    """``rate`` calls per second for ``seconds``, run by a pool of ``threads``."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    total = int(rate * seconds)

    def one(number: int, due: float) -> None:
        nonlocal errors
        try:
            call(number)
        except Exception:  # noqa: BLE001 - counted
            with lock:
                errors += 1
            return
        elapsed = time.perf_counter() - due
        with lock:
            latencies.append(elapsed)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for number in range(total):
            due = start + number / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            pool.submit(one, number, due)
    return summarise(latencies, errors, time.perf_counter() - start)


AsyncCall = Callable[[int], Awaitable[bool]]
"""One request; returns whether it succeeded (an exception counts as a failure)."""


async def open_loop_async(call: AsyncCall, rate: float, seconds: float) -> Run:
    latencies: list[float] = []
    errors = 0
    total = int(rate * seconds)
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def one(number: int, due: float) -> None:
        nonlocal errors
        try:
            ok = await call(number)
        except Exception:  # noqa: BLE001 - counted
            ok = False
        if ok:
            latencies.append(loop.time() - due)
        else:
            errors += 1

    tasks = []
    for number in range(total):
        due = start + number / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(number, due)))
    await asyncio.gather(*tasks)
    return summarise(latencies, errors, loop.time() - start)


async def closed_loop_async(call: AsyncCall, concurrency: int, seconds: float) -> Run:
    latencies: list[float] = []
    errors = 0
    loop = asyncio.get_running_loop()
    counter = iter(range(10**12))
    deadline = loop.time() + seconds

    async def lane() -> None:
        nonlocal errors
        while loop.time() < deadline:
            began = loop.time()
            try:
                ok = await call(next(counter))
            except Exception:  # noqa: BLE001 - counted
                ok = False
            if ok:
                latencies.append(loop.time() - began)
            else:
                errors += 1

    began = loop.time()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return summarise(latencies, errors, loop.time() - began)
