"""A finally rejected applicant over HTTP: nothing more to do, nothing accepted, nothing sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar.testing import TestClient

from prakerja.clients.education import EducationLevel
from prakerja.clients.fakes import FakeEducationRegistry
from prakerja.container import Container
from prakerja.domain.nik import Nik
from prakerja.domain.stages import Step
from prakerja.verification.runner import Outcome
from tests.api.test_registration_api import assert_problem
from tests.helpers import IDENTITY, staff_headers, verified_email
from tests.review.support import jpeg, run_all, runner_for

FAR_FUTURE = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def test_a_finally_rejected_case_refuses_every_command_and_sends_nothing(
    client: TestClient[Any], container: Container
) -> None:
    education = FakeEducationRegistry()
    education.enroll(Nik.parse(IDENTITY["nik"]), EducationLevel.UNIVERSITY)
    runner = runner_for(container, education)
    applicant_id, headers = verified_email(client, container.applicants)
    case = f"/v1/applicants/{applicant_id}"
    assert client.put(f"{case}/identity", json=IDENTITY, headers=headers).status_code == 202
    selfie = {"data": ("s.jpg", jpeg(), "image/jpeg")}
    assert client.put(f"{case}/selfie", files=selfie, headers=headers).status_code == 202
    assert runner.run(Step.VALIDATE_NIK, applicant_id) is Outcome.RECORDED
    assert runner.run(Step.CHECK_EDUCATION, applicant_id) is Outcome.RECORDED

    status = client.get(f"{case}/status", headers=headers).json()
    assert status["status"] == "rejected"
    assert status["next_actions"] == []

    refused = [
        client.put(f"{case}/identity", json=IDENTITY, headers=headers),
        client.put(f"{case}/selfie", files=selfie, headers=headers),
        client.post(f"{case}/phone/otp", json={"phone": "081234567890"}, headers=headers),
        client.post(f"{case}/phone/verification", json={"code": "123456"}, headers=headers),
    ]
    for response in refused:
        body = assert_problem(response, 409, "case_closed")
        assert body["stage"] == "education"
    assert container.photos.delete_expired(FAR_FUTURE) == 1  # the second selfie was not kept

    # The selfie uploaded before the rejection is never compared, so never reviewed.
    run_all(runner, applicant_id)
    assert container.applicants.get(applicant_id).outstanding_work() == []
    assert runner.services.sms.sent == []  # type: ignore[attr-defined]
    queue = client.get("/v1/reviews/queue", headers=staff_headers(client, "rina")).json()
    assert queue["entries"] == []
    face = client.get(f"{case}/status", headers=headers).json()["stages"][4]
    assert face["status"] == "pending"


def test_a_dispute_reopens_a_finally_rejected_case(
    client: TestClient[Any], container: Container
) -> None:
    education = FakeEducationRegistry()
    education.enroll(Nik.parse(IDENTITY["nik"]), EducationLevel.SCHOOL)
    runner = runner_for(container, education)
    applicant_id, headers = verified_email(client, container.applicants)
    case = f"/v1/applicants/{applicant_id}"
    assert client.put(f"{case}/identity", json=IDENTITY, headers=headers).status_code == 202
    run_all(runner, applicant_id)
    assert client.get(f"{case}/status", headers=headers).json()["next_actions"] == []

    statement = {"stage": "education", "statement": "I finished school in 2019."}
    assert client.post(f"{case}/disputes", json=statement, headers=headers).status_code == 202
    status = client.get(f"{case}/status", headers=headers).json()
    assert status["status"] == "in_review"
    assert status["next_actions"] == ["upload_selfie", "verify_phone"]
    otp = client.post(f"{case}/phone/otp", json={"phone": "081234567890"}, headers=headers)
    assert otp.status_code == 202, otp.text
