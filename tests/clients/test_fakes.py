"""The in-memory fakes behave like the services, so workers' unit tests can trust them."""

from __future__ import annotations

import datetime as dt
import inspect

import pytest

from prakerja.clients import (
    CivilRegistry,
    DeliveryStatus,
    EducationLevel,
    EducationRegistry,
    EmailService,
    ExclusionRegistry,
    IdentityClaim,
    ServiceContractError,
    SmsGateway,
    TransientServiceFault,
)
from prakerja.clients.fakes import (
    FakeCivilRegistry,
    FakeEducationRegistry,
    FakeEmailService,
    FakeExclusionRegistry,
    FakeSmsGateway,
    RegistryRecord,
)
from prakerja.domain.contact import EmailAddress, PhoneNumber
from prakerja.domain.nik import Nik

SITI = RegistryRecord(
    nik="3201014506010001",
    kk_number="3201010101150001",
    full_name="Siti Rahmawati",
    birth_date=dt.date(2001, 6, 5),
    mother_maiden_name="Aminah",
    photo=b"jpeg",
)


def _claim(**changes: object) -> IdentityClaim:
    fields: dict[str, object] = {
        "nik": Nik.parse(SITI.nik),
        "kk_number": SITI.kk_number,
        "full_name": "SITI  rahmawati",
        "birth_date": SITI.birth_date,
        "mother_maiden_name": SITI.mother_maiden_name,
        **changes,
    }
    return IdentityClaim(**fields)  # type: ignore[arg-type]


def _port_methods(port: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(port).items()
        if callable(member) and not name.startswith("_")
    }


def test_the_fakes_satisfy_the_ports() -> None:
    """Every method of the port exists on the fake, taking the same parameters.

    The protocols are not runtime-checkable, so the check reads the signatures: a fake
    that drops a method or renames a parameter would otherwise pass until a worker's
    test happened to call it.
    """
    pairs: list[tuple[type, object]] = [
        (CivilRegistry, FakeCivilRegistry(today=dt.date(2020, 4, 11))),
        (EducationRegistry, FakeEducationRegistry()),
        (ExclusionRegistry, FakeExclusionRegistry()),
        (SmsGateway, FakeSmsGateway()),
        (EmailService, FakeEmailService()),
    ]
    for port, fake in pairs:
        methods = _port_methods(port)
        assert methods, port
        for name, signature in methods.items():
            implementation = getattr(fake, name, None)
            assert callable(implementation), f"{type(fake).__name__} lacks {name}"
            wanted = [(p.name, p.kind) for p in signature.parameters.values() if p.name != "self"]
            parameters = list(inspect.signature(implementation).parameters.values())
            given = [(p.name, p.kind) for p in parameters]
            assert given[: len(wanted)] == wanted, (type(fake).__name__, name)
            extra = parameters[len(wanted) :]  # only optional ones, so callers need not know
            assert all(p.default is not inspect.Parameter.empty for p in extra), name


def test_the_registry_fake_matches_like_dukcapil() -> None:
    registry = FakeCivilRegistry([SITI], today=dt.date(2020, 4, 11))

    matching = registry.verify_identity(_claim())
    wrong_mother = registry.verify_identity(_claim(mother_maiden_name="Fatimah"))
    stranger = registry.verify_identity(_claim(nik=Nik.parse("3201010101900001")))

    assert matching.found and matching.matches is not None and matching.matches.all
    assert matching.age_years == 18
    assert wrong_mother.matches is not None and not wrong_mother.matches.mother_maiden_name
    assert not stranger.found
    assert matching.photo_ref is not None
    assert registry.fetch_photo(matching.photo_ref) == b"jpeg"
    with pytest.raises(ServiceContractError):
        registry.fetch_photo("photo-nobody")


def test_a_fake_fails_transiently_as_often_as_told() -> None:
    registry = FakeCivilRegistry([SITI], today=dt.date(2020, 4, 11))
    registry.fail_next(2)

    for _ in range(2):
        with pytest.raises(TransientServiceFault):
            registry.verify_identity(_claim())
    assert registry.verify_identity(_claim()).found
    assert registry.calls == 3


def test_education_and_exclusion_fakes_hold_what_they_are_told() -> None:
    nik = Nik.parse(SITI.nik)
    education = FakeEducationRegistry()
    exclusions = FakeExclusionRegistry()
    education.enroll(nik, EducationLevel.UNIVERSITY)
    exclusions.add(nik, "civil_servant")
    exclusions.add_family(SITI.kk_number, "dtks")

    assert education.check_enrollment(nik).level is EducationLevel.UNIVERSITY
    assert not education.check_enrollment(Nik.parse("3201010101900001")).enrolled
    assert exclusions.check_exclusions(nik, SITI.kk_number).lists == ("civil_servant", "dtks")
    other = Nik.parse("3201010101900001")
    assert exclusions.check_exclusions(other, "3201010101150002").lists == ()


def test_the_sms_fake_records_each_message_once_per_key() -> None:
    sms = FakeSmsGateway()
    phone = PhoneNumber.parse("081234567890")

    first = sms.send(phone, "Kode 1", idempotency_key="a")
    again = sms.send(phone, "Kode 1", idempotency_key="a")
    sms.send(phone, "Kode 2", idempotency_key="b")

    assert first == again
    assert [m.text for m in sms.sent_to(phone)] == ["Kode 1", "Kode 2"]


def test_the_email_fake_bounces_what_it_is_told_to() -> None:
    email = FakeEmailService()
    bad = EmailAddress.parse("Salah@Example.com")
    email.bounce(bad)

    bounced = email.send(EmailAddress.parse("salah@example.com"), "s", "b", idempotency_key="1")
    delivered = email.send(EmailAddress.parse("benar@example.com"), "s", "b", idempotency_key="2")

    assert bounced.status is DeliveryStatus.BOUNCED
    assert delivered.status is DeliveryStatus.DELIVERED
    assert len(email.sent_to(bad)) == 1
