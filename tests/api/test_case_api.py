"""An applicant's case over HTTP: identity, selfie, phone, status, history, state as of."""

from __future__ import annotations

import datetime as dt
import io
import time
from typing import Any

from litestar.testing import TestClient
from PIL import Image

from prakerja.container import Container
from prakerja.domain.decisions import Decision, Reason
from prakerja.domain.rules import REGISTRY_MATCH
from tests.api.test_registration_api import assert_problem
from tests.helpers import IDENTITY, register, staff_headers, verified_email
from tests.review.support import Clock


def jpeg(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (180, 140, 120)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_identity_before_email_verification_is_409(client: TestClient[Any]) -> None:
    applicant_id, headers = register(client)
    response = client.put(f"/v1/applicants/{applicant_id}/identity", json=IDENTITY, headers=headers)
    assert_problem(response, 409, "email_not_verified")


def test_identity_accepted_and_typo_flagged(client: TestClient[Any], container: Container) -> None:
    applicant_id, headers = verified_email(client, container.applicants)
    typo = {**IDENTITY, "birth_date": "1990-07-16"}
    response = client.put(f"/v1/applicants/{applicant_id}/identity", json=typo, headers=headers)
    assert response.status_code == 202, response.text
    warning = response.json()["warnings"][0]
    assert warning["code"] == "nik_birth_date_mismatch"
    assert warning["message"]["en"].startswith("The date inside the NIK")
    status = client.get(f"/v1/applicants/{applicant_id}/status", headers=headers).json()
    assert status["stages"][1]["status"] == "pending"


def test_an_applicant_under_18_on_the_programme_day_is_refused_at_once(
    client: TestClient[Any], container: Container
) -> None:
    applicant_id, headers = verified_email(client, container.applicants)
    clock = Clock(dt.datetime(2026, 5, 16, 16, 30, tzinfo=dt.UTC))  # 23:30 in Jakarta
    container.applicants.clock = clock
    url = f"/v1/applicants/{applicant_id}/identity"
    born = {**IDENTITY, "birth_date": "2008-05-17"}  # 18 on 17 May 2026
    body = assert_problem(client.put(url, json=born, headers=headers), 422, "under_minimum_age")
    assert body["minimum_age"] == 18 and "2008" not in str(body)
    status = client.get(f"/v1/applicants/{applicant_id}/status", headers=headers).json()
    assert status["stages"][1]["status"] == "not_started"  # nothing recorded, nothing to check
    clock.advance(hours=1)  # 00:30 on the 17th in Jakarta, still the 16th in UTC
    assert client.put(url, json=born, headers=headers).status_code == 202


def test_malformed_and_impossible_niks(client: TestClient[Any], container: Container) -> None:
    applicant_id, headers = verified_email(client, container.applicants)
    url = f"/v1/applicants/{applicant_id}/identity"
    for nik, code in [
        ("12345", "nik_malformed"),
        ("9901015507900001", "nik_unknown_province"),
        ("3201013202900001", "nik_impossible_date"),
    ]:
        body = assert_problem(
            client.put(url, json={**IDENTITY, "nik": nik}, headers=headers), 422, code
        )
        assert nik not in str(body)  # the NIK is not echoed back
    bad_date = client.put(url, json={**IDENTITY, "birth_date": "1990-13-45"}, headers=headers)
    assert_problem(bad_date, 400, "invalid_request")


def test_duplicate_nik_is_409_and_correction_releases_it(
    client: TestClient[Any], container: Container
) -> None:
    first, first_headers = verified_email(client, container.applicants, "a@example.com")
    second, second_headers = verified_email(client, container.applicants, "b@example.com")
    assert (
        client.put(
            f"/v1/applicants/{first}/identity", json=IDENTITY, headers=first_headers
        ).status_code
        == 202
    )
    taken = client.put(f"/v1/applicants/{second}/identity", json=IDENTITY, headers=second_headers)
    assert_problem(taken, 409, "nik_taken")
    # The first applicant had mistyped: the correction frees the NIK for its owner.
    corrected = {**IDENTITY, "nik": "3201015507900002"}
    assert (
        client.put(
            f"/v1/applicants/{first}/identity", json=corrected, headers=first_headers
        ).status_code
        == 202
    )
    assert (
        client.put(
            f"/v1/applicants/{second}/identity", json=IDENTITY, headers=second_headers
        ).status_code
        == 202
    )


def test_rejected_identity_shows_reason_in_both_languages_and_can_be_corrected(
    client: TestClient[Any], container: Container
) -> None:
    applicant_id, headers = verified_email(client, container.applicants)
    assert (
        client.put(
            f"/v1/applicants/{applicant_id}/identity", json=IDENTITY, headers=headers
        ).status_code
        == 202
    )
    applicant = container.applicants.get(applicant_id)
    applicant.record_identity_check(
        1,
        Decision(
            False, (REGISTRY_MATCH,), {"found": True}, (Reason("mother_maiden_name_mismatch"),)
        ),
        None,
    )
    container.applicants.save(applicant)
    status = client.get(f"/v1/applicants/{applicant_id}/status", headers=headers).json()
    assert status["status"] == "action_required"
    assert "correct_identity" in status["next_actions"]
    reason = status["stages"][1]["reasons"][0]
    assert reason["code"] == "mother_maiden_name_mismatch"
    assert reason["message"]["id"].startswith("Nama ibu kandung")
    assert reason["message"]["en"].startswith("The mother's maiden name")
    fixed = client.put(
        f"/v1/applicants/{applicant_id}/identity",
        json={**IDENTITY, "mother_maiden_name": "Sri Wahyuningsih"},
        headers=headers,
    )
    assert fixed.status_code == 202
    history = client.get(f"/v1/applicants/{applicant_id}/history", headers=headers).json()
    names = [e["event"] for e in history["events"]]
    assert names.count("IdentitySubmitted") == 2 and names.count("EmailVerified") == 1


def test_selfie_upload_limits(client: TestClient[Any], container: Container) -> None:
    applicant_id, headers = verified_email(client, container.applicants)
    url = f"/v1/applicants/{applicant_id}/selfie"
    early = client.put(url, files={"data": ("s.jpg", jpeg(), "image/jpeg")}, headers=headers)
    assert_problem(early, 409, "identity_not_submitted")
    assert (
        client.put(
            f"/v1/applicants/{applicant_id}/identity", json=IDENTITY, headers=headers
        ).status_code
        == 202
    )
    ok = client.put(url, files={"data": ("s.jpg", jpeg(), "image/jpeg")}, headers=headers)
    assert ok.status_code == 202, ok.text
    text = client.put(
        url, files={"data": ("s.txt", b"hello, not an image", "text/plain")}, headers=headers
    )
    assert_problem(text, 415, "unsupported_image")
    corrupt = client.put(
        url, files={"data": ("s.jpg", jpeg()[:200], "image/jpeg")}, headers=headers
    )
    assert corrupt.status_code == 415 and corrupt.json()["code"] == "corrupt_image"
    huge = client.put(
        url,
        files={"data": ("s.jpg", b"\xff\xd8" + b"0" * (9 * 1024 * 1024), "image/jpeg")},
        headers=headers,
    )
    assert_problem(huge, 413, "payload_too_large")
    history = client.get(f"/v1/applicants/{applicant_id}/history", headers=headers).json()
    uploads = [e for e in history["events"] if e["event"] == "SelfieUploaded"]
    assert len(uploads) == 1 and len(uploads[0]["data"]["sha256"]) == 64


def test_a_selfie_form_without_its_file_is_a_400_problem(
    client: TestClient[Any], container: Container
) -> None:
    applicant_id, headers = verified_email(client, container.applicants)
    assert (
        client.put(
            f"/v1/applicants/{applicant_id}/identity", json=IDENTITY, headers=headers
        ).status_code
        == 202
    )
    url = f"/v1/applicants/{applicant_id}/selfie"
    for form in (
        {"data": (None, b"not a file")},  # a plain field, not a file
        {"photo": ("s.jpg", jpeg(), "image/jpeg")},  # a file, under another name
        {f"x{i}": (None, b"y") for i in range(900)},
    ):
        assert_problem(client.put(url, files=form, headers=headers), 400, "invalid_request")
    ok = client.put(url, files={"data": ("s.jpg", jpeg(), "image/jpeg")}, headers=headers)
    assert ok.status_code == 202, ok.text


def test_phone_otp_round_trip(client: TestClient[Any], container: Container) -> None:
    applicant_id, headers = verified_email(client, container.applicants)
    base = f"/v1/applicants/{applicant_id}/phone"
    assert_problem(
        client.post(f"{base}/otp", json={"phone": "021 555 1234"}, headers=headers),
        422,
        "invalid_phone",
    )
    assert_problem(
        client.post(f"{base}/verification", json={"code": "123456"}, headers=headers),
        409,
        "otp_not_requested",
    )
    assert (
        client.post(f"{base}/otp", json={"phone": "0812 3456 7890"}, headers=headers).status_code
        == 202
    )
    code = container.applicants.codes.otp(applicant_id, "+6281234567890", 1)
    guess = "000000" if code != "000000" else "000001"
    wrong = client.post(f"{base}/verification", json={"code": guess}, headers=headers)
    # A wrong code is not a failed sign-in: the session stays good (a 401 would end it).
    assert_problem(wrong, 422, "otp_incorrect")
    ok = client.post(f"{base}/verification", json={"code": code}, headers=headers)
    assert ok.status_code == 200, ok.text
    status = client.get(f"/v1/applicants/{applicant_id}/status", headers=headers).json()
    assert status["stages"][5]["status"] == "passed"


def test_phone_already_held_by_someone_else(client: TestClient[Any], container: Container) -> None:
    first, first_headers = verified_email(client, container.applicants, "a@example.com")
    second, second_headers = verified_email(client, container.applicants, "b@example.com")
    client.post(
        f"/v1/applicants/{first}/phone/otp", json={"phone": "081234567890"}, headers=first_headers
    )
    code = container.applicants.codes.otp(first, "+6281234567890", 1)
    client.post(
        f"/v1/applicants/{first}/phone/verification", json={"code": code}, headers=first_headers
    )
    taken = client.post(
        f"/v1/applicants/{second}/phone/otp",
        json={"phone": "+6281234567890"},
        headers=second_headers,
    )
    assert_problem(taken, 409, "phone_taken")


def test_history_and_state_as_of(client: TestClient[Any], container: Container) -> None:
    applicant_id, headers = verified_email(client, container.applicants)
    time.sleep(0.01)
    between = dt.datetime.now(dt.UTC)
    time.sleep(0.01)
    assert (
        client.put(
            f"/v1/applicants/{applicant_id}/identity", json=IDENTITY, headers=headers
        ).status_code
        == 202
    )
    auditor = staff_headers(client, "agus")
    history = client.get(f"/v1/applicants/{applicant_id}/history", headers=auditor).json()
    events = history["events"]
    assert [e["event"] for e in events] == [
        "Registered",
        "EmailVerificationSent",
        "EmailVerified",
        "IdentitySubmitted",
    ]
    assert events[2]["rules"] == ["email.link-token@1"]
    assert events[2]["decided_by"] == "applicant"
    assert "password_hash" not in events[0]["data"]
    assert events[3]["data"]["nik"] == IDENTITY["nik"]  # auditors see personal data
    reviewer = staff_headers(client, "rina")
    assert_problem(
        client.get(f"/v1/applicants/{applicant_id}/history", headers=reviewer), 403, "forbidden"
    )
    then = client.get(
        f"/v1/applicants/{applicant_id}/state", params={"at": between.isoformat()}, headers=auditor
    ).json()
    assert then["version"] == 3
    assert then["stages"][1]["status"] == "not_started"
    by_version = client.get(
        f"/v1/applicants/{applicant_id}/state", params={"version": 1}, headers=auditor
    ).json()
    assert by_version["stages"][0]["status"] == "pending"
    before = client.get(
        f"/v1/applicants/{applicant_id}/state",
        params={"at": "2000-01-01T00:00:00Z"},
        headers=auditor,
    )
    assert_problem(before, 404, "not_yet_registered")
    assert_problem(
        client.get(f"/v1/applicants/{applicant_id}/state", params={"version": 0}, headers=auditor),
        400,
        "invalid_request",
    )
    beyond = client.get(
        f"/v1/applicants/{applicant_id}/state", params={"version": 5}, headers=auditor
    )
    assert assert_problem(beyond, 404, "version_not_found")["latest_version"] == 4
    last = client.get(
        f"/v1/applicants/{applicant_id}/state", params={"version": 4}, headers=auditor
    )
    assert last.status_code == 200 and last.json()["version"] == 4


def test_email_verification_with_a_bad_token(client: TestClient[Any], container: Container) -> None:
    applicant_id, _ = register(client)
    response = client.post(
        f"/v1/applicants/{applicant_id}/email/verification", json={"token": "1.forged"}
    )
    assert_problem(response, 401, "invalid_email_token")


def test_a_non_ascii_email_token_is_refused_like_a_forged_one(client: TestClient[Any]) -> None:
    applicant_id, _ = register(client)
    url = f"/v1/applicants/{applicant_id}/email/verification"
    for token in ("1.ééé", "\u0661.forged", "².forged"):
        assert_problem(client.post(url, json={"token": token}), 401, "invalid_email_token")


def test_a_non_ascii_otp_code_is_refused_like_a_wrong_one(
    client: TestClient[Any], container: Container
) -> None:
    applicant_id, headers = verified_email(client, container.applicants)
    base = f"/v1/applicants/{applicant_id}/phone"
    sent = client.post(f"{base}/otp", json={"phone": "0812 3456 7890"}, headers=headers)
    assert sent.status_code == 202, sent.text
    code = container.applicants.codes.otp(applicant_id, "+6281234567890", 1)
    wrong = client.post(f"{base}/verification", json={"code": "x" * 6}, headers=headers)
    arabic = "".join(chr(0x0660 + int(d)) for d in code)
    for offered in (arabic, code[:5] + "é"):
        answer = client.post(f"{base}/verification", json={"code": offered}, headers=headers)
        assert_problem(answer, wrong.status_code, wrong.json()["code"])
