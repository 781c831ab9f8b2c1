"""The one supervisor of the service's background loops.

Every way of running the service starts its loops through :class:`Supervisor` (the list
of loops is :mod:`prakerja.workers.loops`): ``prakerja up`` and ``serve`` with the
workers in-process, and the separate ``dispatcher``, ``review-queue``, ``programme run``
and ``projections run`` processes. It starts each named loop on a thread of its own (and
the Dramatiq workers that consume what the loops send in this process). A loop that dies
with an error is logged, counted (:meth:`Supervisor.states`, the metric
``prakerja_loop_deaths``) and started again after a pause, unless it must stay stopped:
a follower of the log stops on a failing event, so that the failure stays visible in
``prakerja projections status``. On shutdown every loop is told to stop and is waited
for, all within one bound.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import structlog

from prakerja.metrics import families as metrics

_log = structlog.get_logger("prakerja.supervisor")

RunLoop = Callable[[threading.Event], object]


@dataclass(frozen=True)
class Loop:
    """A background loop: runs until the event it is given is set."""

    name: str
    run: RunLoop
    restart: bool = True
    """Start it again after it died with an error (followers of the log are not)."""


@dataclass(frozen=True)
class LoopState:
    name: str
    running: bool
    deaths: int
    last_error: str | None


class Supervisor:
    """Starts named loops (and Dramatiq workers), restarts or reports the ones that die,
    and stops them all within ``stop_within_s``."""

    def __init__(
        self,
        loops: Sequence[Loop],
        workers: Sequence[Any] = (),
        *,
        stop: threading.Event | None = None,
        restart_delay_s: float = 1.0,
        max_restart_delay_s: float = 60.0,
        stop_within_s: float = 10.0,
    ) -> None:
        names = [loop.name for loop in loops]
        if len(set(names)) != len(names):
            raise ValueError(f"loop names repeat: {names}")
        self.loops = list(loops)
        self.workers = list(workers)
        self.stop_event = stop or threading.Event()
        self.threads: list[threading.Thread] = []
        self._restart_delay_s = restart_delay_s
        self._max_restart_delay_s = max_restart_delay_s
        self._stop_within_s = stop_within_s
        self._lock = threading.Lock()
        self._deaths: dict[str, int] = dict.fromkeys(names, 0)
        self._errors: dict[str, str | None] = dict.fromkeys(names)
        self._running: dict[str, bool] = dict.fromkeys(names, False)

    def start(self) -> None:
        for worker in self.workers:
            worker.start()
        for loop in self.loops:
            thread = threading.Thread(target=self._guard, args=(loop,), name=loop.name, daemon=True)
            with self._lock:
                self._running[loop.name] = True
            thread.start()
            self.threads.append(thread)
        _log.info("background loops running", loops=[loop.name for loop in self.loops])

    def _guard(self, loop: Loop) -> None:
        delay = self._restart_delay_s
        try:
            while not self.stop_event.is_set():
                try:
                    loop.run(self.stop_event)
                except Exception as error:  # noqa: BLE001 - reported, then restarted or not
                    self._died(loop, f"{type(error).__name__}: {error}"[:300])
                else:
                    if self.stop_event.is_set():
                        return
                    self._died(loop, "returned before the service stopped")
                if not loop.restart:
                    return
                _log.warning("restarting loop", loop=loop.name, in_s=delay)
                self.stop_event.wait(delay)
                delay = min(delay * 2, self._max_restart_delay_s)
        finally:
            with self._lock:
                self._running[loop.name] = False

    def _died(self, loop: Loop, error: str) -> None:
        with self._lock:
            self._deaths[loop.name] += 1
            self._errors[loop.name] = error
        metrics.loop_died(loop.name)
        _log.error("loop died", loop=loop.name, error=error, restart=loop.restart)

    def states(self) -> list[LoopState]:
        """Each loop: running or not, how often it died, its last error."""
        with self._lock:
            return [
                LoopState(name, self._running[name], self._deaths[name], self._errors[name])
                for name in self._running
            ]

    def stopped(self) -> list[str]:
        """The loops that ended for good while the service runs."""
        return [state.name for state in self.states() if not state.running]

    def wait(self, *, give_up_when: Literal["any", "all"] = "any", poll_s: float = 1.0) -> bool:
        """Block until told to stop (``True``) or until any (or all) loops ended (``False``)."""
        try:
            while not self.stop_event.wait(poll_s):
                ended = self.stopped()
                if ended and (give_up_when == "any" or len(ended) == len(self.loops)):
                    return False
        except KeyboardInterrupt:
            pass
        return True

    def stop(self) -> None:
        """Tell every loop to stop; wait for them (and the workers) at most the bound."""
        self.stop_event.set()
        deadline = time.monotonic() + self._stop_within_s
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for worker in self.workers:
            worker.stop(timeout=int(max(1.0, deadline - time.monotonic()) * 1000))
        late = [thread.name for thread in self.threads if thread.is_alive()]
        if late:
            _log.warning("loops still running at shutdown", loops=late)
