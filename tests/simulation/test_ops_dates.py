"""The simulated ops staff date a decree as the programme does: by the Jakarta day."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any, cast

import pytest

from prakerja.domain.programme import programme_day
from prakerja.simulation.client import Client, Reply
from prakerja.simulation.ops import Ops


class RecordingHttp:
    """Answers every request with success and keeps what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any]] = []

    async def request(
        self, method: str, url: str, *, json_body: Any = None, headers: Any = None
    ) -> Reply:
        self.sent.append((method, url, json_body))
        status = 202 if url.endswith("/decree") else 200
        body = {"status": "sks_delivered"}
        return Reply(status, json.dumps(body), "application/json", method, url)


@pytest.mark.parametrize(
    ("utc", "jakarta_day"),
    [
        (dt.datetime(2026, 12, 4, 16, 59, tzinfo=dt.UTC), dt.date(2026, 12, 4)),
        (dt.datetime(2026, 12, 4, 23, 30, tzinfo=dt.UTC), dt.date(2026, 12, 5)),
        (dt.datetime(2026, 12, 5, 0, 30, tzinfo=dt.UTC), dt.date(2026, 12, 5)),
    ],
)
def test_the_decree_is_dated_by_the_jakarta_day(utc: dt.datetime, jakarta_day: dt.date) -> None:
    http = RecordingHttp()
    ops = Ops(cast(Client, http), "http://api", clock=lambda: utc)

    asyncio.run(ops.decree(1, "SK-1/2026"))

    method, url, body = http.sent[0]
    assert (method, url) == ("POST", "http://api/v1/waves/1/decree")
    assert body["sk_date"] == jakarta_day.isoformat()
    assert programme_day(utc) == jakarta_day
