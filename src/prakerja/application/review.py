"""The review desk: reviewers take flagged cases, decide, propose, approve and refuse.

Each command gets the review and the applicant, calls them, and saves both in one
transaction: a final decision is never recorded on the review without the applicant's
``DecisionOverridden`` (and the uniqueness or family-card claims an accepted identity
or exclusion check needs), nor the other way round. Before deciding, the case must still
be flagged by the same automated decision: if anything happened on that stage since
(the automation recovered from a delay, say), the review is stale and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from prakerja.application.applicants import Applicants, Written
from prakerja.application.retry import retry_on_conflict
from prakerja.application.review_case import Case, TrailStep, trail_step
from prakerja.clients.civil_registry import CivilRegistry
from prakerja.clients.errors import ServiceError
from prakerja.domain.applicant import Applicant
from prakerja.domain.errors import DomainError, NotFound, TransitionNotAllowed
from prakerja.domain.family_card import FamilyCard
from prakerja.domain.review import Outcome, Review
from prakerja.domain.review import review_id as derive_review_id
from prakerja.domain.review_flags import (
    Flag,
    last_decision_version,
    review_flags,
)
from prakerja.domain.stages import Stage
from prakerja.domain.uniqueness import KeyKind, UniqueKey
from prakerja.eventstore.position import Position, written_at
from prakerja.storage.photos import PhotoNotFound, PhotoStore

T = TypeVar("T")


class NotFlagged(TransitionNotAllowed):
    """Raised when a case taken or decided is not (or no longer) flagged for review."""

    code = "not_flagged"


class EvidenceUnavailable(DomainError):
    """Raised when a photo a reviewer needs cannot be fetched now (HTTP 503)."""

    code = "evidence_unavailable"


@dataclass(frozen=True)
class ReviewWritten:
    review_id: UUID
    status: str
    position: Position | None


class ReviewDesk:
    def __init__(
        self,
        applicants: Applicants,
        photos: PhotoStore,
        registry: CivilRegistry | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        takeover_after: dt.timedelta = dt.timedelta(hours=24),
    ) -> None:
        self.applicants = applicants
        self.photos = photos
        self.registry = registry
        self.clock = clock or (lambda: applicants.clock())
        self.takeover_after = takeover_after

    def close(self) -> None:
        close = getattr(self.registry, "close", None)
        if close is not None:
            close()

    # ---------------------------------------------------------------- commands

    def take(self, applicant_id: UUID, stage: Stage, reviewer: str) -> ReviewWritten:
        def command() -> tuple[Review, tuple[Aggregate, ...]]:
            applicant, flags = self._flagged(applicant_id)
            flag = flags.get(stage)
            if flag is None:
                raise NotFlagged(f"The {stage} stage of this case is not waiting for review.")
            review = self._review_or_none(applicant.id, stage, flag.decision_version)
            if review is None:
                review = Review(
                    applicant_id=applicant.id,
                    stage=stage.value,
                    decision_version=flag.decision_version,
                    decision_event=flag.decision_event,
                    kind=flag.kind.value,
                    automated_status=flag.automated_status.value,
                    reviewer=reviewer,
                    at=self.clock(),
                )
            else:
                review.take(reviewer, self.clock(), self.takeover_after)
            return review, (review,)

        return self._retrying(command)

    def release(self, review_id: UUID, reviewer: str) -> ReviewWritten:
        def command() -> tuple[Review, tuple[Aggregate, ...]]:
            review = self.review(review_id)
            review.release(reviewer)
            return review, (review,)

        return self._retrying(command)

    def decide(
        self, review_id: UUID, reviewer: str, outcome: Outcome, justification: str
    ) -> ReviewWritten:
        """A rejection is recorded at once; an acceptance waits for a second reviewer."""

        def command() -> tuple[Review, tuple[Aggregate, ...]]:
            review = self.review(review_id)
            applicant = self._still_flagged(review)
            if review.decide(reviewer, outcome, justification, self.clock()):
                return review, (review,)
            changed = self._apply(review, applicant, outcome, reviewer, justification, None)
            return review, (review, *changed)

        return self._retrying(command)

    def approve(self, review_id: UUID, approver: str, justification: str) -> ReviewWritten:
        def command() -> tuple[Review, tuple[Aggregate, ...]]:
            review = self.review(review_id)
            applicant = self._still_flagged(review)
            review.approve(approver, justification, self.clock())
            assert review.outcome is not None
            assert review.proposed_by is not None
            proposal = review.proposal_justification or ""
            changed = self._apply(
                review, applicant, review.outcome, review.proposed_by, proposal, approver
            )
            return review, (review, *changed)

        return self._retrying(command)

    def refuse(self, review_id: UUID, refuser: str, justification: str) -> ReviewWritten:
        def command() -> tuple[Review, tuple[Aggregate, ...]]:
            review = self.review(review_id)
            review.refuse(refuser, justification, self.clock())
            return review, (review,)

        return self._retrying(command)

    def dispute(self, applicant_id: UUID, stage: Stage, statement: str) -> Written:
        """The applicant disputes a registry's rejection: the case goes to the queue."""

        def command(applicant: Applicant) -> tuple[Aggregate, ...]:
            version = last_decision_version(self.applicants.history(applicant.id), stage)
            applicant.dispute_decision(stage, version or 0, statement)
            return (applicant,)

        return self.applicants.update(applicant_id, command)

    # ----------------------------------------------------------------- queries

    def review(self, review_id: UUID) -> Review:
        try:
            found: object = self.applicants.repository.get(review_id)
        except AggregateNotFoundError:
            raise NotFound("No such review.", code="review_not_found") from None
        if not isinstance(found, Review):
            raise NotFound("No such review.", code="review_not_found")
        return found

    def case(self, review_id: UUID) -> Case:
        review = self.review(review_id)
        applicant, flags = self._flagged(review.applicant_id)
        flag = flags.get(review.stage)
        if flag is not None and flag.decision_version != review.decision_version:
            flag = None
        return Case(review, flag, applicant, self.trail(review_id))

    def trail(self, review_id: UUID) -> list[TrailStep]:
        return [trail_step(e) for e in self.applicants.events.get(review_id)]

    def selfie(self, review_id: UUID) -> bytes:
        applicant = self.applicants.get(self.review(review_id).applicant_id)
        if applicant.selfie_ref is None:
            raise NotFound("This case has no selfie.", code="photo_not_found")
        try:
            return self.photos.get(applicant.selfie_ref)
        except PhotoNotFound:
            raise NotFound(
                "The selfie was deleted after its retention period.", code="photo_not_found"
            ) from None

    def registry_photo(self, review_id: UUID) -> bytes:
        applicant = self.applicants.get(self.review(review_id).applicant_id)
        if applicant.registry_photo_ref is None:
            raise NotFound("The registry holds no photo for this case.", code="photo_not_found")
        if self.registry is None:
            raise EvidenceUnavailable("The civil registry is not configured here.")
        try:
            return self.registry.fetch_photo(applicant.registry_photo_ref)
        except ServiceError as error:
            raise EvidenceUnavailable(
                f"The civil registry did not return the photo: {type(error).__name__}."
            ) from None

    # ---------------------------------------------------------------- plumbing

    def _flagged(self, applicant_id: UUID) -> tuple[Applicant, dict[Stage, Flag]]:
        """The applicant and its flags, both from one read of its events."""
        events = self.applicants.history(applicant_id)
        applicant: Any = None
        for recorded in events:
            applicant = recorded.mutate(applicant)
        assert isinstance(applicant, Applicant)
        return applicant, review_flags(events)

    def _still_flagged(self, review: Review) -> Applicant:
        applicant, flags = self._flagged(review.applicant_id)
        flag = flags.get(review.stage)
        if flag is None or flag.decision_version != review.decision_version:
            raise NotFlagged(
                "The case changed since it was flagged; this review no longer applies.",
                code="review_stale",
            )
        return applicant

    def _review_or_none(self, applicant_id: UUID, stage: Stage, version: int) -> Review | None:
        found = self.applicants.get_or_none(derive_review_id(applicant_id, stage, version))
        return found if isinstance(found, Review) else None

    def _apply(
        self,
        review: Review,
        applicant: Applicant,
        outcome: Outcome,
        reviewer: str,
        justification: str,
        approved_by: str | None,
    ) -> tuple[Aggregate, ...]:
        """The decision on the applicant, with the claims an acceptance must hold."""
        applicant.override_decision(
            review.stage,
            outcome.stage_status,
            review.decision_version,
            reviewer,
            justification,
            approved_by,
        )
        if outcome is not Outcome.ACCEPT or applicant.identity is None:
            return (applicant,)
        identity = applicant.identity
        if review.stage is Stage.IDENTITY:
            # A rejected NIK was released; accepting it claims it again (or fails whole).
            return (applicant, self._claim_nik(identity.nik, applicant.id))
        if review.stage is Stage.EXCLUSION:
            return (applicant, self._admit_to_family_card(identity.kk_number, applicant.id))
        return (applicant,)

    def _claim_nik(self, nik: str, owner: UUID) -> UniqueKey:
        key_id = self.applicants.key_id(KeyKind.NIK, nik)
        key = self.applicants.get_or_none(key_id)
        if key is None:
            return UniqueKey(KeyKind.NIK.value, owner, key=key_id)
        assert isinstance(key, UniqueKey)
        key.claim(owner)
        return key

    def _admit_to_family_card(self, kk_number: str, applicant_id: UUID) -> FamilyCard:
        card_id = self.applicants.key_id(KeyKind.FAMILY_CARD, kk_number)
        card = self.applicants.get_or_none(card_id) or FamilyCard(key=card_id)
        assert isinstance(card, FamilyCard)
        if not card.has_room_for(applicant_id):
            raise TransitionNotAllowed(
                "Two applicants on this family card have already passed.",
                code="family_card_full",
            )
        card.admit(applicant_id)
        return card

    def _retrying(
        self, command: Callable[[], tuple[Review, tuple[Aggregate, ...]]], retries: int = 3
    ) -> ReviewWritten:
        """Get, call, save; a concurrent write means get again (and maybe be refused)."""

        def attempt() -> ReviewWritten:
            review, changed = command()
            recordings = self.applicants.save(*changed)
            return ReviewWritten(review.id, review.status.value, written_at(recordings))

        return retry_on_conflict(attempt, attempts=retries)
