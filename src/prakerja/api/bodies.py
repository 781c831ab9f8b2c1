"""Request bodies are decoded in one place, so every undecodable body ends the same way.

Litestar turns msgspec's ``DecodeError`` into a ``SerializationException`` (answered as a
400 ``invalid_json`` problem by :mod:`prakerja.api.problems`), but msgspec raises other
errors for two bodies: ``UnicodeDecodeError`` for bytes that are not UTF-8 inside a
string or key, and ``RecursionError`` for nesting deeper than the interpreter's stack.
This request class, which the app factory installs, gives those the same exception, for
the route handlers and for the rate-limit guard that reads a body before them. A body
over the size limit is refused earlier by Litestar, as a 413 ``payload_too_large``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException


class ApiRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        try:
            return await super().json()
        except UnicodeDecodeError:
            raise SerializationException("The body is not valid UTF-8.") from None
        except RecursionError:
            raise SerializationException("The body is nested too deeply.") from None
