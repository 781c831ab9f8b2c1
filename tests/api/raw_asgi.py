"""A request with exactly the bytes given, for what the test client would re-encode
(its headers go out as UTF-8 of what it decoded, so invalid UTF-8 never arrives)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import anyio
from litestar import Litestar


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[bytes, bytes]
    body: bytes


def raw_request(
    app: Litestar,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes = b"",
    query: bytes = b"",
) -> RawResponse:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("203.0.113.9", 50000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    anyio.run(cast(Any, app), scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return RawResponse(start["status"], dict(start["headers"]), content)
