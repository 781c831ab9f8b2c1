"""Synthetic applicants taken through the real application service and step runner.

Each person's fate is drawn from a seeded generator: bounced or never-verified email,
a NIK typo in the province digits corrected later, under age (refused as they submit),
student, on the DTKS list,
a family card already holding two applicants, a technical delay, face checks that fail
on quality or distance, go to review and get overridden, a retried selfie, a wrong OTP,
then waves (selected or not, a second wave), training, payment, revocation, a dispute.
Government services are the project's fakes; the face check is scripted with distances
judged by the real :class:`~prakerja.face.matching.FacePolicy`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from dataclasses import dataclass, field
from uuid import UUID, uuid5

from prakerja.clients.education import EducationLevel
from prakerja.clients.fakes import (
    FakeCivilRegistry,
    FakeEducationRegistry,
    FakeEmailService,
    FakeExclusionRegistry,
    FakeSmsGateway,
    RegistryRecord,
)
from prakerja.container import Container
from prakerja.domain.contact import EmailAddress, PhoneNumber
from prakerja.domain.errors import DomainError, UnderMinimumAge
from prakerja.domain.nik import Nik, Sex, compose_nik
from prakerja.domain.stages import Stage, StageStatus, Step
from prakerja.face.matching import FacePolicy
from prakerja.verification.face import FaceCheck
from prakerja.verification.runner import DelayPolicy, Services, StepRunner

PROVINCES = ("31", "32", "33", "35", "73", "94")
WAVES = {number: uuid5(UUID(int=0), f"wave:{number}") for number in (1, 2)}
TODAY = dt.date.today()


class ScriptedFace:
    """A face checker whose verdict for each selfie was decided when it was uploaded."""

    def __init__(self, policy: FacePolicy) -> None:
        self.policy = policy
        self.verdicts: dict[bytes, FaceCheck] = {}

    def script(self, selfie: bytes, distance: float | None) -> None:
        """``None``: the selfie fails on quality (blur) before any matching."""
        thresholds = {
            "accept_max_distance": self.policy.accept_max_distance,
            "review_max_distance": self.policy.review_max_distance,
        }
        if distance is None:
            finding = {"code": "blurry", "measure": "sharpness", "measured": 0.12, "threshold": 0.2}
            findings: tuple[dict[str, object], ...] = (finding,)
            outcome = "failed"
        else:
            verdict, reason, threshold = self.policy.decide(distance)
            outcome = str(verdict)
            findings = (
                ()
                if reason is None
                else (
                    {
                        "code": str(reason),
                        "measure": "distance",
                        "measured": distance,
                        "threshold": threshold,
                    },
                )
            )
        evidence = {
            "outcome": outcome,
            "distance": distance,
            "reasons": [f["code"] for f in findings],
            "findings": list(findings),
            "policy_version": self.policy.version,
            "thresholds": thresholds,
        }
        self.verdicts[selfie] = FaceCheck(outcome, findings, self.policy.version, evidence)

    def check(self, selfie: bytes, reference: bytes) -> FaceCheck:
        return self.verdicts[selfie]


@dataclass
class Person:
    index: int
    applicant_id: UUID | None = None
    nik: str | None = None
    distances: list[float | None] = field(default_factory=list)


class Population:
    def __init__(self, container: Container, seed: int = 2020, first: int = 0) -> None:
        self.first = first
        self.container = container
        self.applicants = container.applicants
        self.seed = seed
        self.email = FakeEmailService()
        self.sms = FakeSmsGateway()
        self.registry = FakeCivilRegistry(today=TODAY)
        self.education = FakeEducationRegistry()
        self.exclusions = FakeExclusionRegistry()
        self.face = ScriptedFace(FacePolicy())
        services = Services(
            self.email,
            self.sms,
            self.registry,
            self.education,
            self.exclusions,
            container.photos,
            face=self.face,
        )
        self.runner = StepRunner(self.applicants, services, DelayPolicy(dt.timedelta(seconds=1)))
        self.people: list[Person] = []

    def run(self, count: int) -> list[Person]:
        start = self.first + len(self.people)
        for index in range(start, start + count):
            person = Person(index)
            self.people.append(person)
            try:
                self._journey(person, random.Random(self.seed * 100_003 + index))
            except DomainError as error:  # a scripted step the rules refuse: the fate ends
                raise AssertionError(f"person {index}: {error.code}: {error}") from error
        return self.people

    # ---------------------------------------------------------------- journey

    def _journey(self, person: Person, rng: random.Random) -> None:
        address = EmailAddress.parse(f"person{person.index}@example.com")
        if rng.random() < 0.06:
            self.email.bounce(address)
        applicant_id = self.applicants.register(address.value, "rahasia-123").applicant_id
        person.applicant_id = applicant_id
        self._work(applicant_id)
        if self.applicants.get(applicant_id).stage(Stage.EMAIL).status is StageStatus.FAILED:
            return
        if rng.random() < 0.1:
            return  # never clicks the link
        mail = self.email.sent_to(address)[-1]
        self.applicants.verify_email(applicant_id, mail.body.split("token: ")[1].split()[0])
        if rng.random() < 0.5:
            self._phone(applicant_id, rng, person.index)
        if not self._identity(applicant_id, rng, person):
            return
        if not self._selfie(applicant_id, rng, person):
            return
        if self.applicants.get(applicant_id).stage(Stage.PHONE).status is not StageStatus.PASSED:
            self._phone(applicant_id, rng, person.index)
        if self.applicants.get(applicant_id).is_verified and rng.random() < 0.9:
            self._programme(applicant_id, rng)

    def _identity(self, applicant_id: UUID, rng: random.Random, person: Person) -> bool:
        index = person.index
        province = PROVINCES[index % len(PROVINCES)]
        adult = dt.date(1986 + index % 9, 1, 1 + index % 27)
        born = dt.date(2010, 5, 17) if rng.random() < 0.04 else adult
        sex = Sex.FEMALE if index % 2 else Sex.MALE
        nik = compose_nik(
            regency_code=f"{province}01", district="02", birth_date=born, sex=sex, serial=index + 1
        )
        family = index // 3 if index % 10 < 3 else 10_000 + index  # some share a card
        kk = f"{province}0102{family:012d}"[:16]
        person.nik = nik.value
        self.registry.add(RegistryRecord(nik.value, kk, "Nama Sintetis", born, "Ibu", b"ref"))
        if rng.random() < 0.08:
            self.education.enroll(nik, rng.choice(list(EducationLevel)))
        if rng.random() < 0.1:
            self.exclusions.add(nik, rng.choice(["dtks", "civil_servant"]))
        typed = nik
        if rng.random() < 0.12:  # a slip in the province digits: another valid NIK
            other = PROVINCES[(index + 1) % len(PROVINCES)]
            typed = Nik.parse(other + nik.value[2:])
        for attempt in (1, 2):
            try:
                self.applicants.submit_identity(
                    applicant_id,
                    nik=typed.value,
                    kk_number=kk,
                    full_name="Nama Sintetis",
                    birth_date=born,
                    mother_maiden_name="Ibu",
                )
            except UnderMinimumAge:
                assert born != adult
                return False  # nothing is recorded, and nothing the person could correct
            delay = rng.random() < 0.05
            self._work(applicant_id, delay=delay)
            if delay:
                self._work(applicant_id)
            stage = self.applicants.get(applicant_id).stage(Stage.IDENTITY)
            if stage.status is StageStatus.PASSED or attempt == 2 or rng.random() < 0.1:
                break
            typed = nik
        applicant = self.applicants.get(applicant_id)
        education = applicant.stage(Stage.EDUCATION)
        if education.status is StageStatus.FAILED and rng.random() < 0.5:
            self._save(applicant_id, lambda a: a.dispute_decision(Stage.EDUCATION, a.version, "x"))
        return applicant.stage(Stage.EXCLUSION).status is StageStatus.PASSED and (
            education.status is StageStatus.PASSED
        )

    def _selfie(self, applicant_id: UUID, rng: random.Random, person: Person) -> bool:
        for attempt in (1, 2, 3):
            if rng.random() < 0.08:
                return False
            roll = rng.random()
            distance = None if roll < 0.1 else round(rng.uniform(0.25, 0.72), 4)
            person.distances.append(distance)
            selfie = f"selfie:{applicant_id}:{attempt}".encode()
            self.face.script(selfie, distance)
            stored = self.container.photos.put(applicant_id, selfie, "image/jpeg")
            self.applicants.record_selfie(
                applicant_id,
                photo_ref=stored.ref,
                sha256=stored.sha256,
                content_type="image/jpeg",
                width=640,
                height=480,
            )
            self._work(applicant_id)
            face = self.applicants.get(applicant_id).stage(Stage.FACE)
            if face.status is StageStatus.IN_REVIEW:
                if rng.random() < 0.6:
                    self._save(
                        applicant_id,
                        lambda a: a.override_decision(
                            Stage.FACE, StageStatus.PASSED, a.version, "rina", "ok", None
                        ),
                    )
                return True
            if face.status is StageStatus.PASSED:
                return True
        return False

    def _phone(self, applicant_id: UUID, rng: random.Random, index: int) -> None:
        if rng.random() < 0.1:
            return
        phone = PhoneNumber.parse(f"0812{index:08d}")
        self.applicants.request_otp(applicant_id, phone.e164)
        self._work(applicant_id)
        text = self.sms.sent_to(phone)[-1].text
        code = text.split("Prakerja: ")[1][:6]
        if rng.random() < 0.2:
            wrong = "000000" if code != "000000" else "111111"
            with contextlib.suppress(DomainError):
                self.applicants.verify_otp(applicant_id, wrong)
        self.applicants.verify_otp(applicant_id, code)

    def _programme(self, applicant_id: UUID, rng: random.Random) -> None:
        now = dt.datetime.now(dt.UTC)
        for number in (1, 2):
            wave = WAVES[number]
            self._save(applicant_id, lambda a, w=wave, n=number: a.join_wave(w, n, 70))
            if rng.random() < 0.45:
                sk = f"SK-{number}/2026"
                self._save(
                    applicant_id,
                    lambda a, w=wave, s=sk: a.issue_sk(w, s, now.date(), 1_000_000),
                )
                break
            self._save(applicant_id, lambda a, w=wave: a.mark_not_selected(w, {"draw": "x"}))
            if rng.random() < 0.5:
                return
        else:
            return
        if rng.random() < 0.1:
            self._save(
                applicant_id,
                lambda a: a.revoke_membership("no_training_within_30_days", "programme@1", {}),
            )
            return
        if rng.random() < 0.15:
            return
        self._save(
            applicant_id, lambda a: a.purchase_training("order-1", "skillhub", "t-1", 500_000, now)
        )
        if rng.random() < 0.2:
            return
        self._save(applicant_id, lambda a: a.complete_training("order-1", True, now))
        if rng.random() < 0.3:
            return

        def pay(applicant: object) -> None:
            from prakerja.domain.applicant import Applicant

            assert isinstance(applicant, Applicant)
            key = applicant.initiate_incentive_payment("monthly", 1, "bank", now)
            applicant.record_incentive_paid("monthly", 1, 600_000, key, "ref-1", now)

        self._save(applicant_id, pay)

    # --------------------------------------------------------------- plumbing

    def _work(self, applicant_id: UUID, *, delay: bool = False) -> None:
        """What the dispatcher and workers do: run what is owed until nothing is."""
        for _ in range(6):
            work = self.applicants.get(applicant_id).outstanding_work()
            if not work:
                return
            for step in work:
                if delay and step in (Step.VALIDATE_NIK, Step.CHECK_EXCLUSIONS):
                    service = self.registry if step is Step.VALIDATE_NIK else self.exclusions
                    service.fail_next()
                    self.runner.run(step, applicant_id, last_try=True)
                    return
                self.runner.run(step, applicant_id)

    def _save(self, applicant_id: UUID, command: object) -> None:
        applicant = self.applicants.get(applicant_id)
        command(applicant)  # type: ignore[operator]
        self.applicants.save(applicant)
