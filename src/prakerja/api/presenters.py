"""How an applicant's case reads to a frontend or an auditor: status, reasons, history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from eventsourcing.domain import Aggregate

from prakerja.api.schemas import (
    HistoryEntry,
    MembershipOut,
    ReasonOut,
    StageOut,
    StatusOut,
    Text,
)
from prakerja.domain import status as status_rules
from prakerja.domain.applicant import Applicant
from prakerja.domain.contact import mask_email, mask_phone
from prakerja.domain.nik import mask_nik
from prakerja.domain.reasons import message_for
from prakerja.domain.stages import VERIFICATION_ORDER, StageStatus

_SUMMARIES = {
    status_rules.IN_PROGRESS: Text(
        id="Pendaftaran Anda sedang diproses.", en="Your application is being processed."
    ),
    status_rules.ACTION_REQUIRED: Text(
        id="Ada langkah yang perlu Anda lakukan.", en="There is something you need to do."
    ),
    status_rules.IN_REVIEW: Text(
        id="Kasus Anda sedang ditinjau petugas.", en="A reviewer is looking at your case."
    ),
    status_rules.REJECTED: Text(id="Anda tidak memenuhi syarat.", en="You are not eligible."),
    status_rules.VERIFIED: Text(
        id="Verifikasi selesai: Anda dapat bergabung ke gelombang.",
        en="Verified: you can join a wave.",
    ),
}

_APPLICANT_ACTIONS = frozenset(
    {
        "Registered",
        "IdentitySubmitted",
        "SelfieUploaded",
        "OtpRequested",
        "EmailChanged",
        "OtpVerificationFailed",
        "JoinedBatch",
        "EmailVerified",
        "PhoneVerified",
        "DecisionDisputed",
        "EmailResendRequested",
        "SurveyCompleted",
    }
)
_PROVIDER_FACTS = frozenset(
    {"TrainingPurchased", "TrainingCompleted", "TrainingReviewed", "IncentivePaid"}
)
_ALWAYS_HIDDEN = frozenset({"password_hash"})
_PERSONAL = {
    "nik": mask_nik,
    "kk_number": mask_nik,
    "full_name": lambda v: v[:1] + "***",
    "mother_maiden_name": lambda v: v[:1] + "***",
    "birth_date": lambda v: "****-**-**",
    "email": mask_email,
    "previous": mask_email,
    "phone": mask_phone,
}


def overall_status(applicant: Applicant) -> str:
    """The case's overall status, as :mod:`prakerja.domain.status` derives it."""
    return status_rules.overall_status(
        status_rules.stage_statuses(applicant.stages), applicant.membership.status
    )


def next_actions(applicant: Applicant) -> list[str]:
    """What the applicant can do now, as :mod:`prakerja.domain.status` derives it."""
    return status_rules.next_actions(
        status_rules.stage_statuses(applicant.stages), applicant.membership.status
    )


def reason_out(reason: dict[str, Any]) -> ReasonOut:
    message = message_for(str(reason["code"]))
    return ReasonOut(
        code=reason["code"],
        message=Text(id=message.id, en=message.en),
        measured=reason.get("measured"),
        threshold=reason.get("threshold"),
    )


def status_of(applicant: Applicant) -> StatusOut:
    statuses = status_rules.stage_statuses(applicant.stages)
    status = status_rules.overall_status(statuses, applicant.membership.status)
    summary = _SUMMARIES.get(status) or Text(id=status, en=status.replace("_", " "))
    stages = []
    for stage in VERIFICATION_ORDER:
        record = applicant.stages[stage]
        reasons = [reason_out(r) for r in record.reasons]
        if record.status is StageStatus.DELAYED:
            reasons.append(reason_out({"code": "technical_delay"}))
        stages.append(
            StageOut(
                stage=stage.value,
                status=record.status.value,
                reasons=reasons,
                rule=record.rule,
                attempt=record.attempt,
                detail=dict(record.detail),
            )
        )
    membership = applicant.membership
    return StatusOut(
        applicant_id=applicant.id,
        version=applicant.version,
        status=status,
        summary=summary,
        next_actions=status_rules.next_actions(statuses, applicant.membership.status),
        stages=stages,
        membership=MembershipOut(
            status=membership.status.value,
            wave_number=membership.wave_number,
            sk_number=membership.sk_number,
            sk_date=membership.sk_date,
            training_balance=membership.training_balance,
            total_paid=membership.total_paid,
        ),
    )


def history_entry(recorded: Aggregate.Event, *, show_personal_data: bool) -> HistoryEntry:
    name = type(recorded).__name__
    fields = {
        key: value
        for key, value in vars(recorded).items()
        if key not in ("originator_id", "originator_version", "originator_topic", "timestamp")
        and key not in _ALWAYS_HIDDEN
    }
    rules = list(fields.pop("rules", []) or [])
    if "rule" in fields:
        rules.append(str(fields.pop("rule")))
    reasons = [dict(r) for r in fields.pop("reasons", []) or []]
    evidence = dict(fields.pop("evidence", {}) or {})
    data = {key: _present(key, value, show_personal_data) for key, value in fields.items()}
    return HistoryEntry(
        version=recorded.originator_version,
        event=name,
        recorded_at=recorded.timestamp,
        decided_by=_decided_by(recorded, name),
        rules=rules,
        reasons=reasons,
        evidence=evidence,
        data=data,
    )


def _decided_by(recorded: Aggregate.Event, name: str) -> str:
    if isinstance(recorded, Applicant.DecisionOverridden):
        return recorded.decision.decided_by  # the reviewer, and the approver if one
    if name in _APPLICANT_ACTIONS:
        return "applicant"
    if name in _PROVIDER_FACTS:
        return "training-or-payment-provider"
    return "automation"


def _present(key: str, value: Any, show_personal_data: bool) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        value = value.isoformat()
    if not show_personal_data and key in _PERSONAL and isinstance(value, str):
        return _PERSONAL[key](value)
    return value
