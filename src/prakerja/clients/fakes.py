"""In-memory stand-ins for the service ports, for the workers' unit tests.

They keep state (registry records, sent messages) so tests assert on outcomes, and
each can be told to fail transiently for its next N calls with :meth:`fail_next`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from prakerja.clients.civil_registry import FieldMatches, IdentityCheck, IdentityClaim
from prakerja.clients.education import EducationLevel, Enrollment
from prakerja.clients.email import DeliveryStatus, EmailReceipt
from prakerja.clients.errors import ServiceContractError, TransientServiceFault
from prakerja.clients.exclusions import ExclusionCheck
from prakerja.clients.sms import SmsReceipt
from prakerja.domain.contact import EmailAddress, PhoneNumber
from prakerja.domain.nik import Nik


class _Flaky:
    service = "fake"

    def __init__(self) -> None:
        self._failures_left = 0
        self.calls = 0

    def fail_next(self, times: int = 1) -> None:
        """Make the next ``times`` calls raise :class:`TransientServiceFault`."""
        self._failures_left = times

    def _call(self, operation: str) -> None:
        self.calls += 1
        if self._failures_left > 0:
            self._failures_left -= 1
            raise TransientServiceFault(self.service, operation, "injected by the fake", status=503)


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@dataclass(frozen=True)
class RegistryRecord:
    nik: str
    kk_number: str
    full_name: str
    birth_date: dt.date
    mother_maiden_name: str
    photo: bytes = b""


class FakeCivilRegistry(_Flaky):
    service = "dukcapil"

    def __init__(self, records: Iterable[RegistryRecord] = (), *, today: dt.date) -> None:
        super().__init__()
        self.today = today
        self._records: dict[str, RegistryRecord] = {}
        for record in records:
            self.add(record)

    def add(self, record: RegistryRecord) -> None:
        self._records[Nik.parse(record.nik).value] = record

    def verify_identity(self, claim: IdentityClaim) -> IdentityCheck:
        self._call("verify_identity")
        record = self._records.get(claim.nik.value)
        if record is None:
            return IdentityCheck(found=False)
        born = record.birth_date
        age = (
            self.today.year
            - born.year
            - ((self.today.month, self.today.day) < (born.month, born.day))
        )
        return IdentityCheck(
            found=True,
            matches=FieldMatches(
                kk_number=claim.kk_number == record.kk_number,
                full_name=_same_name(claim.full_name, record.full_name),
                birth_date=claim.birth_date == record.birth_date,
                mother_maiden_name=_same_name(claim.mother_maiden_name, record.mother_maiden_name),
            ),
            age_years=age,
            photo_ref=f"photo-{record.nik}",
        )

    def fetch_photo(self, photo_ref: str) -> bytes:
        self._call("fetch_photo")
        record = self._records.get(photo_ref.removeprefix("photo-"))
        if record is None or not record.photo:
            raise ServiceContractError(self.service, "fetch_photo", "HTTP 404", status=404)
        return record.photo


class FakeEducationRegistry(_Flaky):
    service = "education"

    def __init__(self) -> None:
        super().__init__()
        self._levels: dict[str, EducationLevel] = {}

    def enroll(self, nik: Nik, level: EducationLevel) -> None:
        self._levels[nik.value] = level

    def check_enrollment(self, nik: Nik) -> Enrollment:
        self._call("check_enrollment")
        level = self._levels.get(nik.value)
        return Enrollment(enrolled=level is not None, level=level)


class FakeExclusionRegistry(_Flaky):
    service = "exclusions"

    def __init__(self) -> None:
        super().__init__()
        self._by_nik: dict[str, set[str]] = {}
        self._by_family: dict[str, set[str]] = {}

    def add(self, nik: Nik, list_name: str) -> None:
        self._by_nik.setdefault(nik.value, set()).add(list_name)

    def add_family(self, kk_number: str, list_name: str) -> None:
        """Put a whole family card on a list (DTKS registers households)."""
        self._by_family.setdefault(kk_number, set()).add(list_name)

    def check_exclusions(self, nik: Nik, kk_number: str) -> ExclusionCheck:
        self._call("check_exclusions")
        lists = self._by_nik.get(nik.value, set()) | self._by_family.get(kk_number, set())
        return ExclusionCheck(lists=tuple(sorted(lists)))


@dataclass(frozen=True)
class SentSms:
    message_id: str
    to: PhoneNumber
    text: str
    idempotency_key: str


class FakeSmsGateway(_Flaky):
    service = "sms"

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[SentSms] = []
        self._by_key: dict[str, SentSms] = {}

    def send(self, to: PhoneNumber, text: str, *, idempotency_key: str) -> SmsReceipt:
        self._call("send")
        if idempotency_key not in self._by_key:
            sms = SentSms(f"sms-{len(self.sent) + 1}", to, text, idempotency_key)
            self._by_key[idempotency_key] = sms
            self.sent.append(sms)
        return SmsReceipt(self._by_key[idempotency_key].message_id)

    def sent_to(self, to: PhoneNumber) -> list[SentSms]:
        return [sms for sms in self.sent if sms.to == to]


@dataclass(frozen=True)
class SentEmail:
    message_id: str
    to: EmailAddress
    subject: str
    body: str
    idempotency_key: str
    status: DeliveryStatus


class FakeEmailService(_Flaky):
    service = "email"

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[SentEmail] = []
        self._by_key: dict[str, SentEmail] = {}
        self._bouncing: set[str] = set()

    def bounce(self, address: EmailAddress) -> None:
        """Make mail to this address bounce from now on."""
        self._bouncing.add(address.uniqueness_key)

    def send(
        self, to: EmailAddress, subject: str, body: str, *, idempotency_key: str
    ) -> EmailReceipt:
        self._call("send")
        if idempotency_key not in self._by_key:
            status = (
                DeliveryStatus.BOUNCED
                if to.uniqueness_key in self._bouncing
                else DeliveryStatus.DELIVERED
            )
            mail = SentEmail(
                f"email-{len(self.sent) + 1}", to, subject, body, idempotency_key, status
            )
            self._by_key[idempotency_key] = mail
            self.sent.append(mail)
        sent = self._by_key[idempotency_key]
        return EmailReceipt(sent.message_id, sent.status)

    def sent_to(self, to: EmailAddress) -> list[SentEmail]:
        return [mail for mail in self.sent if mail.to.uniqueness_key == to.uniqueness_key]
