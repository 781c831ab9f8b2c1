"""Registration, logins and tokens over HTTP."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.helpers import register, staff_headers


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["status"] == status
    assert "Traceback" not in response.text
    return body


def test_register_returns_a_token_for_the_own_case(client: TestClient[Any]) -> None:
    applicant_id, headers = register(client)
    response = client.get(f"/v1/applicants/{applicant_id}/status", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "action_required"
    assert body["next_actions"] == [
        "verify_email",
        "submit_identity",
        "upload_selfie",
        "verify_phone",
    ]
    assert body["stages"][0] == {**body["stages"][0], "stage": "email", "status": "pending"}


def test_duplicate_email_is_409_whatever_the_case(client: TestClient[Any]) -> None:
    register(client, "budi@example.com")
    response = client.post(
        "/v1/applicants", json={"email": "BUDI@Example.com", "password": "rahasia-123"}
    )
    assert_problem(response, 409, "email_taken")


def test_bad_registrations_get_problem_details(client: TestClient[Any]) -> None:
    assert_problem(
        client.post("/v1/applicants", json={"email": "not-an-email", "password": "rahasia-123"}),
        422,
        "invalid_email",
    )
    assert_problem(
        client.post("/v1/applicants", json={"email": "a@example.com", "password": "short"}),
        422,
        "weak_password",
    )
    missing = assert_problem(
        client.post("/v1/applicants", json={"email": "a@example.com"}), 400, "invalid_request"
    )
    assert missing["errors"] == [{"message": "Field required", "key": "password"}]
    assert_problem(
        client.post(
            "/v1/applicants", content=b'{"email": "a@', headers={"content-type": "application/json"}
        ),
        400,
        "invalid_json",
    )
    assert_problem(
        client.post(
            "/v1/applicants", json={"email": "a@example.com", "password": "rahasia-123", "x": 1}
        ),
        400,
        "invalid_request",
    )


def test_login_with_right_and_wrong_password(client: TestClient[Any]) -> None:
    applicant_id, _ = register(client, "ani@example.com", "rahasia-123")
    ok = client.post("/v1/auth/token", json={"email": "ani@example.com", "password": "rahasia-123"})
    assert ok.status_code == 200 and ok.json()["subject"] == str(applicant_id)
    wrong = client.post(
        "/v1/auth/token", json={"email": "ani@example.com", "password": "nope-nope"}
    )
    assert_problem(wrong, 401, "invalid_credentials")
    unknown = client.post("/v1/auth/token", json={"email": "who@example.com", "password": "x" * 9})
    assert_problem(unknown, 401, "invalid_credentials")


def test_staff_login_gives_the_configured_role(client: TestClient[Any]) -> None:
    response = client.post(
        "/v1/staff/token", json={"username": "agus", "password": "staff-password-1"}
    )
    assert response.status_code == 200 and response.json()["role"] == "auditor"
    assert_problem(
        client.post("/v1/staff/token", json={"username": "agus", "password": "bad"}),
        401,
        "invalid_credentials",
    )
    assert staff_headers(client, "rina")


def test_missing_wrong_and_foreign_tokens(client: TestClient[Any]) -> None:
    applicant_id, headers = register(client, "a@example.com")
    other_id, other_headers = register(client, "b@example.com")
    assert_problem(client.get(f"/v1/applicants/{applicant_id}/status"), 401, "unauthorized")
    assert_problem(
        client.get(
            f"/v1/applicants/{applicant_id}/status", headers={"Authorization": "Bearer not.a.token"}
        ),
        401,
        "unauthorized",
    )
    assert_problem(
        client.get(f"/v1/applicants/{other_id}/status", headers=headers), 403, "forbidden"
    )
    assert_problem(
        client.get(f"/v1/applicants/{applicant_id}/history", headers=other_headers),
        403,
        "forbidden",
    )


def test_unknown_applicant_is_404_for_staff(client: TestClient[Any]) -> None:
    headers = staff_headers(client, "agus")
    response = client.get(
        "/v1/applicants/00000000-0000-4000-8000-000000000000/status", headers=headers
    )
    assert_problem(response, 404, "applicant_not_found")
    assert_problem(
        client.get("/v1/applicants/not-a-uuid/status", headers=headers), 404, "not_found"
    )


def test_role_not_allowed_is_403(client: TestClient[Any]) -> None:
    applicant_id, _ = register(client)
    finance = staff_headers(client, "sari")
    assert_problem(
        client.get(f"/v1/applicants/{applicant_id}/history", headers=finance), 403, "forbidden"
    )


def test_health_ready_and_openapi(client: TestClient[Any]) -> None:
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/ready").status_code == 200
    schema = client.get("/schema/openapi.json").json()
    assert "/v1/applicants/{applicant_id}/identity" in schema["paths"]
    assert client.get("/schema").status_code == 200
