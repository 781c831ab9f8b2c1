"""Issue: a failed face check is retried with a new selfie alone, nothing else re-runs.

Through the HTTP API, the step runner and the real face_recognition layer. Uses the
astronaut photo shipped in scikit-image (never skipped) and, where the shared photos
folder exists, two different photos of the same person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
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
from prakerja.domain.stages import Step
from prakerja.verification.runner import Services, StepRunner
from prakerja.workers.verification import face_checker
from tests.face.derive import blurred, with_glasses
from tests.face.photos import astronaut, encode, faces_dir, fit, landmarks_of
from tests.helpers import IDENTITY, verified_email

BORN = dt.date.fromisoformat(IDENTITY["birth_date"])


def run_all(runner: StepRunner, applicant_id: Any) -> None:
    """What the dispatcher and workers do: run outstanding steps until none is left."""
    for _ in range(10):
        work = runner.applicants.get(applicant_id).outstanding_work()
        if not work:
            return
        for step in work:
            runner.run(step, applicant_id)


def scenario(
    client: TestClient[Any],
    container: Container,
    registry_photo: bytes,
    bad_selfie: bytes,
    good_selfie: bytes,
    reason: str,
) -> None:
    registry = FakeCivilRegistry(
        [
            RegistryRecord(
                IDENTITY["nik"],
                IDENTITY["kk_number"],
                IDENTITY["full_name"],
                BORN,
                IDENTITY["mother_maiden_name"],
                registry_photo,
            )
        ],
        today=dt.date(2026, 11, 21),
    )
    services = Services(
        FakeEmailService(),
        FakeSmsGateway(),
        registry,
        FakeEducationRegistry(),
        FakeExclusionRegistry(),
        container.photos,
        face=face_checker(container.settings),
    )
    runner = StepRunner(container.applicants, services)
    applicant_id, headers = verified_email(client, container.applicants)
    case = f"/v1/applicants/{applicant_id}"
    assert client.put(f"{case}/identity", json=IDENTITY, headers=headers).status_code == 202
    upload = client.put(
        f"{case}/selfie", files={"data": ("s.jpg", bad_selfie, "image/jpeg")}, headers=headers
    )
    assert upload.status_code == 202, upload.text
    run_all(runner, applicant_id)  # registry, education, exclusions, then the face

    status = client.get(f"{case}/status", headers=headers).json()
    face = status["stages"][4]
    assert face["status"] == "failed", face
    codes = [r["code"] for r in face["reasons"]]
    assert reason in codes, codes
    advice = next(r for r in face["reasons"] if r["code"] == reason)
    assert advice["message"]["id"] and advice["message"]["en"]
    assert advice["measured"] is not None and advice["threshold"] is not None
    assert "upload_new_selfie" in status["next_actions"]

    before = len(container.applicants.history(applicant_id))
    again = client.put(
        f"{case}/selfie", files={"data": ("s.jpg", good_selfie, "image/jpeg")}, headers=headers
    )
    assert again.status_code == 202
    assert container.applicants.get(applicant_id).outstanding_work() == [Step.CHECK_FACE]
    run_all(runner, applicant_id)

    history = client.get(f"{case}/history", headers=headers).json()["events"]
    after_retry = [e["event"] for e in history[before:]]
    assert after_retry == ["SelfieUploaded", "FaceMatched"]
    names = [e["event"] for e in history]
    assert names.count("NikValidated") == 1 and names.count("EducationChecked") == 1
    assert names.count("FaceMatchFailed") == 1
    matched = history[-1]
    assert matched["rules"] == ["face.match@face-2026.1"]
    assert (
        matched["evidence"]["distance"] <= matched["evidence"]["thresholds"]["accept_max_distance"]
    )


def test_selfie_only_retry_with_the_packaged_photo(
    client: TestClient[Any], container: Container
) -> None:
    photo = fit(astronaut(), 640)
    landmarks = landmarks_of(photo)
    scenario(
        client,
        container,
        registry_photo=encode(photo),
        bad_selfie=encode(blurred(photo, landmarks)),
        good_selfie=encode(photo),
        reason="blurry",
    )


def test_selfie_only_retry_with_two_photos_of_one_person(
    client: TestClient[Any], container: Container
) -> None:
    folder = faces_dir()
    if not folder.is_dir():
        pytest.skip(f"face photos folder not found at {folder}; set PRAKERJA_FACES_DIR")
    registry = fit(Image.open(folder / "rose_leslie_1.jpg").convert("RGB"), 800)
    selfie = fit(Image.open(folder / "rose_leslie_2.jpg").convert("RGB"), 800)
    scenario(
        client,
        container,
        registry_photo=encode(registry),
        bad_selfie=encode(with_glasses(selfie, landmarks_of(selfie))),
        good_selfie=encode(selfie),
        reason="glasses",
    )
