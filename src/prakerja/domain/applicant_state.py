"""What an applicant's case holds between events, and the questions asked of it.

:class:`ApplicantState` is the state half of :class:`~prakerja.domain.applicant.Applicant`:
the attributes its events assign, the queries (verified? closed? what is owed?) and the
guards every command starts with. The command mixins and the events' ``apply`` bodies
are typed against it, so they can live in their own modules without importing the
aggregate, which assembles them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prakerja.domain import status
from prakerja.domain.errors import CaseClosed, TransitionNotAllowed
from prakerja.domain.identity import Identity
from prakerja.domain.programme import Membership, MembershipStatus
from prakerja.domain.stages import (
    CORRECTABLE,
    STEP_STAGE,
    VERIFICATION_ORDER,
    Stage,
    StageRecord,
    StageStatus,
    Step,
)

CHECKS = {
    Stage.IDENTITY: Step.VALIDATE_NIK,
    Stage.EDUCATION: Step.CHECK_EDUCATION,
    Stage.EXCLUSION: Step.CHECK_EXCLUSIONS,
    Stage.FACE: Step.CHECK_FACE,
}
"""The stages decided by an automated check, and the step that runs it."""


class ApplicantState:
    """The attributes of one applicant's case, its queries and its guards."""

    email: str
    password_hash: str
    language: str
    stages: dict[Stage, StageRecord]
    emails_sent: int
    emails_requested: int
    identity: Identity | None
    identity_submissions: int
    registry_photo_ref: str | None
    selfie_ref: UUID | None
    selfie_attempts: int
    phone_pending: str | None
    phone: str | None
    otp_sequence: int
    otp_expires_at: dt.datetime | None
    otp_failed_attempts: int
    otp_sent_sequence: int
    membership: Membership

    if TYPE_CHECKING:  # provided by the aggregate the state is mixed into

        @property
        def id(self) -> UUID: ...

        def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None: ...

    def _record(self, event_class: type[Any], **fields: Any) -> None:
        """Trigger the aggregate's own (nested) class of ``event_class``, under its topic.

        The event modules define the classes; the aggregate nests each under the same
        name, and the nested class is the one stored (``…applicant:Applicant.<Name>``).
        """
        self.trigger_event(getattr(type(self), event_class.__name__), **fields)

    # ----------------------------------------------------------------- queries

    def stage(self, stage: Stage) -> StageRecord:
        return self.stages[stage]

    @property
    def is_verified(self) -> bool:
        """Every verification layer passed: ready to join a wave."""
        return status.is_verified(status.stage_statuses(self.stages))

    @property
    def final_rejection(self) -> Stage | None:
        """The first stage failed in a way the applicant cannot fix themselves."""
        return status.final_rejection(status.stage_statuses(self.stages))

    @property
    def is_closed(self) -> bool:
        """Final: the applicant can do nothing more here, and nothing more is sent to them.

        A check the applicant cannot fix failed, or the membership was revoked. Only a
        dispute of the rejection, or a reviewer's override, reopens the case.
        """
        return status.is_closed(status.stage_statuses(self.stages), self.membership.status)

    def open_stages(self) -> list[Stage]:
        """Stages waiting on an automated verification."""
        return [s for s in VERIFICATION_ORDER if self.stages[s].is_open]

    def outstanding_work(self) -> list[Step]:
        """What automation owes this applicant now: the dispatcher hands these out.

        A closed case is owed only the eligibility checks already under way, so that its
        refusal lists every reason; no message is sent and no selfie is compared for a
        case that cannot go on, even if they were asked for before it closed.
        """
        if self.is_closed:
            return [
                step
                for stage, step in CHECKS.items()
                if stage not in CORRECTABLE and self.stages[stage].is_open
            ]
        work = []
        if self.stages[Stage.EMAIL].is_open and self.emails_sent < self.emails_requested:
            work.append(Step.SEND_EMAIL)
        if self.otp_sent_sequence < self.otp_sequence and self.stages[Stage.PHONE].is_open:
            work.append(Step.SEND_OTP)
        for stage, step in CHECKS.items():
            if self.stages[stage].is_open:
                work.append(step)
        return work

    def retry_after(self, step: Step) -> dt.datetime | None:
        """When a step delayed by a technical fault may run again."""
        stage = STEP_STAGE[step]
        raw = self.stages[stage].detail.get("retry_after")
        if self.stages[stage].status is StageStatus.DELAYED and raw:
            return dt.datetime.fromisoformat(raw)
        return None

    # ------------------------------------------------------------------ guards

    def _require_case_open(self) -> None:
        """Every command of the applicant's own starts here (a dispute excepted)."""
        if self.membership.status is MembershipStatus.REVOKED:
            raise CaseClosed(
                "The membership was revoked: this case is closed.", code="membership_revoked"
            )
        stage = self.final_rejection
        if stage is not None:
            raise CaseClosed(
                f"The application was refused at the {stage} check: this case is closed;"
                " only a dispute of that decision can reopen it.",
                stage=stage.value,
            )

    def _require_open(self, stage: Stage) -> None:
        if not self.stages[stage].is_open:
            raise TransitionNotAllowed(
                f"The {stage} check is not waiting for a result "
                f"(it is {self.stages[stage].status}).",
                code="stage_not_open",
            )

    def _require_current_submission(self, submission: int) -> None:
        if submission != self.identity_submissions:
            raise TransitionNotAllowed(
                f"submission {submission} was replaced by {self.identity_submissions}",
                code="stale_attempt",
            )
