"""A person's review of one automated decision, with the four-eyes rule for acceptances.

One ``Review`` exists per flagged decision: its id is derived from the applicant, the
stage and the version of the automated decision it is about, so two reviewers taking the
same case at once write the same first event and the second save fails. A reviewer
takes the case and decides with a written justification. Rejecting (or confirming a
rejection) is the reviewer's own decision. Accepting what automation did not accept is
only a proposal until a *second* reviewer approves it; the proposer can never approve
or refuse their own proposal. Every step is an event naming who, when, why, and the
automated decision (event and version) it confirms or replaces.

The review does not change the applicant itself: the application service applies the
final decision with ``Applicant.override_decision`` in the same save as the review's
``Decided`` or ``OverrideApproved`` event, so neither is ever recorded without the other.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from prakerja.domain.errors import DomainError, InvalidInput, TransitionNotAllowed
from prakerja.domain.stages import Stage, StageStatus

_NAMESPACE = UUID("0b8f5a8e-7c1d-4a53-9d52-4f2f3c1e6a71")
MIN_JUSTIFICATION = 10
MAX_JUSTIFICATION = 4000


class ReviewStatus(StrEnum):
    OPEN = "open"
    TAKEN = "taken"
    PENDING_APPROVAL = "pending_approval"
    DECIDED = "decided"


class Outcome(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"

    @property
    def stage_status(self) -> StageStatus:
        return StageStatus.PASSED if self is Outcome.ACCEPT else StageStatus.FAILED


class SeparationOfDuties(DomainError):
    """Raised when a reviewer would approve or refuse their own proposal (four eyes)."""

    code = "own_proposal"


class ReviewHeld(TransitionNotAllowed):
    """Raised when a case is held by another reviewer, or acted on by one not holding it."""

    code = "review_held"


class ReviewClosed(TransitionNotAllowed):
    """Raised when a decided review, or one waiting for approval, is acted on wrongly."""

    code = "review_closed"


def review_id(applicant_id: UUID, stage: Stage | str, decision_version: int) -> UUID:
    return uuid5(_NAMESPACE, f"{applicant_id}:{Stage(stage).value}:{decision_version}")


def needs_second_reviewer(automated: StageStatus, outcome: Outcome) -> bool:
    """Turning anything short of an automated acceptance into an acceptance is sensitive."""
    return outcome is Outcome.ACCEPT and automated is not StageStatus.PASSED


def effect_of(automated: StageStatus, outcome: Outcome) -> str:
    """``confirms`` when the person agrees with the automated outcome, else ``replaces``."""
    return "confirms" if automated is outcome.stage_status else "replaces"


def check_justification(text: str) -> str:
    cleaned = text.strip()
    if len(cleaned) < MIN_JUSTIFICATION or len(cleaned) > MAX_JUSTIFICATION:
        raise InvalidInput(
            f"A justification has {MIN_JUSTIFICATION} to {MAX_JUSTIFICATION} characters.",
            code="justification_required",
        )
    return cleaned


class Review(Aggregate):
    """One reviewer's (or two reviewers') decision on one flagged automated decision."""

    class Taken(Aggregate.Created):
        applicant_id: UUID
        stage: str
        decision_version: int
        decision_event: str
        kind: str
        automated_status: str
        reviewer: str
        at: dt.datetime

    @staticmethod
    def create_id(applicant_id: UUID, stage: str, decision_version: int) -> UUID:
        return review_id(applicant_id, stage, decision_version)

    @event(Taken)
    def __init__(
        self,
        applicant_id: UUID,
        stage: str,
        decision_version: int,
        decision_event: str,
        kind: str,
        automated_status: str,
        reviewer: str,
        at: dt.datetime,
    ) -> None:
        self.applicant_id = applicant_id
        self.stage = Stage(stage)
        self.decision_version = decision_version
        self.decision_event = decision_event
        self.kind = kind
        self.automated_status = StageStatus(automated_status)
        self.status = ReviewStatus.TAKEN
        self.holder: str | None = reviewer
        self.held_since = at
        self.proposed_outcome: Outcome | None = None
        self.proposed_by: str | None = None
        self.proposal_justification: str | None = None
        self.outcome: Outcome | None = None

    # ----------------------------------------------------------------- holding

    def take(self, reviewer: str, now: dt.datetime, takeover_after: dt.timedelta) -> None:
        """Take an open case, or one its holder left untouched for ``takeover_after``."""
        self._require_not(ReviewStatus.DECIDED, ReviewStatus.PENDING_APPROVAL)
        if self.holder == reviewer:
            return
        if self.holder is not None and now - self.held_since < takeover_after:
            raise ReviewHeld(f"{self.holder} is reviewing this case.", holder=self.holder)
        self._retaken(reviewer=reviewer, previous=self.holder, at=now)

    class Retaken(Aggregate.Event):
        reviewer: str
        previous: str | None
        at: dt.datetime

    @event(Retaken)
    def _retaken(self, reviewer: str, previous: str | None, at: dt.datetime) -> None:
        self.status = ReviewStatus.TAKEN
        self.holder = reviewer
        self.held_since = at

    def release(self, reviewer: str) -> None:
        """Give the case back to the queue undecided."""
        self._require_holder(reviewer)
        self._released(reviewer=reviewer)

    class Released(Aggregate.Event):
        reviewer: str

    @event(Released)
    def _released(self, reviewer: str) -> None:
        self.status = ReviewStatus.OPEN
        self.holder = None

    # ---------------------------------------------------------------- deciding

    def decide(self, reviewer: str, outcome: Outcome, justification: str, now: dt.datetime) -> bool:
        """Decide, or propose when a second reviewer must agree; True when it is a proposal."""
        self._require_holder(reviewer)
        text = check_justification(justification)
        if needs_second_reviewer(self.automated_status, outcome):
            self._override_proposed(
                outcome=outcome.value, proposed_by=reviewer, justification=text, at=now
            )
            return True
        self._decided(
            outcome=outcome.value,
            decided_by=reviewer,
            justification=text,
            effect=effect_of(self.automated_status, outcome),
            decision_event=self.decision_event,
            decision_version=self.decision_version,
            at=now,
        )
        return False

    class Decided(Aggregate.Event):
        outcome: str
        decided_by: str
        justification: str
        effect: str
        decision_event: str
        decision_version: int
        at: dt.datetime

    @event(Decided)
    def _decided(
        self,
        outcome: str,
        decided_by: str,
        justification: str,
        effect: str,
        decision_event: str,
        decision_version: int,
        at: dt.datetime,
    ) -> None:
        self.status = ReviewStatus.DECIDED
        self.outcome = Outcome(outcome)

    class OverrideProposed(Aggregate.Event):
        outcome: str
        proposed_by: str
        justification: str
        at: dt.datetime

    @event(OverrideProposed)
    def _override_proposed(
        self, outcome: str, proposed_by: str, justification: str, at: dt.datetime
    ) -> None:
        self.status = ReviewStatus.PENDING_APPROVAL
        self.proposed_outcome = Outcome(outcome)
        self.proposed_by = proposed_by
        self.proposal_justification = justification

    def approve(self, approver: str, justification: str, now: dt.datetime) -> None:
        self._require_second_reviewer(approver)
        assert self.proposed_outcome is not None
        self._override_approved(
            approved_by=approver,
            justification=check_justification(justification),
            outcome=self.proposed_outcome.value,
            effect=effect_of(self.automated_status, self.proposed_outcome),
            decision_event=self.decision_event,
            decision_version=self.decision_version,
            at=now,
        )

    class OverrideApproved(Aggregate.Event):
        approved_by: str
        justification: str
        outcome: str
        effect: str
        decision_event: str
        decision_version: int
        at: dt.datetime

    @event(OverrideApproved)
    def _override_approved(
        self,
        approved_by: str,
        justification: str,
        outcome: str,
        effect: str,
        decision_event: str,
        decision_version: int,
        at: dt.datetime,
    ) -> None:
        self.status = ReviewStatus.DECIDED
        self.outcome = Outcome(outcome)

    def refuse(self, refuser: str, justification: str, now: dt.datetime) -> None:
        """A second reviewer disagrees: the case goes back to its proposer, undecided."""
        self._require_second_reviewer(refuser)
        self._override_refused(
            refused_by=refuser, justification=check_justification(justification), at=now
        )

    class OverrideRefused(Aggregate.Event):
        refused_by: str
        justification: str
        at: dt.datetime

    @event(OverrideRefused)
    def _override_refused(self, refused_by: str, justification: str, at: dt.datetime) -> None:
        self.status = ReviewStatus.TAKEN
        self.holder = self.proposed_by
        self.held_since = at
        self.proposed_outcome = None
        self.proposed_by = None
        self.proposal_justification = None

    # ------------------------------------------------------------------ guards

    def _require_not(self, *statuses: ReviewStatus) -> None:
        if self.status in statuses:
            raise ReviewClosed(f"This review is {self.status}.", status=self.status.value)

    def _require_holder(self, reviewer: str) -> None:
        self._require_not(ReviewStatus.DECIDED, ReviewStatus.PENDING_APPROVAL)
        if self.holder != reviewer:
            raise ReviewHeld(
                "Take the case before acting on it."
                if self.holder is None
                else f"{self.holder} is reviewing this case.",
                holder=self.holder or "",
            )

    def _require_second_reviewer(self, reviewer: str) -> None:
        if self.status is not ReviewStatus.PENDING_APPROVAL:
            raise ReviewClosed(
                "There is no proposal waiting for approval.", status=self.status.value
            )
        if reviewer == self.proposed_by:
            raise SeparationOfDuties(
                "A second reviewer must approve or refuse this proposal, not its author."
            )
