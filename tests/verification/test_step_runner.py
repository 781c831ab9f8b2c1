"""Verification steps run directly against fake government services."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import pytest

from prakerja.application.applicants import Applicants
from prakerja.clients.education import EducationLevel
from prakerja.clients.errors import TransientServiceFault
from prakerja.clients.fakes import (
    FakeCivilRegistry,
    FakeEducationRegistry,
    FakeEmailService,
    FakeExclusionRegistry,
    FakeSmsGateway,
    RegistryRecord,
)
from prakerja.container import Container
from prakerja.domain.applicant import Applicant
from prakerja.domain.contact import EmailAddress, PhoneNumber
from prakerja.domain.nik import Nik
from prakerja.domain.stages import Stage, StageStatus, Step
from prakerja.verification.runner import DelayPolicy, Outcome, Services, StepRunner

NIK = "3201015507900001"
KK = "3201010101010001"
BORN = dt.date(1990, 7, 15)


@pytest.fixture
def registry() -> FakeCivilRegistry:
    return FakeCivilRegistry(
        [RegistryRecord(NIK, KK, "Siti Aminah", BORN, "Sri Wahyuni", b"photo")],
        today=dt.date(2020, 4, 11),
    )


@pytest.fixture
def services(container: Container, registry: FakeCivilRegistry) -> Services:
    return Services(
        email=FakeEmailService(),
        sms=FakeSmsGateway(),
        registry=registry,
        education=FakeEducationRegistry(),
        exclusions=FakeExclusionRegistry(),
        photos=container.photos,
    )


@pytest.fixture
def runner(container: Container, services: Services) -> StepRunner:
    return StepRunner(container.applicants, services, DelayPolicy(dt.timedelta(seconds=1)))


@pytest.fixture
def applicants(container: Container) -> Applicants:
    return container.applicants


def events_of(applicants: Applicants, applicant_id: UUID) -> list[str]:
    return [type(e).__name__ for e in applicants.history(applicant_id)]


def with_identity(
    applicants: Applicants,
    runner: StepRunner,
    email: str = "siti@example.com",
    nik: str = NIK,
    kk: str = KK,
    mother: str = "Sri Wahyuni",
) -> UUID:
    applicant_id = applicants.register(email, "rahasia-123").applicant_id
    assert runner.run(Step.SEND_EMAIL, applicant_id) is Outcome.RECORDED
    mail = runner.services.email.sent_to(EmailAddress.parse(email))[-1]  # type: ignore[attr-defined]
    token = mail.body.split("token: ")[1].split()[0]
    applicants.verify_email(applicant_id, token)
    applicants.submit_identity(
        applicant_id,
        nik=nik,
        kk_number=kk,
        full_name="Siti Aminah",
        birth_date=BORN,
        mother_maiden_name=mother,
    )
    return applicant_id


def test_email_is_sent_once_even_when_the_message_is_duplicated(
    applicants: Applicants, runner: StepRunner, services: Services
) -> None:
    applicant_id = applicants.register("siti@example.com", "rahasia-123").applicant_id
    assert runner.run(Step.SEND_EMAIL, applicant_id) is Outcome.RECORDED
    assert runner.run(Step.SEND_EMAIL, applicant_id) is Outcome.NOTHING_TO_DO
    assert len(services.email.sent) == 1  # type: ignore[attr-defined]
    assert events_of(applicants, applicant_id) == ["Registered", "EmailVerificationSent"]


def test_a_bounce_is_recorded_and_the_applicant_can_change_address(
    applicants: Applicants, runner: StepRunner, services: Services
) -> None:
    services.email.bounce(EmailAddress.parse("typo@exmaple.com"))  # type: ignore[attr-defined]
    applicant_id = applicants.register("typo@exmaple.com", "rahasia-123").applicant_id
    runner.run(Step.SEND_EMAIL, applicant_id)
    applicant = applicants.get(applicant_id)
    assert applicant.stage(Stage.EMAIL).status is StageStatus.FAILED
    assert applicant.stage(Stage.EMAIL).reasons == ({"code": "email_bounced"},)


def test_full_pipeline_until_verified_except_face(
    applicants: Applicants, runner: StepRunner, services: Services
) -> None:
    applicant_id = with_identity(applicants, runner)
    assert runner.run(Step.VALIDATE_NIK, applicant_id) is Outcome.RECORDED
    assert set(applicants.get(applicant_id).outstanding_work()) == {
        Step.CHECK_EDUCATION,
        Step.CHECK_EXCLUSIONS,
    }
    runner.run(Step.CHECK_EDUCATION, applicant_id)
    runner.run(Step.CHECK_EXCLUSIONS, applicant_id)
    applicants.request_otp(applicant_id, "0812-3456-7890")
    runner.run(Step.SEND_OTP, applicant_id)
    runner.run(Step.SEND_OTP, applicant_id)  # a duplicate sends no second code
    texts = services.sms.sent_to(PhoneNumber.parse("081234567890"))  # type: ignore[attr-defined]
    assert len(texts) == 1
    code = texts[0].text.split("Prakerja: ")[1][:6]
    applicants.verify_otp(applicant_id, code)
    applicant = applicants.get(applicant_id)
    for stage in (Stage.EMAIL, Stage.IDENTITY, Stage.EDUCATION, Stage.EXCLUSION, Stage.PHONE):
        assert applicant.stage(stage).status is StageStatus.PASSED, stage
    assert applicant.registry_photo_ref == f"photo-{NIK}"


def test_a_rejection_is_recorded_once_with_rule_and_evidence(
    applicants: Applicants, runner: StepRunner
) -> None:
    applicant_id = with_identity(applicants, runner, mother="Wrong Name")
    assert runner.run(Step.VALIDATE_NIK, applicant_id) is Outcome.RECORDED
    assert runner.run(Step.VALIDATE_NIK, applicant_id) is Outcome.NOTHING_TO_DO
    history = applicants.history(applicant_id)
    rejected = [e for e in history if isinstance(e, Applicant.NikRejected)]
    assert len(rejected) == 1
    assert rejected[0].reasons == [{"code": "mother_maiden_name_mismatch"}]
    assert rejected[0].rules == ["identity.registry-match@1", "identity.minimum-age@1"]
    assert rejected[0].evidence["matches"]["mother_maiden_name"] is False
    # The NIK is released: its owner can still apply.
    other = applicants.register("owner@example.com", "rahasia-123").applicant_id
    runner.run(Step.SEND_EMAIL, other)


def test_a_student_and_an_excluded_person_are_rejected_for_good(
    applicants: Applicants, runner: StepRunner, services: Services
) -> None:
    services.education.enroll(Nik.parse(NIK), EducationLevel.UNIVERSITY)  # type: ignore[attr-defined]
    services.exclusions.add(Nik.parse(NIK), "dtks")  # type: ignore[attr-defined]
    applicant_id = with_identity(applicants, runner)
    runner.run(Step.VALIDATE_NIK, applicant_id)
    runner.run(Step.CHECK_EDUCATION, applicant_id)
    runner.run(Step.CHECK_EXCLUSIONS, applicant_id)
    applicant = applicants.get(applicant_id)
    assert applicant.stage(Stage.EDUCATION).reasons == (
        {"code": "enrolled_student", "measured": "university"},
    )
    assert applicant.stage(Stage.EXCLUSION).reasons == (
        {"code": "on_exclusion_list", "measured": "dtks"},
    )
    assert applicant.final_rejection is Stage.EDUCATION


def test_no_code_is_sent_to_a_case_refused_for_good_after_asking_for_it(
    applicants: Applicants, runner: StepRunner, services: Services
) -> None:
    services.education.enroll(Nik.parse(NIK), EducationLevel.SCHOOL)  # type: ignore[attr-defined]
    applicant_id = with_identity(applicants, runner)
    applicants.request_otp(applicant_id, "+6281234567890")
    runner.run(Step.VALIDATE_NIK, applicant_id)
    runner.run(Step.CHECK_EDUCATION, applicant_id)
    assert runner.run(Step.SEND_OTP, applicant_id) is Outcome.NOTHING_TO_DO
    assert services.sms.sent == []  # type: ignore[attr-defined]
    assert runner.run(Step.CHECK_EXCLUSIONS, applicant_id) is Outcome.RECORDED
    assert applicants.get(applicant_id).outstanding_work() == []


def test_technical_faults_are_retried_then_delayed_never_rejected(
    applicants: Applicants, runner: StepRunner, registry: FakeCivilRegistry
) -> None:
    applicant_id = with_identity(applicants, runner)
    registry.fail_next(2)
    with pytest.raises(TransientServiceFault):
        runner.run(Step.VALIDATE_NIK, applicant_id)
    assert runner.run(Step.VALIDATE_NIK, applicant_id, last_try=True) is Outcome.DELAYED
    applicant = applicants.get(applicant_id)
    record = applicant.stage(Stage.IDENTITY)
    assert record.status is StageStatus.DELAYED
    assert record.detail["attempts"] == 1
    assert applicant.retry_after(Step.VALIDATE_NIK) is not None
    assert Step.VALIDATE_NIK in applicant.outstanding_work()
    assert runner.run(Step.VALIDATE_NIK, applicant_id) is Outcome.RECORDED
    assert applicants.get(applicant_id).stage(Stage.IDENTITY).status is StageStatus.PASSED
    names = events_of(applicants, applicant_id)
    assert "NikRejected" not in names and names.count("VerificationDelayed") == 1


def test_a_late_message_for_a_corrected_identity_records_nothing(
    applicants: Applicants, runner: StepRunner
) -> None:
    applicant_id = with_identity(applicants, runner, mother="Wrong Name")
    runner.run(Step.VALIDATE_NIK, applicant_id)
    applicants.submit_identity(
        applicant_id,
        nik=NIK,
        kk_number=KK,
        full_name="Siti Aminah",
        birth_date=BORN,
        mother_maiden_name="Sri Wahyuni",
    )
    assert runner.run(Step.VALIDATE_NIK, applicant_id) is Outcome.RECORDED
    assert runner.run(Step.VALIDATE_NIK, applicant_id) is Outcome.NOTHING_TO_DO
    assert events_of(applicants, applicant_id).count("NikValidated") == 1


def test_at_most_two_applicants_per_family_card(
    applicants: Applicants, runner: StepRunner, registry: FakeCivilRegistry
) -> None:
    niks = ["3201015507900001", "3201011203880002", "3201014404950003"]
    births = [BORN, dt.date(1988, 3, 12), dt.date(1995, 4, 4)]
    ids = []
    for i, (nik, born) in enumerate(zip(niks, births, strict=True)):
        registry.add(RegistryRecord(nik, KK, "Siti Aminah", born, "Sri Wahyuni"))
        applicant_id = applicants.register(f"member{i}@example.com", "rahasia-123").applicant_id
        runner.run(Step.SEND_EMAIL, applicant_id)
        mail = runner.services.email.sent[-1]  # type: ignore[attr-defined]
        applicants.verify_email(applicant_id, mail.body.split("token: ")[1].split()[0])
        applicants.submit_identity(
            applicant_id,
            nik=nik,
            kk_number=KK,
            full_name="Siti Aminah",
            birth_date=born,
            mother_maiden_name="Sri Wahyuni",
        )
        runner.run(Step.VALIDATE_NIK, applicant_id)
        runner.run(Step.CHECK_EXCLUSIONS, applicant_id)
        ids.append(applicant_id)
    statuses = [applicants.get(i).stage(Stage.EXCLUSION) for i in ids]
    assert [s.status for s in statuses] == [
        StageStatus.PASSED,
        StageStatus.PASSED,
        StageStatus.FAILED,
    ]
    assert statuses[2].reasons == ({"code": "family_card_limit", "threshold": 2},)
