"""Histories that record every event of the applicant and wave aggregates.

``tests/domain/stored_events.json`` holds these histories as an earlier version of the
code stored them (topic and JSON state), so ``test_stored_events.py`` can show that
stored events still load, replay and encode to the same JSON.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from prakerja.domain.applicant import Applicant
from prakerja.domain.decisions import Decision, Reason
from prakerja.domain.identity import Identity
from prakerja.domain.rules import (
    EMAIL_OWNERSHIP,
    FIRST_TRAINING_DEADLINE,
    NOT_EXCLUDED,
    NOT_IN_SCHOOL,
    PHONE_OTP,
    REGISTRY_MATCH,
    Rule,
)
from prakerja.domain.selection import Candidate, draw
from prakerja.domain.stages import Stage, StageStatus
from prakerja.domain.wave import PriorityListing, Wave, WaveCatalogue, WaveRoster, WaveSpec

START = dt.datetime(2020, 4, 11, 1, 0, tzinfo=dt.UTC)
FACE = Rule("face.match", 1)
PHOTO = UUID("00000000-0000-4000-8000-000000000001")


def _passed(rule: Rule, **evidence: Any) -> Decision:
    return Decision(True, (rule,), evidence)


def _failed(rule: Rule, code: str, measured: float | None = None) -> Decision:
    return Decision(False, (rule,), {"measured": measured}, (Reason(code, measured, 0.5),))


def _identity(nik: str) -> Identity:
    identity, _ = Identity.parse(
        nik=nik,
        kk_number="3201010101010001",
        full_name="Peserta Satu",
        birth_date=dt.date(1990, 7, 1),
        mother_maiden_name="Sri",
    )
    return identity


def participant_history() -> Applicant:
    """From the first email to a revoked membership, through every verification outcome."""
    a = Applicant("one@example.com", "not-a-real-hash", "id")
    a.record_email_sent(1, "m-1")
    a.record_email_bounce(1, _failed(EMAIL_OWNERSHIP, "email_bounced"))
    a.change_email("one@example.org")
    a.record_email_sent(2, "m-2")
    a.request_email_resend()
    a.record_email_sent(3, "m-3")
    a.verify_email(3, _passed(EMAIL_OWNERSHIP, token="t"))
    a.submit_identity(_identity("3201010107900001"), True, today=START.date())
    a.record_identity_check(1, _failed(REGISTRY_MATCH, "registry_mismatch"), None)
    a.submit_identity(_identity("3201010107900002"), True, today=START.date())
    a.delay_verification(Stage.IDENTITY, "timeout", 1, START + dt.timedelta(minutes=5))
    a.record_identity_check(2, _passed(REGISTRY_MATCH, age_years=29), "photo-1")
    a.record_education_check(_passed(NOT_IN_SCHOOL))
    a.record_exclusion_check(_passed(NOT_EXCLUDED, lists=[]))
    a.upload_selfie(PHOTO, "0" * 64, "image/jpeg", 640, 480)
    a.record_face_check(1, _failed(FACE, "face_mismatch", 0.8))
    a.upload_selfie(PHOTO, "1" * 64, "image/jpeg", 640, 480)
    a.record_face_check(2, _failed(FACE, "face_uncertain", 0.45), review=True)
    a.override_decision(Stage.FACE, StageStatus.PASSED, 20, "rina", "same person", None)
    a.request_otp("+6281200000001", START + dt.timedelta(minutes=5))
    a.record_otp_sent(1, "sms-1")
    a.record_otp_failure(START, 5)
    a.verify_phone(START, 5, _passed(PHONE_OTP))
    wave = Wave.create_id(1)
    a.join_wave(wave, 1, 80)
    a.issue_sk(wave, "SK-1/2020", dt.date(2020, 4, 17), 1_000_000)
    a.purchase_training("p:1", "p", "course-1", 400_000, START + dt.timedelta(days=7))
    a.complete_training("p:1", False, START + dt.timedelta(days=8))
    a.review_training("p:1", START + dt.timedelta(days=8))
    a.complete_survey(1, {"useful": 5}, START + dt.timedelta(days=9))
    key = a.initiate_incentive_payment("survey", 1, "bank:1", START + dt.timedelta(days=40))
    a.record_incentive_paid("survey", 1, 50_000, key, "pay-1", START + dt.timedelta(days=40))
    key = a.initiate_incentive_payment("monthly", 1, "bank:1", START + dt.timedelta(days=40))
    a.record_incentive_rejected("monthly", 1, "no_account", "pay-2", START + dt.timedelta(days=40))
    return a


def refused_history() -> Applicant:
    """Refused by the exclusion lists, disputed, not selected in a wave before that."""
    a = Applicant("two@example.com", "not-a-real-hash", "en")
    a.record_email_sent(1, "m-1")
    a.verify_email(1, _passed(EMAIL_OWNERSHIP))
    a.submit_identity(_identity("3201010107900003"), False, today=START.date())
    a.record_identity_check(1, _passed(REGISTRY_MATCH), None)
    a.record_education_check(_passed(NOT_IN_SCHOOL))
    a.record_exclusion_check(_failed(NOT_EXCLUDED, "on_exclusion_list"))
    a.dispute_decision(Stage.EXCLUSION, 7, "I am not a civil servant.")
    return a


def _verified(index: int) -> Applicant:
    a = Applicant(f"person{index}@example.com", "not-a-real-hash", "id")
    a.record_email_sent(1, "m-1")
    a.verify_email(1, _passed(EMAIL_OWNERSHIP))
    a.submit_identity(_identity(f"320101010790{index:04d}"), True, today=START.date())
    a.record_identity_check(1, _passed(REGISTRY_MATCH), None)
    a.record_education_check(_passed(NOT_IN_SCHOOL))
    a.record_exclusion_check(_passed(NOT_EXCLUDED))
    a.upload_selfie(PHOTO, "2" * 64, "image/png", 640, 480)
    a.record_face_check(1, _passed(FACE))
    a.request_otp(f"+62812{index:08d}", START + dt.timedelta(minutes=5))
    a.verify_phone(START, 5, _passed(PHONE_OTP))
    a.join_wave(Wave.create_id(1), 1, 70)
    return a


def not_selected_history() -> Applicant:
    a = _verified(4)
    a.mark_not_selected(Wave.create_id(1), {"seed": "s"})
    return a


def revoked_history() -> Applicant:
    """A participant without a training by the deadline."""
    a = _verified(5)
    a.issue_sk(Wave.create_id(1), "SK-1/2020", dt.date(2020, 4, 17), 1_000_000)
    a.revoke_membership(FIRST_TRAINING_DEADLINE.id, FIRST_TRAINING_DEADLINE.ref, {"days": 31})
    return a


def wave_histories() -> list[Aggregate]:
    """A wave from scheduling to offered slots, one roster, the catalogue and a listing."""
    spec = WaveSpec(1, START, START + dt.timedelta(days=4), 1, {}, {"laid_off": 1}, 1)
    wave = Wave.schedule(spec, "ops")
    wave.list_priority_members("laid_off", 1, "0" * 64, "ops")
    wave.open(START, "ops")
    roster = WaveRoster(wave.id, 0)
    applicant = UUID("00000000-0000-4000-8000-000000000002")
    roster.admit(applicant, "32", 1, 80, START + dt.timedelta(hours=1))
    wave.stop_joining(START + dt.timedelta(days=4), "ops")
    result = draw([Candidate(applicant, "32", 1)], seed="00" * 16, quota=1)
    wave.close(START + dt.timedelta(days=4), "ops", result)
    roster.close(set(result.selected))
    deadline = START + dt.timedelta(days=40)
    wave.issue_decree("SK-1/2020", dt.date(2020, 4, 17), deadline, "ops", START)
    wave.record_sks_delivered(1, 0, START + dt.timedelta(days=5))
    wave.record_deadline_enforced(1, 1_000_000, deadline)
    wave.offer_slots(Wave.create_id(2), 2, 1)
    catalogue = WaveCatalogue()
    catalogue.add(1, wave.id)
    listing = PriorityListing(UUID("00000000-0000-4000-8000-000000000003"), wave.id, "laid_off")
    listing.add_group("veterans")
    return [wave, roster, catalogue, listing]


def all_histories() -> list[Aggregate]:
    return [
        participant_history(),
        refused_history(),
        not_selected_history(),
        revoked_history(),
        *wave_histories(),
    ]


def facts(aggregate: Any) -> str:
    """What an aggregate holds, as text, without its id and times (they vary by run)."""
    return repr(_plain({k: v for k, v in vars(aggregate).items() if not k.startswith("_")}))


def _plain(value: Any) -> Any:
    """Sets sorted (their order changes with the string hash seed), dataclasses opened."""
    if isinstance(value, set | frozenset):
        return sorted(repr(_plain(item)) for item in value)
    if isinstance(value, dict):
        return {repr(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return (type(value).__name__, fields)
    return value
