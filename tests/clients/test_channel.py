"""Retries, timeouts, the breaker and error mapping, against httpx's in-memory transport."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator

import httpx
import pytest

from prakerja.clients import (
    BreakerState,
    CircuitOpen,
    ClientConfig,
    DeliveryStatus,
    HttpEmailService,
    HttpSmsGateway,
    ServiceContractError,
    SmsReceipt,
    TransientServiceFault,
)
from prakerja.domain.contact import EmailAddress, PhoneNumber

PHONE = PhoneNumber.parse("081234567890")
OK = httpx.Response(202, json={"message_id": "sms_1"})


class Script:
    """Answers requests in order from a list; records what it was sent."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _config(**changes: object) -> ClientConfig:
    settings: dict[str, object] = {
        "base_url": "http://sms.test",
        "retry_attempts": 3,
        "backoff_base_s": 0.1,
        "backoff_max_s": 2.0,
    }
    return ClientConfig.model_validate({**settings, **changes})


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def gateway(sleeps: Sleeps) -> Iterator[Callable[..., HttpSmsGateway]]:
    made: list[HttpSmsGateway] = []

    def make(script: Script, **changes: object) -> HttpSmsGateway:
        client = HttpSmsGateway(
            _config(**changes), transport=httpx.MockTransport(script), sleep=sleeps
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def _send(client: HttpSmsGateway) -> SmsReceipt:
    return client.send(PHONE, "Kode OTP: 1", idempotency_key="otp-1")


def test_a_success_sends_the_message_once(gateway: Callable[..., HttpSmsGateway]) -> None:
    script = Script(OK)

    assert _send(gateway(script)) == SmsReceipt("sms_1")
    assert len(script.requests) == 1
    assert script.requests[0].read() == (
        b'{"to":"+6281234567890","text":"Kode OTP: 1","idempotency_key":"otp-1"}'
    )


@pytest.mark.parametrize("status", [502, 503, 504])
def test_transient_statuses_are_retried_with_capped_backoff(
    gateway: Callable[..., HttpSmsGateway],
    sleeps: Sleeps,
    status: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Full jitter below a bound that doubles from backoff_base_s (0.1 s) up to
    backoff_max_s (0.25 s here, so that the cap is reached within five retries)."""
    bounds = [0.1, 0.2, 0.25, 0.25, 0.25]
    changes = {"retry_attempts": 5, "backoff_max_s": 0.25, "breaker_failure_threshold": 10}

    def five_faults_then_ok() -> Script:
        return Script(*[httpx.Response(status)] * 5, OK)

    script = five_faults_then_ok()
    assert _send(gateway(script, **changes)) == SmsReceipt("sms_1")
    assert len(script.requests) == 6
    assert len(sleeps) == 5
    assert all(0 <= s <= bound for s, bound in zip(sleeps, bounds, strict=True)), sleeps

    # With the jitter drawn at its top, each wait is exactly its bound.
    sleeps.clear()
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    assert _send(gateway(five_faults_then_ok(), **changes)) == SmsReceipt("sms_1")
    assert sleeps == pytest.approx(bounds)


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectTimeout("slow"),
        httpx.RemoteProtocolError("hung up"),
    ],
)
def test_connection_faults_are_retried(
    gateway: Callable[..., HttpSmsGateway], error: Exception
) -> None:
    script = Script(error, OK)

    assert _send(gateway(script)) == SmsReceipt("sms_1")
    assert len(script.requests) == 2


def test_persistent_faults_end_in_a_transient_fault(
    gateway: Callable[..., HttpSmsGateway],
) -> None:
    script = Script(httpx.Response(503))

    with pytest.raises(TransientServiceFault) as raised:
        _send(gateway(script, breaker_failure_threshold=10))

    assert raised.value.status == 503
    assert len(script.requests) == 4  # the first call and 3 retries


@pytest.mark.parametrize("status", [400, 401, 404, 409, 422, 500])
def test_other_errors_are_contract_errors_and_not_retried(
    gateway: Callable[..., HttpSmsGateway], status: int
) -> None:
    problem = {"status": status, "code": "invalid_phone", "title": "no"}
    script = Script(httpx.Response(status, json=problem))
    client = gateway(script)

    with pytest.raises(ServiceContractError) as raised:
        _send(client)

    assert (raised.value.status, raised.value.code) == (status, "invalid_phone")
    assert len(script.requests) == 1
    assert client.breaker_state is BreakerState.CLOSED


def test_an_answer_of_the_wrong_shape_is_a_contract_error(
    gateway: Callable[..., HttpSmsGateway],
) -> None:
    script = Script(httpx.Response(200, json={"id": 1}), httpx.Response(200, content=b"<html>"))
    client = gateway(script)

    for _ in range(2):
        with pytest.raises(ServiceContractError):
            _send(client)
    assert len(script.requests) == 2


def test_429_waits_as_long_as_retry_after_says(
    gateway: Callable[..., HttpSmsGateway], sleeps: Sleeps
) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "1.5"}), OK)

    assert _send(gateway(script)) == SmsReceipt("sms_1")
    assert sleeps == [1.5]


def test_a_retry_after_longer_than_we_would_wait_ends_the_retries(
    gateway: Callable[..., HttpSmsGateway], sleeps: Sleeps
) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "120"}), OK)

    with pytest.raises(TransientServiceFault) as raised:
        _send(gateway(script))

    assert raised.value.retry_after_s == 120
    assert sleeps == []
    assert len(script.requests) == 1


def test_retry_after_may_be_an_http_date(
    gateway: Callable[..., HttpSmsGateway], sleeps: Sleeps
) -> None:
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    script = Script(httpx.Response(429, headers={"Retry-After": past}), OK)

    assert _send(gateway(script)) == SmsReceipt("sms_1")
    assert sleeps == [0.0]


def test_the_breaker_opens_and_then_fails_fast_without_calling(
    gateway: Callable[..., HttpSmsGateway],
) -> None:
    script = Script(httpx.Response(503))
    client = gateway(script, retry_attempts=1, breaker_failure_threshold=3, breaker_reset_s=60)

    with pytest.raises(TransientServiceFault):
        _send(client)  # two failures
    with pytest.raises(CircuitOpen):
        _send(client)  # the third opens the circuit; the retry is refused
    calls = len(script.requests)
    with pytest.raises(CircuitOpen) as raised:
        _send(client)

    assert calls == 3
    assert len(script.requests) == calls
    assert client.breaker_state is BreakerState.OPEN
    assert raised.value.retry_after_s is not None and 59 < raised.value.retry_after_s <= 60


def test_logs_hold_no_personal_data(
    gateway: Callable[..., HttpSmsGateway], caplog: pytest.LogCaptureFixture, sleeps: Sleeps
) -> None:
    caplog.set_level(logging.DEBUG, logger="prakerja.clients")
    script = Script(httpx.Response(503), OK)
    email = HttpEmailService(
        _config(base_url="http://email.test"),
        transport=httpx.MockTransport(
            lambda _: httpx.Response(202, json={"message_id": "m", "status": "bounced"})
        ),
        sleep=sleeps,
    )

    _send(gateway(script))
    receipt = email.send(
        EmailAddress.parse("siti.rahma77@gmail.com"), "s", "b", idempotency_key="k"
    )
    email.close()

    assert receipt.status is DeliveryStatus.BOUNCED
    records = [r for r in caplog.records if r.name == "prakerja.clients"]
    assert {getattr(r, "status", None) for r in records} >= {503, 202}
    assert any(getattr(r, "attempt", None) == 2 for r in records)
    for record in records:
        text = record.getMessage()
        assert "81234567890" not in text and "siti" not in text and "OTP" not in text
        assert "sms" in text or "email" in text


def _sample(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_calls_retries_and_the_breaker_are_counted(
    gateway: Callable[..., HttpSmsGateway],
) -> None:
    labels = {"service": "sms", "operation": "send"}
    before = {
        outcome: _sample("prakerja_client_calls_total", **labels, outcome=outcome)
        for outcome in ("ok", "transient", "circuit_open")
    }
    retries = _sample("prakerja_client_retries_total", **labels)
    latencies = _sample("prakerja_client_call_duration_seconds_count", **labels)

    _send(gateway(Script(httpx.Response(503), OK)))
    assert _sample("prakerja_client_calls_total", **labels, outcome="transient") == (
        before["transient"] + 1
    )
    assert _sample("prakerja_client_calls_total", **labels, outcome="ok") == before["ok"] + 1
    assert _sample("prakerja_client_retries_total", **labels) == retries + 1
    assert _sample("prakerja_client_call_duration_seconds_count", **labels) == latencies + 2
    assert _sample("prakerja_client_breaker_state", service="sms") == 0

    broken = gateway(Script(httpx.Response(503)), breaker_failure_threshold=2, retry_attempts=0)
    for _ in range(3):
        with pytest.raises(TransientServiceFault):
            _send(broken)
    assert _sample("prakerja_client_breaker_state", service="sms") == 2
    assert _sample("prakerja_client_calls_total", **labels, outcome="circuit_open") == (
        before["circuit_open"] + 1
    )
