"""What the ops staff do during a simulated wave, through the same HTTP API: schedule and
open the wave, close it (the draw), record the decree (SK) and wait until every
candidate has been told."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prakerja.domain.programme import programme_day
from prakerja.simulation.client import Client, Reply


class WavesUnavailable(RuntimeError):
    """Raised when the service has no waves API to drive (the run then stops at verification)."""


@dataclass(frozen=True)
class Draw:
    seed: str
    candidates: int
    selected: tuple[str, ...]
    candidates_sha256: str
    selected_sha256: str


def draw_seed(seed: int, wave: int) -> str:
    """The draw's seed for a run: reproducible from the run's own seed."""
    return hashlib.sha256(f"prakerja-simulate:{seed}:wave:{wave}".encode()).hexdigest()


class Ops:
    """An ops account on the API (``opt=ops`` routes)."""

    def __init__(
        self, http: Client, api: str, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.http = http
        self.api = api
        self.headers: dict[str, str] = {}
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    async def login(self, username: str, password: str) -> None:
        response = await self.http.request(
            "POST",
            f"{self.api}/v1/staff/token",
            json_body={"username": username, "password": password},
        )
        _expect(response, 200)
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def open_wave(self, number: int, quota: int, partitions: int, days: int = 7) -> None:
        now = self._clock()
        spec = {
            "number": number,
            "opens_at": now.isoformat(),
            "closes_at": (now + dt.timedelta(days=days)).isoformat(),
            "quota": quota,
            "partitions": partitions,
        }
        response = await self._post("/v1/waves", spec)
        if response.status in (404, 405):
            raise WavesUnavailable(f"POST /v1/waves answered {response.status}")
        _expect(response, 201)
        _expect(await self._post(f"/v1/waves/{number}/open", None), 200)

    async def close_wave(self, number: int, seed: str) -> Draw:
        _expect(await self._post(f"/v1/waves/{number}/close", {"seed": seed}), 200)
        response = await self._get(f"/v1/waves/{number}/draw")
        _expect(response, 200)
        record: dict[str, Any] = response.json()
        recorded = record["recorded"]
        return Draw(
            seed=recorded["seed"],
            candidates=int(recorded["candidates"]),
            selected=tuple(str(applicant) for applicant in record["selected"]),
            candidates_sha256=recorded["candidates_sha256"],
            selected_sha256=recorded["selected_sha256"],
        )

    async def decree(self, number: int, sk_number: str, timeout_s: float = 1800.0) -> str:
        """Record the SK, then wait until every candidate was told; returns the wave status."""
        # The wave compares the decree's date with the draw's Jakarta date, not UTC's.
        today = programme_day(self._clock())
        body = {"sk_number": sk_number, "sk_date": today.isoformat()}
        _expect(await self._post(f"/v1/waves/{number}/decree", body), 202)
        deadline = asyncio.get_running_loop().time() + timeout_s
        status = "decreed"
        while asyncio.get_running_loop().time() < deadline:
            response = await self._get(f"/v1/waves/{number}")
            _expect(response, 200)
            status = str(response.json()["status"])
            if status != "decreed":
                return status
            await asyncio.sleep(1.0)
        return status

    async def _post(self, path: str, body: dict[str, Any] | None) -> Reply:
        return await self.http.request(
            "POST", f"{self.api}{path}", json_body=body, headers=self.headers
        )

    async def _get(self, path: str) -> Reply:
        return await self.http.request("GET", f"{self.api}{path}", headers=self.headers)


def _expect(response: Reply, status: int) -> None:
    if response.status != status:
        raise RuntimeError(
            f"ops: HTTP {response.status} on {response.method} {response.path}:"
            f" {response.text[:300]}"
        )
