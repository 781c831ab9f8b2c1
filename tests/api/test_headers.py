"""Headers the service reads arrive as any bytes; none of them makes a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.raw_asgi import raw_request


@pytest.fixture
def app(client: TestClient[Any]) -> Litestar:
    app: Litestar = client.app
    return app


@pytest.mark.parametrize(
    "request_id",
    [b"\xff\xfe", b"caf\xc3\xa9", b"a\x00b", b"a\x1b[31mb", b"x" * 100_000, b"a b"],
)
def test_a_request_id_that_is_not_a_plain_token_is_replaced(
    app: Litestar, request_id: bytes
) -> None:
    response = raw_request(app, "GET", "/health", [(b"x-request-id", request_id)])
    assert response.status == 200, response.body
    echoed = response.headers[b"x-request-id"]
    assert echoed != request_id and echoed.isascii() and 0 < len(echoed) <= 64


def test_a_plain_request_id_is_kept(app: Litestar) -> None:
    response = raw_request(app, "GET", "/health", [(b"x-request-id", b"req-42.a_b:c")])
    assert response.headers[b"x-request-id"] == b"req-42.a_b:c"


@pytest.mark.parametrize(
    "header",
    [
        (b"authorization", b"Bearer \xff\xfe"),
        (b"authorization", b"Bearer a\x00b"),
        (b"authorization", b"\xff"),
        (b"content-type", b"application/json; charset=\xff"),
        (b"x-prakerja-timestamp", b"\xd9\xa1\xd9\xa2"),
        (b"x-prakerja-signature", b"v1=\xff"),
    ],
)
def test_undecodable_headers_are_a_4xx_problem(app: Litestar, header: tuple[bytes, bytes]) -> None:
    for method, path in (("GET", "/v1/waves"), ("POST", "/v1/training/webhooks/skillhub")):
        headers = (
            [header]
            if header[0] == b"content-type"
            else [header, (b"content-type", b"application/json")]
        )
        response = raw_request(app, method, path, headers, body=b"{}")
        assert 400 <= response.status < 500, (path, response.body)
        assert response.headers[b"content-type"].startswith(b"application/problem+json")
        assert json.loads(response.body)["code"]
