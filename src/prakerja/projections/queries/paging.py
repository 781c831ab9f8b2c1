"""Keyset pagination: an opaque cursor holds the sort key of the last row returned.

Keyset pages stay fast at any depth (an offset makes the server count past every
earlier row) and do not skip or repeat rows when new ones arrive between pages.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from prakerja.domain.errors import DomainError


class InvalidCursor(DomainError):
    """Raised when a cursor was not produced by this API (or for another query)."""

    code = "invalid_cursor"


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(kind: str, values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, dt.datetime) else str(v) for v in values]
    raw = json.dumps([kind, plain], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str, types: tuple[type, ...]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        found, values = json.loads(raw)
        if found != kind or len(values) != len(types):
            raise ValueError("another query's cursor")
        return [_parse(kind_of, value) for kind_of, value in zip(types, values, strict=True)]
    except (ValueError, TypeError) as error:
        raise InvalidCursor("This cursor does not belong to this list.") from error


def _parse(kind: type, value: str) -> Any:
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if kind is UUID:
        return UUID(value)
    return kind(value)


def page_of(rows: list[dict[str, Any]], limit: int, kind: str, key: tuple[str, ...]) -> Page:
    """Rows fetched with ``limit + 1``: the extra one says whether another page exists."""
    items = rows[:limit]
    more = len(rows) > limit
    cursor = encode_cursor(kind, [items[-1][k] for k in key]) if more and items else None
    return Page(items, cursor)
