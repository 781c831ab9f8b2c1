"""Many applicants at once, over HTTP: an asyncio driver for simulation runs.

Each journey is what one person does in the frontend: register, click the link in the
email, type their identity (and correct it if the registry refused a typo), upload a
selfie holding the KTP (and a new one if the first failed a quality check), verify
their phone, and join the open wave unless they give up. Hundreds of journeys run
concurrently on one event loop; a journey that waits for a verification polls its
status with a growing interval, so a slow pipeline costs a few requests, not a storm.

With ``corrections=False`` people behave as wave 1 of 2020 forced them to: a typo or a
failed selfie ends the application (they would have had to start over).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from prakerja.simulation.client import Client, Reply, TransportFault, Upload
from prakerja.simulation.driver import PASSWORD, Endpoints
from prakerja.simulation.polling import Polling
from prakerja.simulation.selfies import MarkedSelfies, Selfies
from prakerja.simulators.person import Person

_DECIDED = frozenset({"passed", "failed", "in_review"})
_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_CORRECTABLE_REFUSALS = frozenset({409, 422})
_FINAL_REFUSALS = frozenset({"under_minimum_age"})
_CLOSED = frozenset({"case_closed", "membership_revoked"})
_ATTEMPTS = 6


class JourneyFailed(RuntimeError):
    """Raised inside a journey when the service answers what a person cannot get past."""


@dataclass
class Outcome:
    """What happened to one person: their path and their case's stages at the end."""

    index: int
    province: str
    applicant_id: str | None = None
    steps: list[str] = field(default_factory=list)
    stages: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, list[str]] = field(default_factory=dict)
    status: str | None = None
    joined: bool = False
    error: str | None = None
    seconds: float = 0.0
    requests: int = 0

    def read(self, status: dict[str, Any]) -> dict[str, str]:
        self.status = str(status["status"])
        self.stages = {s["stage"]: s["status"] for s in status["stages"]}
        self.reasons = {
            s["stage"]: [r["code"] for r in s["reasons"]] for s in status["stages"] if s["reasons"]
        }
        return self.stages


@dataclass(frozen=True)
class WaveChoice:
    """The wave people join, if any is open."""

    number: int


class AsyncDriver:
    """Takes people through the service; see the module docstring."""

    def __init__(
        self,
        endpoints: Endpoints,
        client: Client,
        *,
        wave: WaveChoice | None = None,
        corrections: bool = True,
        polling: Polling | None = None,
        seed: int = 2020,
        selfies: Selfies | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.http = client
        self.wave = wave
        self.corrections = corrections
        self.polling = polling or Polling()
        self.seed = seed
        self.selfies = selfies or MarkedSelfies()

    async def run(
        self,
        people: Iterable[Person],
        concurrency: int,
        on_done: Callable[[Outcome], None] | None = None,
    ) -> list[Outcome]:
        """Run every journey, ``concurrency`` at a time; outcomes in the order they end."""
        queue = iter(people)
        outcomes: list[Outcome] = []

        async def lane() -> None:
            for person in queue:  # the iterator is shared: each lane takes the next person
                outcome = await self.journey(person)
                outcomes.append(outcome)
                if on_done is not None:
                    on_done(outcome)

        await asyncio.gather(*(lane() for _ in range(concurrency)))
        return outcomes

    async def journey(self, person: Person) -> Outcome:
        outcome = Outcome(person.index, person.province_code)
        started = time.monotonic()
        try:
            await _Walk(self, person, outcome).walk()
        except (JourneyFailed, TransportFault, TimeoutError, KeyError, ValueError) as error:
            outcome.error = f"{type(error).__name__}: {error}"[:300]
        outcome.seconds = time.monotonic() - started
        return outcome


class _Walk:
    """One person's path through the service."""

    def __init__(self, driver: AsyncDriver, person: Person, outcome: Outcome) -> None:
        self.driver = driver
        self.person = person
        self.outcome = outcome
        self.headers: dict[str, str] = {}
        self.case = ""

    async def walk(self) -> None:
        await self._steps()
        if self.outcome.status is None:  # nothing was waited for: read where the case stands
            self.outcome.read(await self._status())

    async def _steps(self) -> None:
        person, outcome = self.person, self.outcome
        await self._register()
        if not await self._verify_email() or not await self._identity():
            return
        await self._phone()
        stages = await self._wait("verdicts", _verdicts_in)
        if stages.get("face") == "failed" and self._may_retry_face(stages):
            if not self.driver.corrections:
                outcome.steps.append("gave_up_after_selfie")
                return
            await self._upload_selfie(attempt=2)
            stages = await self._wait("face", lambda s: s["face"] in _DECIDED or _rejected(s))
        if all(status == "passed" for status in stages.values()):
            if person.abandons:
                outcome.steps.append("abandoned")
            elif self.driver.wave is not None:
                await self._join(self.driver.wave.number)

    # ----------------------------------------------------------------- steps

    async def _register(self) -> None:
        typed = self.person.as_typed(1)
        body = {"email": typed.email, "password": PASSWORD, "language": "id"}
        response = await self._call("POST", self.driver.endpoints.api + "/v1/applicants", body)
        _expect(response, 201)
        reply = response.json()
        self.outcome.applicant_id = str(reply["applicant_id"])
        self.headers = {"Authorization": f"Bearer {reply['access_token']}"}
        self.case = f"{self.driver.endpoints.api}/v1/applicants/{self.outcome.applicant_id}"
        self.outcome.steps.append("registered")

    async def _verify_email(self) -> bool:
        address = self.person.as_typed(1).email
        started = time.monotonic()
        for delay in self.driver.polling.delays("email"):
            await asyncio.sleep(delay)
            response = await self._call(
                "GET", f"{self.driver.endpoints.email}/messages", params={"to": address}
            )
            messages = response.json()["messages"]
            delivered = [m for m in messages if m["status"] == "delivered"]
            if messages:
                self.driver.polling.observe("email", time.monotonic() - started)
            if delivered:
                token = delivered[-1]["body"].split("token: ")[1].split()[0]
                response = await self._call(
                    "POST", f"{self.case}/email/verification", {"token": token}
                )
                _expect(response, 200)
                self.outcome.steps.append("email_verified")
                return True
            if messages:  # bounced: there is no link to click
                self.outcome.steps.append("email_bounced")
                await self._wait("bounce", lambda s: s["email"] == "failed")
                return False
        raise TimeoutError("no verification email arrived")

    async def _identity(self) -> bool:
        """Submit the identity (and the first selfie); True once the NIK layer passed."""
        for attempt in (1, 2):
            typed = self.person.as_typed(attempt)
            identity = {
                "nik": typed.nik,
                "kk_number": typed.kk_number,
                "full_name": typed.full_name,
                "birth_date": typed.birth_date.isoformat(),
                "mother_maiden_name": typed.mother_maiden_name,
            }
            response = await self._call("PUT", f"{self.case}/identity", identity)
            if response.code in _FINAL_REFUSALS:  # nothing the person could type otherwise
                self.outcome.steps.append(f"identity_refused:{response.code}")
                return False
            if response.status in _CORRECTABLE_REFUSALS and attempt == 1:
                # The form or the uniqueness check caught the typo at once.
                self.outcome.steps.append(f"identity_refused:{response.code}")
                if not self.driver.corrections:
                    return False
                continue
            _expect(response, 202)
            self.outcome.steps.append(f"identity_submitted:{attempt}")
            if self.outcome.applicant_id and "selfie_uploaded:1" not in self.outcome.steps:
                await self._upload_selfie(attempt=1)
            stages = await self._wait("identity", lambda s: s["identity"] in _DECIDED)
            if stages["identity"] == "passed":
                return True
            if stages["identity"] == "in_review" or attempt == 2 or not self.driver.corrections:
                break
            if self.person.typo is None:
                break  # nothing the person could correct: the registry's answer stands
        return False

    async def _upload_selfie(self, attempt: int) -> None:
        issue = self.person.selfie_issue if attempt == 1 else None
        upload = self.driver.selfies.selfie(self.person, issue)
        response = await self._call("PUT", f"{self.case}/selfie", upload=upload)
        _expect(response, 202)
        self.outcome.steps.append(f"selfie_uploaded:{attempt}")

    async def _phone(self) -> None:
        """Ask for a code and type it in, unless the case is refused for good first or meanwhile."""
        phone = self.person.as_typed(2).phone
        response = await self._call("POST", f"{self.case}/phone/otp", {"phone": phone})
        if self._closed(response):
            return
        _expect(response, 202)
        started = time.monotonic()
        for delay in self.driver.polling.delays("sms"):
            await asyncio.sleep(delay)
            response = await self._call(
                "GET", f"{self.driver.endpoints.sms}/messages", params={"to": phone}
            )
            messages = response.json()["messages"]
            if not messages and "enter_otp" not in (await self._status())["next_actions"]:
                self.outcome.steps.append("phone_code_withheld")  # closed: no code was sent
                return
            if messages:
                self.driver.polling.observe("sms", time.monotonic() - started)
                code = messages[-1]["text"].split("Prakerja: ")[1][:6]
                response = await self._call(
                    "POST", f"{self.case}/phone/verification", {"code": code}
                )
                if self._closed(response):
                    return
                _expect(response, 200)
                self.outcome.steps.append("phone_verified")
                return
        raise TimeoutError("no OTP SMS arrived")

    def _closed(self, response: Reply) -> bool:
        """The case was refused for good: the phone step is over (recorded in the steps)."""
        if response.status != 409 or response.code not in _CLOSED:
            return False
        self.outcome.steps.append(f"phone_refused:{response.code}")
        return True

    async def _join(self, wave: int) -> None:
        score = random.Random(self.driver.seed * 7_919 + self.person.index).randint(40, 100)  # noqa: S311
        body = {"wave_number": wave, "skills_test_score": score}
        response = await self._call("POST", f"{self.case}/wave", body)
        _expect(response, 201)
        self.outcome.joined = True
        self.outcome.steps.append(f"joined_wave:{wave}")

    def _may_retry_face(self, stages: dict[str, str]) -> bool:
        return not _rejected(stages) and "selfie_uploaded:2" not in self.outcome.steps

    # -------------------------------------------------------------- plumbing

    async def _wait(self, kind: str, done: Callable[[dict[str, str]], bool]) -> dict[str, str]:
        started = time.monotonic()
        for delay in self.driver.polling.delays(kind):
            await asyncio.sleep(delay)
            stages = self.outcome.read(await self._status())
            if done(stages):
                self.driver.polling.observe(kind, time.monotonic() - started)
                return stages
        raise TimeoutError(f"no decision within {self.driver.polling.give_up_s:.0f} s")

    async def _status(self) -> dict[str, Any]:
        response = await self._call("GET", f"{self.case}/status")
        _expect(response, 200)
        status: dict[str, Any] = response.json()
        return status

    async def _call(
        self,
        method: str,
        url: str,
        body: dict[str, Any] | None = None,
        *,
        params: dict[str, str] | None = None,
        upload: Upload | None = None,
    ) -> Reply:
        """One request; overload answers and dropped connections are tried again."""
        headers = self.headers if url.startswith(self.driver.endpoints.api) else None
        delay = 0.5
        for attempt in range(1, _ATTEMPTS + 1):
            self.outcome.requests += 1
            try:
                response = await self.driver.http.request(
                    method, url, json_body=body, params=params, upload=upload, headers=headers
                )
            except TransportFault:
                if attempt == _ATTEMPTS:
                    raise
            else:
                if not _worth_retrying(response) or attempt == _ATTEMPTS:
                    return response
            await asyncio.sleep(delay)
            delay = min(8.0, delay * 2)
        raise AssertionError("unreachable")


def _worth_retrying(response: Reply) -> bool:
    if response.status in _RETRYABLE_STATUS:
        return True
    return response.status == 409 and response.code == "concurrent_update"


def _rejected(stages: dict[str, str]) -> bool:
    """A stage the applicant cannot fix failed (or went to a reviewer)."""
    return any(stages.get(s) in ("failed", "in_review") for s in ("education", "exclusion")) or (
        stages.get("identity") in ("failed", "in_review")
    )


def _verdicts_in(stages: dict[str, str]) -> bool:
    """Everything automation decides after the NIK layer is decided (or the case is over)."""
    if _rejected(stages):
        return True
    return all(stages.get(s) in _DECIDED for s in ("education", "exclusion", "face", "phone"))


def _expect(response: Reply, status: int) -> None:
    if response.status != status:
        raise JourneyFailed(
            f"HTTP {response.status} on {response.method} {response.path}: {response.text[:200]}"
        )
