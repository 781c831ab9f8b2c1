"""The HTTP client of simulation runs and load benchmarks: aiohttp, for its cost per request.

On this 2-core machine the load generator shares the CPU with the service it measures.
httpx's async client spent 2 ms of CPU per request at low concurrency and 5-6 ms with
hundreds of requests in flight (its connection pool scans its connections); aiohttp
spent 0.3 ms on the same requests. A driver costing more CPU than the API it drives
would measure itself.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

CONFLICT_RESENDS = 5
"""How many times a command is sent when the API answers 409 ``concurrent_update``."""


def is_concurrent_update(status: int, text: str) -> bool:
    """The API's answer when a case kept changing under a command: nothing was written."""
    if status != 409:
        return False
    try:
        body = json.loads(text)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("code") == "concurrent_update"


@dataclass(frozen=True)
class Reply:
    status: int
    text: str
    content_type: str
    method: str
    path: str

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None

    @property
    def code(self) -> str | None:
        """The ``code`` of a problem-details answer, if it is one."""
        if not self.content_type.endswith("json"):
            return None
        body = self.json()
        return body.get("code") if isinstance(body, dict) else None


@dataclass(frozen=True)
class Upload:
    field: str
    filename: str
    content: bytes
    content_type: str


class Client:
    """One connection pool for a run; use with ``async with``."""

    def __init__(self, max_connections: int = 256, timeout_s: float = 60.0) -> None:
        self._connections = max_connections
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=10.0)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Client:
        connector = aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=30.0)
        self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        upload: Upload | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Send one request and read the whole answer. Raises :class:`TransportFault`.

        A command the API could not apply because the case kept changing under it
        (409 ``concurrent_update``, nothing written) is sent again after ``Retry-After``.
        """
        for _ in range(CONFLICT_RESENDS - 1):
            reply = await self._send(method, url, json_body, params, upload, headers)
            if not is_concurrent_update(reply.status, reply.text):
                return reply
            await asyncio.sleep(1.0)
        return await self._send(method, url, json_body, params, upload, headers)

    async def _send(
        self,
        method: str,
        url: str,
        json_body: Any,
        params: Mapping[str, str] | None,
        upload: Upload | None,
        headers: Mapping[str, str] | None,
    ) -> Reply:
        assert self._session is not None, "use the client with `async with`"
        data: aiohttp.FormData | None = None
        if upload is not None:
            data = aiohttp.FormData()
            data.add_field(
                upload.field,
                upload.content,
                filename=upload.filename,
                content_type=upload.content_type,
            )
        try:
            async with self._session.request(
                method,
                url,
                json=json_body,
                params=params,
                data=data,
                headers=headers,
            ) as response:
                text = await response.text()
                return Reply(
                    response.status,
                    text,
                    response.content_type,
                    method,
                    response.url.path,
                )
        except (TimeoutError, aiohttp.ClientError) as error:
            raise TransportFault(f"{type(error).__name__}: {error}") from error


class TransportFault(RuntimeError):
    """Raised when a request got no answer (connection refused or dropped, timeout)."""
