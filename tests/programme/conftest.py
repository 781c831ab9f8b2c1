"""Fixtures for the programme: a clock tests move, verified applicants made in bulk, waves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from litestar.testing import TestClient

from prakerja.api.app import create_app
from prakerja.application.applicants import Applicants
from prakerja.application.programme import Programme
from prakerja.clients.config import ClientConfig
from prakerja.clients.payments import HttpPaymentProvider
from prakerja.container import Container
from prakerja.domain.applicant import Applicant
from prakerja.domain.decisions import Decision
from prakerja.domain.identity import Identity
from prakerja.domain.rules import (
    EMAIL_OWNERSHIP,
    NOT_EXCLUDED,
    NOT_IN_SCHOOL,
    PHONE_OTP,
    REGISTRY_MATCH,
    Rule,
)
from prakerja.domain.wave import WaveSpec
from prakerja.simulators import FaultConfig, RunningSimulators, SimulatorConfig, start_in_background
from prakerja.simulators.config import PaymentBehaviour
from prakerja.workers.scheduler import build_programme
from tests.api.documented import DocumentedClient
from tests.simulator_fixtures import STARTUP_S

START = dt.datetime(2020, 4, 11, 1, 0, tzinfo=dt.UTC)
PROVINCES = ("32", "33", "35", "31", "94")


class SimulatedClock:
    """The one clock of a test: the programme, the scheduler and the payments read it."""

    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def nik_of(index: int) -> str:
    """A structurally valid NIK, unique for index < 279,972, province cycling over PROVINCES."""
    province = PROVINCES[index % len(PROVINCES)]
    serial = index % 9999 + 1
    day = 1 + (index // 9999) % 28
    return f"{province}0101{day:02d}0790{serial:04d}"


def phone_of(index: int) -> str:
    return f"+62812{index:08d}"


def _passed(rule: Rule) -> Decision:
    return Decision(passed=True, rules=(rule,), evidence={})


def verified_applicant(index: int, now: dt.datetime = START) -> Applicant:
    """An applicant who passed every layer, built through the aggregate's own commands."""
    applicant = Applicant(f"person{index}@example.com", "not-a-real-hash", "id")
    applicant.record_email_sent(1, f"m-{index}")
    applicant.verify_email(1, _passed(EMAIL_OWNERSHIP))
    identity, _ = Identity.parse(
        nik=nik_of(index),
        kk_number="3201010101010001",
        full_name=f"Peserta {index}",
        birth_date=dt.date(1990, 7, 1),
        mother_maiden_name="Sri",
    )
    applicant.submit_identity(identity, nik_agrees_with_birth_date=True, today=now.date())
    applicant.record_identity_check(1, _passed(REGISTRY_MATCH), f"photo-{index}")
    applicant.record_education_check(_passed(NOT_IN_SCHOOL))
    applicant.record_exclusion_check(_passed(NOT_EXCLUDED))
    applicant.upload_selfie(uuid4(), "0" * 64, "image/jpeg", 640, 480)
    applicant.record_face_check(1, _passed(Rule("face.match", 1)))
    applicant.request_otp(phone_of(index), now + dt.timedelta(minutes=5))
    applicant.verify_phone(now, 5, _passed(PHONE_OTP))
    return applicant


def save_verified(applicants: Applicants, indexes: Sequence[int], batch: int = 500) -> list[UUID]:
    """Many verified applicants, saved a batch per transaction."""
    ids: list[UUID] = []
    for start in range(0, len(indexes), batch):
        made = [verified_applicant(i) for i in indexes[start : start + batch]]
        applicants.save(*made)
        ids.extend(a.id for a in made)
    return ids


def wave_spec(number: int = 1, quota: int = 10, **changes: Any) -> WaveSpec:
    fields: dict[str, Any] = {
        "number": number,
        "opens_at": START,
        "closes_at": START + dt.timedelta(days=4),
        "quota": quota,
        "province_quotas": {},
        "priority_groups": {"laid_off": 1},
        "partitions": 8,
    }
    fields.update(changes)
    return WaveSpec(**fields)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def programme(container: Container, clock: SimulatedClock) -> Programme:
    built = build_programme(container, clock)
    container.programme = built
    return built


@pytest.fixture
def pg_programme(pg_container: Container, clock: SimulatedClock) -> Programme:
    built = build_programme(pg_container, clock)
    pg_container.programme = built
    return built


@pytest.fixture
def api(container: Container, programme: Programme) -> Iterator[TestClient[Any]]:
    """The HTTP API over the in-memory store, its programme on the test's clock."""
    with DocumentedClient(app=create_app(container), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def payment_service() -> Iterator[RunningSimulators]:
    """The simulators on free ports (the payment provider among them), fresh for each test."""
    with start_in_background(SimulatorConfig(population_size=20), timeout_s=STARTUP_S) as running:
        yield running


@pytest.fixture
def provider(payment_service: RunningSimulators) -> Iterator[HttpPaymentProvider]:
    config = ClientConfig(
        base_url=payment_service.urls.payments,
        read_timeout_s=0.25,
        retry_attempts=2,
        backoff_base_s=0.01,
        backoff_max_s=0.05,
        breaker_failure_threshold=1_000,
    )
    with HttpPaymentProvider(config) as client:
        yield client


class ProviderAdmin:
    """The payment simulator's admin endpoints: faults, behaviour, and its own books."""

    def __init__(self, url: str) -> None:
        self._http = httpx.Client(base_url=url, timeout=5)

    def misbehave(self, behaviour: PaymentBehaviour, faults: FaultConfig | None = None) -> None:
        self._http.put(
            "/_admin/payments/behaviour", json=behaviour.model_dump(mode="json")
        ).raise_for_status()
        faults = faults or FaultConfig()
        self._http.put("/_admin/faults", json=faults.model_dump(mode="json")).raise_for_status()

    def settle(self) -> int:
        return int(self._http.post("/_admin/payments/settle").json()["settled"])

    def payments(self) -> list[dict[str, Any]]:
        answer: list[dict[str, Any]] = self._http.get("/_admin/payments").json()
        return answer


@pytest.fixture
def provider_admin(payment_service: RunningSimulators) -> Iterator[ProviderAdmin]:
    admin = ProviderAdmin(payment_service.urls.payments)
    yield admin
    admin._http.close()


def trained_participants(
    programme: Programme, count: int, *, surveys: int = 3, extra: int = 0
) -> list[UUID]:
    """``count`` participants of wave 1 who bought, finished and reviewed a training now.

    ``extra`` more applicants join and are not selected. Everything goes through the
    programme's commands; the training facts are recorded as the webhook would.
    """
    indexes = range(10_000, 10_000 + count + extra)
    ids = save_verified(programme.applicants, indexes)
    now = programme.clock()
    programme.schedule_wave(
        wave_spec(1, count, opens_at=now, closes_at=now + dt.timedelta(days=4)), by="ops"
    )
    programme.open_wave(1, by="ops")
    for applicant_id in ids:
        programme.join_wave(applicant_id, 1, 75)
    programme.close_wave(1, by="ops")
    programme.issue_decree(1, "SK-9/KP/2020", now.date(), by="ops")
    programme.deliver_sks(1)
    named = programme.draw_record(1).selected
    for number, applicant_id in enumerate(named):
        applicant = programme.applicants.get(applicant_id)
        applicant.purchase_training(f"p:{number}", "p", "course", 700_000, now)
        applicant.complete_training(f"p:{number}", True, now)
        for survey in range(1, surveys + 1):
            applicant.complete_survey(survey, {"working": survey % 2 == 0}, now)
        programme.applicants.save(applicant)
    return list(named)
