"""One HTTP channel to one service: timeouts, retries of transient faults, a circuit breaker.

Retries use ``tenacity`` (exponential backoff with full jitter, or the server's
Retry-After when it is no longer than ``backoff_max_s``). Only transient faults are
retried: connect errors, timeouts, 502/503/504 and 429. Logs carry the service, the
operation, the status, the attempt and the latency, never a URL or a body (they can
hold personal data).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import pydantic
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base, wait_random_exponential

from prakerja.clients.breaker import BreakerState, CircuitBreaker
from prakerja.clients.config import ClientConfig
from prakerja.clients.errors import CircuitOpen, ServiceContractError, TransientServiceFault
from prakerja.metrics import families as metrics

logger = logging.getLogger("prakerja.clients")

T = TypeVar("T")

_TRANSIENT_STATUSES = {429, 502, 503, 504}
_TRANSIENT_ERRORS = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)


class _BackoffOrRetryAfter(wait_base):
    def __init__(self, base_s: float, max_s: float) -> None:
        self._backoff = wait_random_exponential(multiplier=base_s, max=max_s)

    def __call__(self, retry_state: RetryCallState) -> float:
        fault = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(fault, TransientServiceFault) and fault.retry_after_s is not None:
            return fault.retry_after_s
        return float(self._backoff(retry_state))


_CHANNELS: weakref.WeakSet[ServiceChannel] = weakref.WeakSet()
_WORST_FIRST = (BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED)


def breaker_states() -> dict[str, BreakerState]:
    """Each external service this process talks to, and its breaker (the worst, if several
    channels lead to it): what ``/ready`` shows."""
    states: dict[str, BreakerState] = {}
    for channel in list(_CHANNELS):
        known = states.get(channel.service)
        state = channel.breaker_state
        if known is None or _WORST_FIRST.index(state) < _WORST_FIRST.index(known):
            states[channel.service] = state
    return states


class ServiceChannel:
    """Synchronous and thread-safe: one per service per process (it pools connections)."""

    def __init__(
        self,
        service: str,
        config: ClientConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self._config = config
        self._client = httpx.Client(
            base_url=config.base_url,
            timeout=httpx.Timeout(config.read_timeout_s, connect=config.connect_timeout_s),
            transport=transport,
        )
        self._breaker = CircuitBreaker(
            failure_threshold=config.breaker_failure_threshold,
            reset_s=config.breaker_reset_s,
            clock=clock,
        )
        self._retrying = Retrying(
            stop=stop_after_attempt(config.retry_attempts + 1),
            wait=_BackoffOrRetryAfter(config.backoff_base_s, config.backoff_max_s),
            retry=retry_if_exception(self._worth_retrying),
            reraise=True,
            sleep=sleep,
            before_sleep=self._log_retry,
        )
        _CHANNELS.add(self)

    @property
    def breaker_state(self) -> BreakerState:
        return self._breaker.state

    def close(self) -> None:
        _CHANNELS.discard(self)
        self._client.close()

    def post_json(
        self, operation: str, path: str, body: dict[str, Any], answer: pydantic.TypeAdapter[T]
    ) -> T:
        response = self._call(operation, "POST", path, body)
        try:
            return answer.validate_json(response.content)
        except pydantic.ValidationError:
            raise ServiceContractError(
                self.service, operation, "unexpected answer", status=response.status_code
            ) from None

    def get_bytes(self, operation: str, path: str) -> bytes:
        return self._call(operation, "GET", path, None).content

    def _call(
        self, operation: str, method: str, path: str, body: dict[str, Any] | None
    ) -> httpx.Response:
        for attempt in self._retrying.copy():
            with attempt:
                number = attempt.retry_state.attempt_number
                if number > 1:
                    metrics.client_retried(self.service, operation)
                return self._attempt(operation, method, path, body, number)
        raise RuntimeError("the retry loop ended without an outcome")  # pragma: no cover

    def _attempt(
        self, operation: str, method: str, path: str, body: dict[str, Any] | None, number: int
    ) -> httpx.Response:
        wait_s = self._breaker.admit()
        if wait_s is not None:
            metrics.client_called(self.service, operation, "circuit_open", None)
            raise CircuitOpen(self.service, operation, "circuit open", retry_after_s=wait_s)
        started = time.perf_counter()
        try:
            response = self._exchange(operation, method, path, body)
        except TransientServiceFault as fault:
            self._breaker.record_failure()
            self._observe(operation, "transient", started)
            self._log(logging.WARNING, operation, fault.status or "-", number, started)
            raise
        except ServiceContractError as error:
            self._breaker.record_success()  # it answered: the service is up
            self._observe(operation, "contract_error", started)
            self._log(logging.WARNING, operation, error.status or "-", number, started)
            raise
        self._breaker.record_success()
        self._observe(operation, "ok", started)
        self._log(logging.DEBUG, operation, response.status_code, number, started)
        return response

    def _observe(self, operation: str, outcome: str, started: float) -> None:
        metrics.client_called(self.service, operation, outcome, time.perf_counter() - started)
        metrics.breaker_is(self.service, self._breaker.state.value)

    def _exchange(
        self, operation: str, method: str, path: str, body: dict[str, Any] | None
    ) -> httpx.Response:
        try:
            response = self._client.request(method, path, json=body)
        except _TRANSIENT_ERRORS as error:
            raise TransientServiceFault(self.service, operation, type(error).__name__) from None
        except httpx.HTTPError as error:
            raise ServiceContractError(self.service, operation, type(error).__name__) from None
        status = response.status_code
        if status in _TRANSIENT_STATUSES:
            raise TransientServiceFault(
                self.service,
                operation,
                f"HTTP {status}",
                status=status,
                retry_after_s=_retry_after(response),
            )
        if not response.is_success:
            raise ServiceContractError(
                self.service,
                operation,
                f"HTTP {status}",
                status=status,
                code=_problem_code(response),
            )
        return response

    def _worth_retrying(self, error: BaseException) -> bool:
        if not isinstance(error, TransientServiceFault) or isinstance(error, CircuitOpen):
            return False
        return error.retry_after_s is None or error.retry_after_s <= self._config.backoff_max_s

    def _log_retry(self, retry_state: RetryCallState) -> None:
        wait_s = retry_state.next_action.sleep if retry_state.next_action else 0.0
        logger.info(
            "%s: retrying after attempt %d in %.3f s",
            self.service,
            retry_state.attempt_number,
            wait_s,
            extra={"service": self.service, "attempt": retry_state.attempt_number},
        )

    def _log(
        self, level: int, operation: str, status: int | str, attempt: int, started: float
    ) -> None:
        latency_ms = (time.perf_counter() - started) * 1000.0
        logger.log(
            level,
            "%s.%s status=%s attempt=%d latency_ms=%.1f",
            self.service,
            operation,
            status,
            attempt,
            latency_ms,
            extra={
                "service": self.service,
                "operation": operation,
                "status": status,
                "attempt": attempt,
                "latency_ms": latency_ms,
            },
        )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _problem_code(response: httpx.Response) -> str | None:
    try:
        problem = response.json()
    except ValueError:
        return None
    code = problem.get("code") if isinstance(problem, dict) else None
    return code if isinstance(code, str) else None
