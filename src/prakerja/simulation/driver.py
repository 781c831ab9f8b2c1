"""Drives synthetic applicants through the real service, over HTTP, as people would.

Each person registers, reads the verification email from the email simulator, submits
the identity they type (correcting it once if the registry refused a typo), verifies
their phone with the code read from the SMS simulator, and waits for the verdicts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from prakerja.simulation.client import CONFLICT_RESENDS, is_concurrent_update
from prakerja.simulators.person import Person

PASSWORD = "rahasia-prakerja-1"  # noqa: S105 - synthetic applicants only
_DECIDED = frozenset({"passed", "failed", "in_review"})
_CLOSED = frozenset({"case_closed", "membership_revoked"})
_FINAL_REFUSALS = frozenset({"under_minimum_age"})


@dataclass(frozen=True)
class Endpoints:
    api: str
    email: str
    sms: str


@dataclass
class Journey:
    """What happened to one person, and their case's status at the end."""

    index: int
    applicant_id: str | None = None
    steps: list[str] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def stage(self, name: str) -> dict[str, Any]:
        for stage in self.status.get("stages", []):
            if stage["stage"] == name:
                return dict(stage)
        return {}

    @property
    def stage_statuses(self) -> dict[str, str]:
        return {s["stage"]: s["status"] for s in self.status.get("stages", [])}


class StuckCase(RuntimeError):
    """Raised when a case did not reach a decision in the time allowed."""


class Driver:
    def __init__(
        self,
        endpoints: Endpoints,
        *,
        wait_s: float = 120.0,
        poll_s: float = 0.2,
        client: httpx.Client | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.wait_s = wait_s
        self.poll_s = poll_s
        # Idle connections are dropped before the servers' keep-alive ends; failed
        # connection attempts (not requests) are retried.
        limits = httpx.Limits(max_connections=256, keepalive_expiry=30.0)
        self.http = client or httpx.Client(
            timeout=30.0, transport=httpx.HTTPTransport(retries=2, limits=limits)
        )

    def run(
        self,
        people: Iterable[Person],
        concurrency: int = 16,
        progress: Callable[[Journey], None] | None = None,
    ) -> list[Journey]:
        with ThreadPoolExecutor(concurrency) as pool:
            journeys = []
            for journey in pool.map(self.journey, people):
                journeys.append(journey)
                if progress is not None:
                    progress(journey)
        return journeys

    def journey(self, person: Person) -> Journey:
        journey = Journey(person.index)
        try:
            self._walk(person, journey)
        except Exception as error:  # noqa: BLE001 - recorded on the journey, reported by callers
            journey.error = f"{type(error).__name__}: {error}"
        return journey

    # --------------------------------------------------------------- the walk

    def _walk(self, person: Person, journey: Journey) -> None:
        typed = person.as_typed(1)
        response = self._post("/v1/applicants", {"email": typed.email, "password": PASSWORD})
        _expect(response, 201)
        body = response.json()
        journey.applicant_id = body["applicant_id"]
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        journey.steps.append("registered")
        case = f"/v1/applicants/{journey.applicant_id}"

        token = self._email_token(typed.email, journey, case, headers)
        if token is None:
            journey.status = self._status(case, headers)
            return
        _expect(self._post(f"{case}/email/verification", {"token": token}), 200)
        journey.steps.append("email_verified")

        for attempt in (1, 2):
            typed = person.as_typed(attempt)
            identity = {
                "nik": typed.nik,
                "kk_number": typed.kk_number,
                "full_name": typed.full_name,
                "birth_date": typed.birth_date.isoformat(),
                "mother_maiden_name": typed.mother_maiden_name,
            }
            response = self._send("PUT", f"{case}/identity", identity, headers)
            if response.status_code == 422 and response.json()["code"] in _FINAL_REFUSALS:
                journey.steps.append(f"identity_refused:{response.json()['code']}")
                break  # nothing the person could type otherwise
            if response.status_code in (409, 422) and attempt == 1:
                journey.steps.append(f"identity_refused:{response.json()['code']}")
                continue  # a typo the form or the uniqueness check caught: type it again
            _expect(response, 202)
            journey.steps.append(f"identity_submitted:{attempt}")
            status = self._wait_for(case, headers, lambda s: s["identity"] in _DECIDED)
            if status["identity"] == "passed" or attempt == 2:
                break
        if self._status(case, headers)["stages"][1]["status"] == "passed":
            self._phone(typed.phone, journey, case, headers)
            self._wait_for(
                case, headers, lambda s: s["education"] in _DECIDED and s["exclusion"] in _DECIDED
            )
        journey.status = self._status(case, headers)

    def _email_token(
        self, address: str, journey: Journey, case: str, headers: dict[str, str]
    ) -> str | None:
        deadline = time.monotonic() + self.wait_s
        while time.monotonic() < deadline:
            messages = self.http.get(
                f"{self.endpoints.email}/messages", params={"to": address}
            ).json()["messages"]
            delivered = [m for m in messages if m["status"] == "delivered"]
            if delivered:
                return str(delivered[-1]["body"].split("token: ")[1].split()[0])
            if messages:  # bounced: nothing to click
                self._wait_for(case, headers, lambda s: s["email"] == "failed")
                journey.steps.append("email_bounced")
                return None
            time.sleep(self.poll_s)
        raise StuckCase("no verification email arrived")

    def _phone(self, phone: str, journey: Journey, case: str, headers: dict[str, str]) -> None:
        """Verify the phone, unless the case is refused for good first (or meanwhile)."""
        response = self._post(f"{case}/phone/otp", {"phone": phone}, headers)
        if _closed(response, journey):
            return
        _expect(response, 202)
        code = self._sms_code(phone, case, headers)
        if code is None:
            journey.steps.append("phone_code_withheld")  # the case closed: no code was sent
            return
        response = self._post(f"{case}/phone/verification", {"code": code}, headers)
        if _closed(response, journey):
            return
        _expect(response, 200)
        journey.steps.append("phone_verified")

    def _sms_code(self, phone: str, case: str, headers: dict[str, str]) -> str | None:
        """The code sent, or None once the case no longer waits for one."""
        deadline = time.monotonic() + self.wait_s
        while time.monotonic() < deadline:
            messages = self.http.get(f"{self.endpoints.sms}/messages", params={"to": phone}).json()[
                "messages"
            ]
            if messages:
                return str(messages[-1]["text"].split("Prakerja: ")[1][:6])
            if "enter_otp" not in self._status(case, headers)["next_actions"]:
                return None
            time.sleep(self.poll_s)
        raise StuckCase("no OTP SMS arrived")

    def _wait_for(
        self, case: str, headers: dict[str, str], done: Callable[[dict[str, str]], bool]
    ) -> dict[str, str]:
        deadline = time.monotonic() + self.wait_s
        while time.monotonic() < deadline:
            status = self._status(case, headers)
            stages = {s["stage"]: s["status"] for s in status["stages"]}
            if done(stages):
                return stages
            time.sleep(self.poll_s)
        raise StuckCase(f"no decision within {self.wait_s:.0f} s")

    def _status(self, case: str, headers: dict[str, str]) -> dict[str, Any]:
        response = self.http.get(f"{self.endpoints.api}{case}/status", headers=headers)
        _expect(response, 200)
        status: dict[str, Any] = response.json()
        return status

    def _post(
        self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return self._send("POST", path, body, headers)

    def _send(
        self, method: str, path: str, body: dict[str, Any], headers: dict[str, str] | None
    ) -> httpx.Response:
        """Send a command; resend it when the API says the case changed under it."""
        url = f"{self.endpoints.api}{path}"
        for _ in range(CONFLICT_RESENDS):
            response = self.http.request(method, url, json=body, headers=headers)
            if not is_concurrent_update(response.status_code, response.text):
                return response
            time.sleep(float(response.headers.get("Retry-After", "1")))
        return response


def _closed(response: httpx.Response, journey: Journey) -> bool:
    """The case was refused for good: the phone step is over (recorded on the journey)."""
    if response.status_code != 409 or response.json().get("code") not in _CLOSED:
        return False
    journey.steps.append(f"phone_refused:{response.json()['code']}")
    return True


def _expect(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise RuntimeError(
            f"HTTP {response.status_code} on {response.request.url.path}: {response.text[:300]}"
        )
