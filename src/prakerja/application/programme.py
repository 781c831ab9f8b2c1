"""The programme after verification: waves, joining, the draw, the decree, training, surveys.

Commands work on the same event store as everything else (the ``prakerja`` application
of :class:`Applicants`): get, call, save, where several aggregates that must change
together go in one save. A save that loses an optimistic-concurrency race is retried
from fresh state, so a command is never applied to stale data.

Work over thousands of applicants (telling every candidate the outcome of the draw,
revoking non-buyers) goes in batches, one save per batch. It is resumable: each applicant's
own state says whether it was done, so a re-run after a crash completes the rest and
never records anything twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from itertools import islice
from typing import Any, Literal, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Aggregate

from prakerja.application.applicants import Applicants, Written
from prakerja.application.retry import retry_on_conflict
from prakerja.domain.applicant import Applicant
from prakerja.domain.errors import AlreadyTaken, InvalidInput, NotFound, TransitionNotAllowed
from prakerja.domain.nik import Nik
from prakerja.domain.programme import (
    BlacklistedNik,
    MembershipStatus,
    TrainingEventReceipt,
    blacklist_id,
    first_training_deadline,
    receipt_id,
)
from prakerja.domain.rules import (
    FIRST_TRAINING_DEADLINE,
    MAX_SKILLS_TEST_SCORE,
    SELECTION,
    TRAINING_BALANCE,
)
from prakerja.domain.selection import Candidate, DrawResult, draw, ranking_key, selected_digest
from prakerja.domain.wave import (
    CATALOGUE_ID,
    PriorityListing,
    Wave,
    WaveCatalogue,
    WaveRoster,
    WaveSpec,
    WaveStatus,
    priority_listing_id,
    wave_id,
)
from prakerja.eventstore.position import written_at

Clock = Callable[[], dt.datetime]
A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")

NO_TRAINING_REASON = "no_training_within_30_days"
MAX_LISTING_BATCH = 10_000


class TrainingEventType(StrEnum):
    PURCHASED = "training.purchased"
    COMPLETED = "training.completed"
    REVIEWED = "training.reviewed"


@dataclass(frozen=True)
class TrainingEvent:
    """A fact a training platform reports about one of its orders (from a signed webhook)."""

    event_id: str
    type: TrainingEventType
    participant_id: UUID
    order_id: str
    occurred_at: dt.datetime
    training_id: str | None = None
    price: int | None = None
    reviewed: bool = False


@dataclass(frozen=True)
class Listing:
    added: int
    already_listed: int


@dataclass(frozen=True)
class Progress:
    """What a batched run over a wave's applicants found, and whether the wave is done."""

    done: bool
    counts: dict[str, int]


@dataclass(frozen=True)
class DrawRecord:
    """Everything needed to re-run a wave's draw, and what was recorded when it ran."""

    wave_number: int
    recorded: dict[str, Any]
    quota: int
    province_quotas: dict[str, int]
    candidates: list[Candidate]
    selected: list[UUID]


@dataclass(frozen=True)
class DrawVerification:
    wave_number: int
    matches: bool
    recorded: dict[str, Any]
    recomputed: DrawResult


class Programme:
    """Commands and queries of waves and participants, over the one event store."""

    def __init__(
        self,
        applicants: Applicants,
        *,
        index_secret: bytes,
        clock: Clock | None = None,
        batch_size: int = 500,
        retries: int = 5,
        roster_cache: int = 4096,
        loaders: int = 4,
    ) -> None:
        self.applicants = applicants
        self._secret = index_secret
        # Waves and their rosters are read by every join; a roster collects thousands of
        # events. The library's repository cache keeps them in memory and fast-forwards
        # each read with only the events stored since (other processes' joins included).
        self._waves = Repository(applicants.events, cache_maxsize=roster_cache, fastforward=True)
        self.clock: Clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.batch_size = batch_size
        self.retries = retries
        self.loaders = loaders

    # ------------------------------------------------------------------- waves

    def schedule_wave(self, spec: WaveSpec, by: str) -> Wave:
        """A new wave with its empty rosters; a recovery wave takes revoked slots over."""
        spec.validate()
        if spec.recovery_of and spec.quota != sum(spec.recovery_of.values()):
            raise InvalidInput(
                "A recovery wave's quota is the revoked slots it takes over.",
                code="invalid_quota",
            )

        def attempt() -> Wave:
            catalogue = self._find(CATALOGUE_ID, WaveCatalogue, self._waves) or WaveCatalogue()
            if spec.number in catalogue.waves:
                raise AlreadyTaken(f"Wave {spec.number} already exists.", code="wave_exists")
            wave = Wave.schedule(spec, by)
            catalogue.add(spec.number, wave.id)
            rosters = [WaveRoster(wave.id, k) for k in range(spec.partitions)]
            sources = []
            for number, slots in sorted((spec.recovery_of or {}).items()):
                source = self.wave(number)
                source.offer_slots(wave.id, spec.number, slots)
                sources.append(source)
            self.applicants.save(catalogue, wave, *rosters, *sources)
            return wave

        return self._retrying(attempt)

    def list_priority_members(
        self, number: int, group: str, niks: Sequence[str], by: str
    ) -> Listing:
        """Put NIKs on one of a wave's priority groups before it opens. Re-sending is harmless."""
        if len(niks) > MAX_LISTING_BATCH:
            raise InvalidInput(
                f"Send at most {MAX_LISTING_BATCH} NIKs at a time.", code="batch_too_large"
            )
        parsed = sorted({Nik.parse(raw).value for raw in niks})

        def attempt() -> Listing:
            wave = self.wave(number)
            changed: list[Aggregate] = []
            for nik in parsed:
                key = priority_listing_id(self._secret, wave.id, nik)
                listing = self._find(key, PriorityListing)
                if listing is None:
                    changed.append(PriorityListing(key=key, wave_id=wave.id, group=group))
                elif listing.add_group(group):
                    changed.append(listing)
            digest = hashlib.sha256("".join(str(a.id) for a in changed).encode()).hexdigest()
            wave.list_priority_members(group, len(changed), digest, by)
            self.applicants.save(wave, *changed)
            return Listing(added=len(changed), already_listed=len(parsed) - len(changed))

        return self._retrying(attempt)

    def open_wave(self, number: int, by: str) -> Wave:
        def attempt() -> Wave:
            wave = self.wave(number)
            if wave.status is not WaveStatus.OPEN:
                wave.open(self.clock(), by)
                self.applicants.save(wave)
            return wave

        return self._retrying(attempt)

    def close_wave(self, number: int, by: str, seed: str | None = None) -> Wave:
        """Stop joining, then freeze the candidates and draw. Idempotent.

        First the wave records that joining has stopped: joins that read it from then on
        are refused. Then the wave's ``Closed`` (with the draw) is saved together with every
        roster's: a join still in flight makes that save fail, and it is retried with the
        join included, so nothing is lost and nothing lands after. A repeated or concurrent
        close finds the wave closed and returns it: there is one draw per wave.
        """
        chosen_seed = seed or secrets.token_hex(32)

        def stop_joining() -> Wave:
            wave = self.wave(number)
            if wave.status is WaveStatus.OPEN:
                wave.stop_joining(self.clock(), by)
                self.applicants.save(wave)
            return wave

        def freeze() -> Wave:
            wave = self.wave(number)
            if wave.reached(WaveStatus.CLOSED):
                return wave
            rosters = self.rosters(wave)
            if any(roster.closed for roster in rosters):
                return self.wave(number)  # another close won between our two reads
            result = draw(
                (c for roster in rosters for c in roster.candidates()),
                seed=chosen_seed,
                quota=wave.quota,
                province_quotas=wave.province_quotas,
            )
            wave.close(self.clock(), by, result)
            selected = set(result.selected)
            for roster in rosters:
                roster.close(selected & roster.entries.keys())
            self.applicants.save(wave, *rosters)
            return wave

        self._retrying(stop_joining)
        return self._retrying(freeze, attempts=self.retries * 4)

    def issue_decree(self, number: int, sk_number: str, sk_date: dt.date, by: str) -> Wave:
        """Record the SK; the selected and the others are told by :meth:`deliver_sks`."""

        def attempt() -> Wave:
            wave = self.wave(number)
            if wave.reached(WaveStatus.DECREED):
                if (wave.sk_number, wave.sk_date) != (sk_number.strip(), sk_date):
                    raise TransitionNotAllowed(
                        f"Wave {number} already has decree {wave.sk_number}.",
                        code="decree_exists",
                    )
                return wave
            deadline = first_training_deadline(sk_date)
            wave.issue_decree(sk_number, sk_date, deadline, by, self.clock())
            self.applicants.save(wave)
            return wave

        return self._retrying(attempt)

    def deliver_sks(self, number: int) -> Progress:
        """SKIssued to every selected candidate, NotSelected to the others, in batches."""
        wave = self.wave(number)
        if wave.reached(WaveStatus.SK_DELIVERED):
            return Progress(
                True, {"participants": wave.participants, "not_selected": wave.not_selected}
            )
        if wave.status is not WaveStatus.DECREED:
            raise TransitionNotAllowed(
                f"Wave {number} is {wave.status}; SKs follow the decree.", code="wave_state"
            )
        participants = not_selected = 0
        for roster in self.rosters(wave):
            for batch in _batched(sorted(roster.entries, key=str), self.batch_size):
                self._retrying(partial(self._deliver, wave, roster.selected, batch))
                chosen = sum(1 for applicant_id in batch if applicant_id in roster.selected)
                participants += chosen
                not_selected += len(batch) - chosen

        def finish() -> None:
            current = self.wave(number)
            if current.status is WaveStatus.DECREED:
                current.record_sks_delivered(participants, not_selected, self.clock())
                self.applicants.save(current)

        self._retrying(finish)
        return Progress(True, {"participants": participants, "not_selected": not_selected})

    def enforce_first_training_deadline(self, number: int) -> Progress:
        """Revoke participants who bought no training within 30 days of the SK.

        Each revocation saves the applicant's MembershipRevoked (the balance goes back to the
        fund) with the NIK's blacklist entry. Nothing happens before the deadline.
        """
        wave = self.wave(number)
        if wave.reached(WaveStatus.DEADLINE_ENFORCED):
            return Progress(
                True, {"revoked": wave.revoked, "balance_returned": wave.balance_returned}
            )
        deadline = wave.first_training_deadline
        now = self.clock()
        if wave.status is not WaveStatus.SK_DELIVERED or deadline is None or now < deadline:
            return Progress(False, {})
        revoked = returned = 0
        for roster in self.rosters(wave):
            for batch in _batched(sorted(roster.selected, key=str), self.batch_size):
                count, amount = self._retrying(partial(self._revoke, wave, batch, now))
                revoked += count
                returned += amount

        def finish() -> None:
            current = self.wave(number)
            if current.status is WaveStatus.SK_DELIVERED:
                current.record_deadline_enforced(revoked, returned, now)
                self.applicants.save(current)

        self._retrying(finish)
        return Progress(True, {"revoked": revoked, "balance_returned": returned})

    # ------------------------------------------------------------ participants

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
            roster.admit(applicant_id, nik[:2], rank, skills_test_score, now)
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

    # ----------------------------------------------------------------- queries

    def wave(self, number: int) -> Wave:
        wave = self._find(wave_id(number), Wave, self._waves)
        if wave is None:
            raise NotFound(f"No wave {number}.", code="wave_not_found")
        return wave

    def waves(self) -> list[Wave]:
        catalogue = self._find(CATALOGUE_ID, WaveCatalogue, self._waves)
        numbers = sorted(catalogue.waves) if catalogue is not None else []
        return [self.wave(number) for number in numbers]

    def rosters(self, wave: Wave) -> list[WaveRoster]:
        return [self._get(rid, WaveRoster, self._waves) for rid in wave.roster_ids()]

    def priority_rank(self, wave: Wave, nik: str) -> int | None:
        """The best rank of the wave's priority groups this NIK is listed on, if any."""
        listing = self._find(priority_listing_id(self._secret, wave.id, nik), PriorityListing)
        return listing.rank(wave.priority_groups) if listing is not None else None

    def joined(self, wave: Wave) -> int:
        return sum(len(roster.entries) for roster in self.rosters(wave))

    def draw_record(self, number: int) -> DrawRecord:
        """The recorded inputs of the draw (candidates, seed, quotas) and its selection."""
        wave = self.wave(number)
        if wave.draw is None:
            raise TransitionNotAllowed(f"Wave {number} has not been drawn.", code="not_drawn")
        rosters = self.rosters(wave)
        candidates = sorted(
            (c for roster in rosters for c in roster.candidates()),
            key=lambda c: str(c.applicant_id),
        )
        by_id = {c.applicant_id: c for c in candidates}
        seed = str(wave.draw["seed"])
        selected = sorted(
            (applicant_id for roster in rosters for applicant_id in roster.selected),
            key=lambda applicant_id: ranking_key(seed, by_id[applicant_id]),
        )
        recorded = {**wave.draw, "rule": SELECTION.ref}
        return DrawRecord(
            number, recorded, wave.quota, dict(wave.province_quotas), candidates, selected
        )

    def verify_draw(self, number: int) -> DrawVerification:
        """Re-run the draw from the recorded inputs and compare with what was recorded."""
        record = self.draw_record(number)
        result = draw(
            record.candidates,
            seed=str(record.recorded["seed"]),
            quota=record.quota,
            province_quotas=record.province_quotas,
        )
        matches = (
            result.candidates_sha256 == record.recorded["candidates_sha256"]
            and result.selected_sha256 == record.recorded["selected_sha256"]
            and list(result.selected) == record.selected
            and selected_digest(record.selected) == record.recorded["selected_sha256"]
        )
        return DrawVerification(number, matches, record.recorded, result)

    # ---------------------------------------------------------------- plumbing

    def _deliver(self, wave: Wave, selected: set[UUID], ids: Sequence[UUID]) -> None:
        assert wave.sk_number is not None
        assert wave.sk_date is not None
        evidence = {
            "rule": SELECTION.ref,
            "seed": wave.draw["seed"] if wave.draw else None,
            "selected_sha256": wave.draw["selected_sha256"] if wave.draw else None,
        }
        changed: list[Aggregate] = []
        for applicant in self._load(ids):
            membership = applicant.membership
            waiting = (
                membership.status is MembershipStatus.IN_WAVE and membership.wave_id == wave.id
            )
            if applicant.id in selected:
                if waiting:
                    applicant.issue_sk(
                        wave.id,
                        wave.sk_number,
                        wave.sk_date,
                        TRAINING_BALANCE,
                        wave.first_training_deadline,
                    )
                    changed.append(applicant)
                elif membership.sk_number != wave.sk_number or membership.wave_id != wave.id:
                    raise TransitionNotAllowed(
                        f"Applicant {applicant.id} was selected but is {membership.status}.",
                        code="inconsistent_roster",
                    )
            elif waiting:
                applicant.mark_not_selected(wave.id, evidence)
                changed.append(applicant)
        if changed:
            self.applicants.save(*changed)

    def _revoke(self, wave: Wave, ids: Sequence[UUID], now: dt.datetime) -> tuple[int, int]:
        changed: list[Aggregate] = []
        revoked = returned = 0
        for applicant in self._load(ids):
            membership = applicant.membership
            if membership.wave_id != wave.id:
                continue
            if membership.status is MembershipStatus.PARTICIPANT and not membership.orders:
                assert applicant.identity is not None
                applicant.revoke_membership(
                    NO_TRAINING_REASON,
                    FIRST_TRAINING_DEADLINE.ref,
                    {
                        "sk_number": membership.sk_number,
                        "sk_date": membership.sk_date.isoformat() if membership.sk_date else None,
                        "deadline": wave.first_training_deadline.isoformat()
                        if wave.first_training_deadline
                        else None,
                        "purchases": 0,
                    },
                    revoked_at=now,
                )
                changed.append(applicant)
                key = blacklist_id(self._secret, applicant.identity.nik)
                if self._find(key, BlacklistedNik) is None:
                    changed.append(
                        BlacklistedNik(
                            key=key,
                            applicant_id=applicant.id,
                            reason=NO_TRAINING_REASON,
                            rule=FIRST_TRAINING_DEADLINE.ref,
                            listed_at=now,
                        )
                    )
            if applicant.membership.revoked_reason == NO_TRAINING_REASON:
                revoked += 1
                returned += applicant.membership.balance_returned
        if changed:
            self.applicants.save(*changed)
        return revoked, returned

    def _load(self, ids: Sequence[UUID]) -> list[Applicant]:
        """A batch of applicants; loading is mostly waiting on the database, so a few at once."""
        with ThreadPoolExecutor(self.loaders) as pool:
            return list(pool.map(self.applicants.get, ids))

    def _retrying(self, attempt: Callable[[], T], attempts: int | None = None) -> T:
        """Run ``attempt``; when its save loses an optimistic-concurrency race, again."""
        return retry_on_conflict(
            attempt,
            attempts=attempts or self.retries,
            gave_up="Others kept changing the same records; try again.",
        )

    def _find(
        self, aggregate_id: UUID, kind: type[A], repository: Repository[UUID] | None = None
    ) -> A | None:
        try:
            found: object = (repository or self.applicants.repository).get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(found, kind):
            return None
        return found

    def _get(
        self, aggregate_id: UUID, kind: type[A], repository: Repository[UUID] | None = None
    ) -> A:
        found = self._find(aggregate_id, kind, repository)
        if found is None:
            raise NotFound(f"No {kind.__name__} {aggregate_id}.", code="not_found")
        return found


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


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
