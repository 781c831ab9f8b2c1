"""What the review tests share: a clock to move, a face checker in the review band, and
cases brought to the queue the way workers bring them (the real step runner, fake
government services)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from uuid import UUID

from litestar.testing import TestClient
from PIL import Image

from prakerja.clients.fakes import (
    FakeCivilRegistry,
    FakeEducationRegistry,
    FakeEmailService,
    FakeExclusionRegistry,
    FakeSmsGateway,
    RegistryRecord,
)
from prakerja.container import Container
from prakerja.verification.face import FaceCheck
from prakerja.verification.runner import DelayPolicy, Services, StepRunner
from tests.helpers import IDENTITY, verified_email

BORN = dt.date.fromisoformat(IDENTITY["birth_date"])
REGISTRY_PHOTO = b"\xff\xd8registry-photo"
JUSTIFICATION = "Same face: the ears and the jaw line match; the selfie is only dark."


class Clock:
    """A clock the test moves; given to the application, the review desk and the limits."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class BandFace:
    """A face checker whose distance falls in the review band (between the two cuts)."""

    def check(self, selfie: bytes, reference: bytes) -> FaceCheck:
        return FaceCheck(
            "review",
            ({"code": "review_band", "measured": 0.55, "threshold": 0.5},),
            "face-2026.1",
            {
                "outcome": "review",
                "distance": 0.55,
                "thresholds": {"accept_max_distance": 0.5, "review_max_distance": 0.6},
                "policy_version": "face-2026.1",
                "timings_ms": {"match": 12.0},
            },
        )


def registry_record(nik: str = IDENTITY["nik"]) -> RegistryRecord:
    return RegistryRecord(
        nik,
        IDENTITY["kk_number"],
        IDENTITY["full_name"],
        BORN,
        IDENTITY["mother_maiden_name"],
        REGISTRY_PHOTO,
    )


def registry() -> FakeCivilRegistry:
    return FakeCivilRegistry([registry_record()], today=dt.date(2026, 11, 21))


def runner_for(container: Container, education: FakeEducationRegistry | None = None) -> StepRunner:
    services = Services(
        FakeEmailService(),
        FakeSmsGateway(),
        registry(),
        education or FakeEducationRegistry(),
        FakeExclusionRegistry(),
        container.photos,
        face=BandFace(),
    )
    return StepRunner(container.applicants, services, DelayPolicy(dt.timedelta(seconds=1)))


def run_all(runner: StepRunner, applicant_id: UUID) -> None:
    """What the dispatcher and workers do: run outstanding steps until none is left."""
    for _ in range(10):
        work = runner.applicants.get(applicant_id).outstanding_work()
        if not work:
            return
        for step in work:
            runner.run(step, applicant_id)


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 140, 120)).save(buffer, "JPEG")
    return buffer.getvalue()


def face_band_case(
    client: TestClient[Any], container: Container, email: str = "siti@example.com"
) -> tuple[UUID, dict[str, str]]:
    """An applicant whose face distance fell in the review band: flagged for review."""
    applicant_id, headers = verified_email(client, container.applicants, email)
    case = f"/v1/applicants/{applicant_id}"
    assert client.put(f"{case}/identity", json=IDENTITY, headers=headers).status_code == 202
    upload = client.put(
        f"{case}/selfie", files={"data": ("s.jpg", jpeg(), "image/jpeg")}, headers=headers
    )
    assert upload.status_code == 202, upload.text
    runner = runner_for(container)
    container.reviews.registry = runner.services.registry
    run_all(runner, applicant_id)
    status = client.get(f"{case}/status", headers=headers).json()
    assert status["status"] == "in_review", status
    return applicant_id, headers
