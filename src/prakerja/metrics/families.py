"""The service's own metric families, and the calls that record them.

The families are built on first use, not at import: ``prometheus_client`` picks its
storage (in memory, or files shared by several processes) when it is imported, so the
commands that start several processes set ``PROMETHEUS_MULTIPROC_DIR`` first
(:mod:`prakerja.metrics.multiprocess`) and only then record anything.

Every label value is bounded and names no person: a route template, a step, a stage, a
service, a reason code, a class name. :func:`bounded` turns anything else into ``other``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,63}")
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_FACE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}


def bounded(value: str) -> str:
    """A code-like label value as it is; anything else (digits first, spaces, @) ``other``."""
    return value if _CODE.fullmatch(value) and "@" not in value else "other"


@dataclass(frozen=True)
class Families:
    events_written: Counter
    decisions: Counter
    face_checks: Counter
    face_seconds: Histogram
    client_calls: Counter
    client_seconds: Histogram
    client_retries: Counter
    breaker_state: Gauge
    otp_locks: Counter
    rate_limited: Counter
    loop_deaths: Counter


_building = threading.Lock()
_built: Families | None = None


def families() -> Families:
    """The process's metric families, registered once. Threads of a fresh process that
    count their first events at the same moment must not register them twice (the
    registry refuses the second, and the write that counted would fail)."""
    global _built
    if _built is None:
        with _building:
            if _built is None:
                _built = _registered()
    return _built


def _registered() -> Families:
    from prometheus_client import Counter, Gauge, Histogram

    return Families(
        events_written=Counter(
            "prakerja_events_written", "Events written to the log, by type", ["type"]
        ),
        decisions=Counter(
            "prakerja_verification_decisions",
            "Verification outcomes recorded by the workers, per stage, outcome and reason",
            ["stage", "outcome", "reason"],
        ),
        face_checks=Counter("prakerja_face_checks", "Face checks run, by outcome", ["outcome"]),
        face_seconds=Histogram(
            "prakerja_face_check_duration_seconds",
            "Time one face check takes (selfie quality and match)",
            buckets=_FACE_BUCKETS,
        ),
        client_calls=Counter(
            "prakerja_client_calls",
            "Calls to external services (each attempt), by service, operation and outcome",
            ["service", "operation", "outcome"],
        ),
        client_seconds=Histogram(
            "prakerja_client_call_duration_seconds",
            "Latency of one attempt of a call to an external service",
            ["service", "operation"],
            buckets=_LATENCY_BUCKETS,
        ),
        client_retries=Counter(
            "prakerja_client_retries",
            "Attempts repeated after a transient fault",
            ["service", "operation"],
        ),
        breaker_state=Gauge(
            "prakerja_client_breaker_state",
            "Circuit breaker per external service: 0 closed, 1 half open, 2 open"
            " (the worst of this host's processes)",
            ["service"],
            multiprocess_mode="livemax",
        ),
        otp_locks=Counter(
            "prakerja_otp_locks",
            "OTP requests or guesses refused because the guesses are locked",
            ["limit"],
        ),
        rate_limited=Counter(
            "prakerja_rate_limit_refusals",
            "Requests refused by a rate limit (429), by limit",
            ["limit"],
        ),
        loop_deaths=Counter(
            "prakerja_loop_deaths",
            "Background loops that died with an error (then restarted, or left stopped)",
            ["loop"],
        ),
    )


def events_written(type_names: list[str]) -> None:
    counter = families().events_written
    for name in type_names:
        counter.labels(bounded(name)).inc()


def verification_decided(stage: str, outcome: str, reasons: tuple[str, ...] = ()) -> None:
    counter = families().decisions
    for reason in reasons or ("none",):
        counter.labels(bounded(stage), bounded(outcome), bounded(reason)).inc()


def face_checked(outcome: str, seconds: float) -> None:
    found = families()
    found.face_checks.labels(bounded(outcome)).inc()
    found.face_seconds.observe(seconds)


def client_called(service: str, operation: str, outcome: str, seconds: float | None) -> None:
    found = families()
    found.client_calls.labels(bounded(service), bounded(operation), outcome).inc()
    if seconds is not None:
        found.client_seconds.labels(bounded(service), bounded(operation)).observe(seconds)


def client_retried(service: str, operation: str) -> None:
    families().client_retries.labels(bounded(service), bounded(operation)).inc()


def breaker_is(service: str, state: str) -> None:
    families().breaker_state.labels(bounded(service)).set(BREAKER_STATES.get(state, 2))


def otp_locked(limit: str) -> None:
    families().otp_locks.labels(bounded(limit)).inc()


def rate_limited(limit: str) -> None:
    families().rate_limited.labels(bounded(limit)).inc()


def loop_died(loop: str) -> None:
    families().loop_deaths.labels(bounded(loop)).inc()
