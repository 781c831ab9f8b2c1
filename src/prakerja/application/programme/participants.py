"""What participants do in the programme: join a wave, train (as the platforms report
it), answer surveys."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate

from prakerja.application.applicants import Written
from prakerja.application.programme.queries import ProgrammeQueries
from prakerja.application.programme.records import TrainingEvent, TrainingEventType
from prakerja.domain.applicant import Applicant
from prakerja.domain.errors import AlreadyTaken, InvalidInput, TransitionNotAllowed
from prakerja.domain.programme import (
    BlacklistedNik,
    TrainingEventReceipt,
    blacklist_id,
    receipt_id,
)
from prakerja.domain.rules import MAX_SKILLS_TEST_SCORE
from prakerja.domain.wave import WaveRoster
from prakerja.eventstore.position import written_at


class ParticipantCommands(ProgrammeQueries):
    """A participant's own commands, each saved with what must change with it."""

    def join_wave(self, applicant_id: UUID, number: int, skills_test_score: int) -> Written:
        """Join an open wave: saved with the wave's roster, so a racing close excludes it."""
        if not 0 <= skills_test_score <= MAX_SKILLS_TEST_SCORE:
            raise InvalidInput(
                f"A basic-skills test score is 0 to {MAX_SKILLS_TEST_SCORE}.",
                code="invalid_skills_test_score",
            )

        def attempt() -> Written:
            now = self.clock()
            wave = self.wave(number)
            wave.require_joinable(now)
            applicant = self.applicants.get(applicant_id)
            applicant.join_wave(wave.id, wave.number, skills_test_score)
            assert applicant.identity is not None  # verified
            nik = applicant.identity.nik
            if self._find(blacklist_id(self._secret, nik), BlacklistedNik) is not None:
                raise TransitionNotAllowed(
                    "This NIK can no longer take part in the programme.", code="nik_blacklisted"
                )
            rank = self.priority_rank(wave, nik)
            roster = self._get(wave.roster_of(applicant_id), WaveRoster, self._waves)
            province = applicant.identity.parsed_nik.province_code
            roster.admit(applicant_id, province, rank, skills_test_score, now)
            recordings = self.applicants.save(applicant, roster)
            return Written(applicant_id, written_at(recordings))

        return self._retrying(attempt)

    def record_training_event(
        self, platform: str, fact: TrainingEvent, digest: str
    ) -> Literal["recorded", "duplicate"]:
        """Apply a platform's event once: its receipt is saved with its effect.

        Returns ``recorded``, or ``duplicate`` for a redelivery of an event already applied.
        """

        def attempt() -> Literal["recorded", "duplicate"]:
            receipt = self._find(receipt_id(platform, fact.event_id), TrainingEventReceipt)
            if receipt is not None:
                if receipt.digest != digest:
                    raise AlreadyTaken(
                        "This event id was used for another event.", code="event_id_reused"
                    )
                return "duplicate"
            applicant = self.applicants.get(fact.participant_id)
            _apply_training_event(applicant, platform, fact)
            new_receipt = TrainingEventReceipt(
                platform=platform,
                event_id=fact.event_id,
                digest=digest,
                applicant_id=applicant.id,
                received_at=self.clock(),
            )
            self.applicants.save(applicant, new_receipt)
            return "recorded"

        return self._retrying(attempt)

    def complete_survey(self, applicant_id: UUID, number: int, answers: dict[str, Any]) -> Written:
        def command(applicant: Applicant) -> tuple[Aggregate, ...]:
            applicant.complete_survey(number, answers, self.clock())
            return (applicant,)

        return self.applicants.update(applicant_id, command)


def _apply_training_event(applicant: Applicant, platform: str, fact: TrainingEvent) -> None:
    order_id = f"{platform}:{fact.order_id}"  # order ids are the platform's own
    if fact.type is TrainingEventType.PURCHASED:
        if fact.price is None or fact.training_id is None:
            raise InvalidInput("A purchase names a training and a price.", code="invalid_event")
        applicant.purchase_training(
            order_id, platform, fact.training_id, fact.price, fact.occurred_at
        )
    elif fact.type is TrainingEventType.COMPLETED:
        applicant.complete_training(order_id, fact.reviewed, fact.occurred_at)
    else:
        applicant.review_training(order_id, fact.occurred_at)
