from __future__ import annotations

from prakerja.clients.breaker import BreakerState, CircuitBreaker


def state(breaker: CircuitBreaker) -> BreakerState:
    """Read afresh (mypy would keep the narrowed type of ``breaker.state`` otherwise)."""
    return breaker.state


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_consecutive_failures_only() -> None:
    breaker = CircuitBreaker(failure_threshold=3, reset_s=10, clock=Clock())
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()

    assert state(breaker) is BreakerState.CLOSED
    assert breaker.admit() is None

    breaker.record_failure()

    assert state(breaker) is BreakerState.OPEN
    assert breaker.admit() == 10


def test_lets_one_probe_through_after_the_cool_down() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_s=10, clock=clock)
    breaker.record_failure()
    clock.now += 4

    assert breaker.admit() == 6
    clock.now += 6
    assert breaker.admit() is None  # the probe
    assert state(breaker) is BreakerState.HALF_OPEN
    assert breaker.admit() == 0  # others still fail fast while it runs


def test_a_good_probe_closes_and_a_bad_one_reopens() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_s=10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    breaker.admit()
    breaker.record_failure()

    assert state(breaker) is BreakerState.OPEN
    assert breaker.admit() == 10

    clock.now += 10
    breaker.admit()
    breaker.record_success()

    assert state(breaker) is BreakerState.CLOSED
    assert breaker.admit() is None
