"""The supervisor every way of running the service uses for its background loops."""

from __future__ import annotations

import threading
import time

import pytest
from prometheus_client import REGISTRY

from prakerja.workers.supervisor import Loop, Supervisor


def _until(condition: object, within_s: float = 5.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.01)
    return False


def test_a_loop_that_dies_is_reported_and_started_again() -> None:
    runs: list[int] = []

    def flaky(stop: threading.Event) -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RuntimeError("the database went away")
        stop.wait()

    supervisor = Supervisor([Loop("flaky", flaky)], restart_delay_s=0.01)
    supervisor.start()
    try:
        assert _until(lambda: len(runs) == 3)
        (state,) = supervisor.states()
        assert (state.name, state.running, state.deaths) == ("flaky", True, 2)
        assert state.last_error == "RuntimeError: the database went away"
        assert REGISTRY.get_sample_value("prakerja_loop_deaths_total", {"loop": "flaky"}) == 2
    finally:
        supervisor.stop()
    assert not supervisor.states()[0].running


def test_a_loop_that_must_stay_stopped_is_reported_and_ends_the_wait() -> None:
    def failing_follower(stop: threading.Event) -> None:
        raise ValueError("event 7 cannot be folded")

    supervisor = Supervisor(
        [Loop("follower", failing_follower, restart=False), Loop("other", lambda s: s.wait())]
    )
    supervisor.start()
    try:
        assert supervisor.wait(give_up_when="any", poll_s=0.01) is False
        assert supervisor.stopped() == ["follower"]
        assert supervisor.states()[0].deaths == 1
        assert supervisor.states()[1].running, "the others go on"
    finally:
        supervisor.stop()


def test_waiting_for_all_goes_on_while_one_loop_runs_and_ends_when_told_to_stop() -> None:
    supervisor = Supervisor(
        [Loop("dead", lambda s: None, restart=False), Loop("alive", lambda s: s.wait())]
    )
    supervisor.start()
    threading.Timer(0.2, supervisor.stop_event.set).start()
    assert supervisor.wait(give_up_when="all", poll_s=0.01) is True
    supervisor.stop()
    assert supervisor.stopped() == ["dead", "alive"]


def test_stop_is_bounded_even_when_a_loop_ignores_it() -> None:
    release = threading.Event()
    supervisor = Supervisor([Loop("stubborn", lambda s: release.wait(10))], stop_within_s=0.2)
    supervisor.start()
    started = time.monotonic()
    supervisor.stop()
    assert time.monotonic() - started < 2
    release.set()


def test_loop_names_are_unique() -> None:
    with pytest.raises(ValueError, match="repeat"):
        Supervisor([Loop("a", lambda s: None), Loop("a", lambda s: None)])
