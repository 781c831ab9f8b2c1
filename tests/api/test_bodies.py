"""A body that cannot be decoded is a 400 problem ``invalid_json``, whichever route gets it."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api.test_registration_api import assert_problem
from tests.helpers import register

JSON = {"content-type": "application/json"}
DEEP = b"[" * 10_000 + b"]" * 10_000

UNDECODABLE = {
    "invalid UTF-8 in a value": b'{"email": "\xff\xfe@example.com", "password": "rahasia-123"}',
    "invalid UTF-8 in a key": b'{"\xc3": "x", "password": "rahasia-123"}',
    "invalid UTF-8 alone": b"\xff",
    "nested 10,000 levels": DEEP,
    "nested 10,000 levels in a field": b'{"email": ' + DEEP + b', "password": "rahasia-123"}',
    "a lone surrogate": b'{"email": "\\ud800", "password": "rahasia-123"}',
}


@pytest.mark.parametrize("body", UNDECODABLE.values(), ids=UNDECODABLE.keys())
@pytest.mark.parametrize("route", ["registration", "identity"])
def test_an_undecodable_body_is_a_400_problem(
    client: TestClient[Any], body: bytes, route: str
) -> None:
    # Registration is rate-limited by the email in its body (its guard reads the body
    # first); the identity route is not.
    if route == "registration":
        response = client.post("/v1/applicants", content=body, headers=JSON)
    else:
        applicant_id, headers = register(client)
        url = f"/v1/applicants/{applicant_id}/identity"
        response = client.put(url, content=body, headers={**headers, **JSON})
    assert_problem(response, 400, "invalid_json")


def test_a_body_over_the_limit_is_a_413_problem(client: TestClient[Any]) -> None:
    body = b'{"email": "' + b"a" * (1024 * 1024) + b'", "password": "rahasia-123"}'
    assert_problem(
        client.post("/v1/applicants", content=body, headers=JSON), 413, "payload_too_large"
    )
