"""Ops' commands on a wave: schedule, list priority members, open, close and draw, decree,
tell the candidates, revoke those without a training after 30 days.

Work over thousands of applicants (telling every candidate the outcome of the draw,
revoking non-buyers) goes in batches, one save per batch. It is resumable: each applicant's
own state says whether it was done, so a re-run after a crash completes the rest and
never records anything twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from itertools import islice
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from prakerja.application.programme.queries import ProgrammeQueries
from prakerja.application.programme.records import Listing, Progress
from prakerja.domain.errors import AlreadyTaken, InvalidInput, TransitionNotAllowed
from prakerja.domain.nik import Nik
from prakerja.domain.programme import (
    BlacklistedNik,
    MembershipStatus,
    blacklist_id,
    first_training_deadline,
)
from prakerja.domain.rules import FIRST_TRAINING_DEADLINE, SELECTION, TRAINING_BALANCE
from prakerja.domain.selection import draw
from prakerja.domain.wave import (
    CATALOGUE_ID,
    PriorityListing,
    Wave,
    WaveCatalogue,
    WaveRoster,
    WaveSpec,
    WaveStatus,
    priority_listing_id,
)

T = TypeVar("T")

NO_TRAINING_REASON = "no_training_within_30_days"
MAX_LISTING_BATCH = 10_000


class WaveCommands(ProgrammeQueries):
    """A wave's life, from scheduling to the first training deadline."""

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


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
