"""A domain error's extra members never replace the RFC 9457 members of its problem."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get
from litestar.testing import TestClient

from prakerja.api.problems import EXCEPTION_HANDLERS
from prakerja.domain.review import ReviewClosed


@get("/closed")
async def closed() -> None:
    raise ReviewClosed("This review is decided.", status="decided", title="x", code="y")


def test_extras_named_like_standard_members_do_not_replace_them() -> None:
    app = Litestar([closed], exception_handlers=EXCEPTION_HANDLERS)
    with TestClient[Any](app=app) as client:
        answer = client.get("/closed")
    body = answer.json()
    assert answer.status_code == 409
    assert (body["status"], body["code"]) == (409, "y")
    assert body["title"] == "Y"
    assert body["type"].endswith("/y") and body["instance"] == "/closed"
