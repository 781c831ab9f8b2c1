"""The application service: each command gets the aggregates, calls them, and saves once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording

from prakerja.application.known_keys import KnownKeys
from prakerja.application.otp_lock import OtpLock, refuse_if_locked
from prakerja.application.retry import ConcurrentUpdate, retry_on_conflict
from prakerja.application.transcodings import DateAsISO
from prakerja.application.written import IdentityAccepted, Written
from prakerja.domain.applicant import Applicant
from prakerja.domain.contact import EmailAddress, PhoneNumber
from prakerja.domain.decisions import Decision
from prakerja.domain.errors import (
    AlreadyTaken,
    IncorrectCode,
    InvalidCredentials,
    InvalidInput,
    NotFound,
)
from prakerja.domain.identity import Identity
from prakerja.domain.programme import programme_day
from prakerja.domain.rules import EMAIL_OWNERSHIP, PHONE_OTP
from prakerja.domain.uniqueness import KeyKind, UniqueKey, unique_key_id
from prakerja.eventstore.position import written_at
from prakerja.metrics import families as metrics
from prakerja.security.codes import Codes
from prakerja.security.counters import Counters, InMemoryCounters
from prakerja.security.passwords import Passwords

__all__ = ["Applicants", "ConcurrentUpdate", "IdentityAccepted", "OtpLock", "Written"]

if TYPE_CHECKING:
    from prakerja.tracing import TraceParents


class Applicants(Application[UUID]):
    """Commands and queries on applicants, over one event store (table ``prakerja_events``)."""

    name = "prakerja"

    def __init__(
        self,
        env: dict[str, str] | None,
        *,
        passwords: Passwords,
        codes: Codes,
        index_secret: bytes,
        clock: Callable[[], dt.datetime] | None = None,
        otp_ttl: dt.timedelta = dt.timedelta(minutes=5),
        otp_max_attempts: int = 5,
        otp_lock: OtpLock | None = None,
        counters: Counters | None = None,
    ) -> None:
        super().__init__(env)
        self.passwords = passwords
        self.codes = codes
        self._index_secret = index_secret
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.otp_ttl = otp_ttl
        self.otp_max_attempts = otp_max_attempts
        self.otp_lock = otp_lock or OtpLock()
        self.counters = counters or InMemoryCounters(index_secret)
        self._existing_keys = KnownKeys()
        """Uniqueness keys seen to exist (a claim reads those; see :meth:`_claim`)."""
        self.trace_parents: TraceParents | None = None
        """Set when tracing is on: the request's trace is kept for the work it causes."""

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        """The library's hook after a save: count what was written, by event class."""
        metrics.events_written([type(r.domain_event).__qualname__ for r in recordings])
        if self.trace_parents is not None and recordings:
            self.trace_parents.remember(
                r.domain_event.originator_id
                for r in recordings
                if isinstance(r.domain_event, Applicant.Event)
            )

    # ---------------------------------------------------------------- commands

    def register(self, email: str, password: str, language: str = "id") -> Written:
        address = EmailAddress.parse(email)
        _check_password(password)
        return self.register_prehashed(address, self.passwords.hash(password), language)

    def register_prehashed(
        self, email: EmailAddress, password_hash: str, language: str = "id"
    ) -> Written:
        """Registration with the hash computed by the caller (benchmarks, imports)."""
        taken = (KeyKind.EMAIL, email.uniqueness_key)

        def attempt() -> Written:
            # A second try only if the address's key exists but is free (released).
            applicant = Applicant(email.value, password_hash, language)
            key = self._claim(KeyKind.EMAIL, email.uniqueness_key, applicant.id)
            return self._save(applicant, key, taken=taken)

        return retry_on_conflict(
            attempt,
            attempts=2,
            conflict=ConcurrentUpdate,
            gave_up="The address changed hands while registering; try again.",
        )

    def authenticate(self, email: str, password: str) -> UUID:
        try:
            address = EmailAddress.parse(email)
        except InvalidInput:
            raise InvalidCredentials(
                "Wrong email or password.", code="invalid_credentials"
            ) from None
        key = self._find_key(KeyKind.EMAIL, address.uniqueness_key)
        applicant = self.get(key.owner) if key is not None and key.owner else None
        if not self.passwords.verify(applicant.password_hash if applicant else None, password):
            raise InvalidCredentials(
                "Wrong email or password.", code="invalid_credentials"
            ) from None
        assert applicant is not None
        return applicant.id

    def verify_email(self, applicant_id: UUID, token: str) -> Written:
        def command(applicant: Applicant) -> tuple[Aggregate, ...]:
            # Any email we asked to send counts, even if its sending is not recorded yet
            # (the applicant may click before the worker records it).
            attempt = self.codes.check_email_token(
                applicant.id, applicant.email, token, applicant.emails_requested
            )
            if attempt is None:
                raise InvalidCredentials(
                    "This verification link is not valid.", code="invalid_email_token"
                )
            applicant.verify_email(
                attempt,
                Decision(
                    passed=True,
                    rules=(EMAIL_OWNERSHIP,),
                    evidence={"method": "link-token", "attempt": attempt},
                ),
            )
            return (applicant,)

        return self.update(applicant_id, command)

    def submit_identity(
        self,
        applicant_id: UUID,
        *,
        nik: str,
        kk_number: str,
        full_name: str,
        birth_date: dt.date,
        mother_maiden_name: str,
    ) -> IdentityAccepted:
        identity, parsed = Identity.parse(
            nik=nik,
            kk_number=kk_number,
            full_name=full_name,
            birth_date=birth_date,
            mother_maiden_name=mother_maiden_name,
        )
        agrees = parsed.agrees_with_birth_date(birth_date)

        def command(applicant: Applicant) -> tuple[Aggregate, ...]:
            previous = applicant.identity.nik if applicant.identity else None
            applicant.submit_identity(
                identity, nik_agrees_with_birth_date=agrees, today=programme_day(self.clock())
            )
            changed: list[Aggregate] = [applicant]
            if previous is not None and previous != identity.nik:
                old = self._find_key(KeyKind.NIK, previous)
                if old is not None:
                    old.release(applicant.id)
                    changed.append(old)
            changed.append(self._claim(KeyKind.NIK, identity.nik, applicant.id))
            return tuple(changed)

        written = self.update(applicant_id, command, taken=(KeyKind.NIK, identity.nik))
        warnings = () if agrees else ("nik_birth_date_mismatch",)
        return IdentityAccepted(written.applicant_id, written.position, warnings)

    def check_selfie_allowed(self, applicant_id: UUID) -> None:
        """Refuse a selfie before its bytes are stored: a case that cannot take one keeps none."""
        self.get(applicant_id).check_selfie_allowed()

    def record_selfie(
        self,
        applicant_id: UUID,
        *,
        photo_ref: UUID,
        sha256: str,
        content_type: str,
        width: int,
        height: int,
    ) -> Written:
        def command(applicant: Applicant) -> tuple[Aggregate, ...]:
            applicant.upload_selfie(photo_ref, sha256, content_type, width, height)
            return (applicant,)

        return self.update(applicant_id, command)

    def request_otp(self, applicant_id: UUID, phone: str) -> Written:
        number = PhoneNumber.parse(phone)
        key = self._find_key(KeyKind.PHONE, number.e164)
        if key is not None and key.owner not in (None, applicant_id):
            raise AlreadyTaken("This phone number is already registered.", code="phone_taken")
        # No code is sent to a phone (or for an account) whose guesses are locked.
        now = self.clock()
        limits = self.otp_lock.limits(applicant_id, number.e164)
        refuse_if_locked([v for v in self.counters.peek(limits, now) if v.exhausted], now)

        def command(applicant: Applicant) -> tuple[Aggregate, ...]:
            applicant.request_otp(number.e164, self.clock() + self.otp_ttl)
            return (applicant,)

        return self.update(applicant_id, command)

    def verify_otp(self, applicant_id: UUID, code: str) -> Written:
        """Check a code; a wrong one is recorded (attempts are limited) and refused."""
        now = self.clock()
        applicant = self.get(applicant_id)
        if applicant.phone_pending is not None:
            # Counted before anything is compared: a locked guesser learns nothing more.
            limits = self.otp_lock.limits(applicant_id, applicant.phone_pending)
            refuse_if_locked([v for v in self.counters.hit(limits, now) if not v.allowed], now)
        applicant.check_otp_allowed(now, self.otp_max_attempts)
        assert applicant.phone_pending is not None
        if not self.codes.check_otp(
            applicant.id, applicant.phone_pending, applicant.otp_sequence, code
        ):

            def failure(current: Applicant) -> tuple[Aggregate, ...]:
                current.record_otp_failure(now, self.otp_max_attempts)
                return (current,)

            self.update(applicant_id, failure)
            raise IncorrectCode("The code is not correct.")

        def success(current: Applicant) -> tuple[Aggregate, ...]:
            phone = current.verify_phone(
                now,
                self.otp_max_attempts,
                Decision(
                    passed=True,
                    rules=(PHONE_OTP,),
                    evidence={"sequence": current.otp_sequence, "method": "sms-otp"},
                ),
            )
            return (current, self._claim(KeyKind.PHONE, phone, current.id))

        return self.update(applicant_id, success, taken=(KeyKind.PHONE, applicant.phone_pending))

    # ----------------------------------------------------------------- queries

    def get(self, applicant_id: UUID, version: int | None = None) -> Applicant:
        """The case now, or as it stood at ``version`` (one it has reached)."""
        try:
            applicant: object = self.repository.get(applicant_id, version=version)
        except AggregateNotFoundError:
            raise NotFound("No such applicant.", code="applicant_not_found") from None
        if not isinstance(applicant, Applicant):
            raise NotFound("No such applicant.", code="applicant_not_found")
        if version is not None and applicant.version < version:
            # The store answers the latest state for a version beyond it: never pass that
            # off as the state at a version the case has not reached.
            raise NotFound(
                f"The case has no version {version} yet.",
                code="version_not_found",
                latest_version=applicant.version,
            )
        return applicant

    def history(self, applicant_id: UUID) -> list[Aggregate.Event]:
        events = list(self.events.get(applicant_id))
        if not events or not isinstance(events[0], Applicant.Registered):
            raise NotFound("No such applicant.", code="applicant_not_found")
        return [e for e in events if isinstance(e, Aggregate.Event)]

    def version_at(self, applicant_id: UUID, moment: dt.datetime) -> int:
        """The last version recorded at or before ``moment`` (0: it did not exist yet)."""
        version = 0
        for recorded in self.history(applicant_id):
            if recorded.timestamp > moment:
                break
            version = recorded.originator_version
        return version

    # ---------------------------------------------------------------- plumbing

    def update(
        self,
        applicant_id: UUID,
        command: Callable[[Applicant], tuple[Aggregate, ...]],
        taken: tuple[KeyKind, str] | None = None,
        retries: int = 8,
    ) -> Written:
        """Get, call, save; on a conflicting concurrent write, get again and retry.

        Workers record outcomes on the same case while its owner acts, so a conflict is
        ordinary (see :mod:`prakerja.application.retry`).
        """

        def attempt() -> Written:
            return self._save(*command(self.get(applicant_id)), taken=taken)

        return retry_on_conflict(attempt, attempts=retries, conflict=ConcurrentUpdate)

    def _save(self, *aggregates: Aggregate, taken: tuple[KeyKind, str] | None = None) -> Written:
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            if taken is not None:
                key = self._find_key(*taken)
                if key is not None:
                    self._existing_keys.add(key.id)
                owner = aggregates[0].id
                if key is not None and key.owner not in (None, owner):
                    raise AlreadyTaken(
                        f"This {taken[0]} is already registered.", code=f"{taken[0]}_taken"
                    ) from None
            raise ConcurrentUpdate("The case changed while saving.") from None
        return Written(aggregates[0].id, written_at(recordings))

    def key_id(self, kind: KeyKind, value: str) -> UUID:
        return unique_key_id(self._index_secret, kind, value)

    def get_or_none(self, aggregate_id: UUID) -> Aggregate | None:
        try:
            found: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(found, Aggregate)
        return found

    def _find_key(self, kind: KeyKind, value: str) -> UniqueKey | None:
        try:
            key: object = self.repository.get(unique_key_id(self._index_secret, kind, value))
        except AggregateNotFoundError:
            return None
        assert isinstance(key, UniqueKey)
        return key

    def _claim(self, kind: KeyKind, value: str, owner: UUID) -> UniqueKey:
        """The key, claimed for ``owner``, to save with the owner's change.

        Almost every value is claimed for the first time, so a key not known to exist is
        not read: it is made anew, and if it existed after all the save fails whole
        (``IntegrityError``), the key becomes known and the caller's retry reads it."""
        key_id = unique_key_id(self._index_secret, kind, value)
        if key_id not in self._existing_keys:
            return UniqueKey(kind.value, owner, key=key_id)
        key = self._find_key(kind, value)
        if key is None:
            self._existing_keys.discard(key_id)
            return UniqueKey(kind.value, owner, key=key_id)
        key.claim(owner)
        return key


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise InvalidInput("A password has at least 8 characters.", code="weak_password")
    if len(password) > 256:
        raise InvalidInput("A password has at most 256 characters.", code="invalid_password")
