"""Each HTTP client against the simulators, served on free ports in this process."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from prakerja.clients import (
    BreakerState,
    CircuitOpen,
    ClientConfig,
    DeliveryStatus,
    EducationLevel,
    HttpCivilRegistry,
    HttpEducationRegistry,
    HttpEmailService,
    HttpExclusionRegistry,
    HttpSmsGateway,
    IdentityClaim,
    ServiceContractError,
    TransientServiceFault,
)
from prakerja.domain.contact import EmailAddress, PhoneNumber
from prakerja.domain.nik import Nik
from prakerja.simulators import (
    ExclusionList,
    FaultConfig,
    IdentityIssue,
    OutageWindow,
    Person,
    RunningSimulators,
    SimulatorAdmin,
)

Find = Callable[[Callable[[Person], bool]], Person]
FAST = {"backoff_base_s": 0.005, "backoff_max_s": 0.05}


def _config(url: str, **changes: object) -> ClientConfig:
    return ClientConfig.model_validate({"base_url": url, **FAST, **changes})


@pytest.fixture
def registry(simulators: RunningSimulators) -> Iterator[HttpCivilRegistry]:
    with HttpCivilRegistry(_config(simulators.urls.dukcapil)) as client:
        yield client


def _claim(person: Person, attempt: int = 1) -> IdentityClaim:
    typed = person.as_typed(attempt)
    return IdentityClaim(
        nik=Nik.parse(typed.nik),
        kk_number=typed.kk_number,
        full_name=typed.full_name,
        birth_date=typed.birth_date,
        mother_maiden_name=typed.mother_maiden_name,
    )


def test_a_registered_adult_matches_on_every_field(registry: HttpCivilRegistry, find: Find) -> None:
    person = find(lambda p: p.identity_issue is None)

    check = registry.verify_identity(_claim(person))

    assert check.found and check.matches is not None and check.matches.all
    assert check.age_years is not None and check.age_years >= 18
    assert check.photo_ref == person.photo_ref


def test_a_minor_is_found_with_their_age(registry: HttpCivilRegistry, find: Find) -> None:
    minor = find(lambda p: p.identity_issue is IdentityIssue.MINOR)

    check = registry.verify_identity(_claim(minor))

    assert check.found and check.matches is not None and check.matches.all
    assert check.age_years is not None and check.age_years < 18


def test_a_wrong_mothers_name_is_a_mismatch(registry: HttpCivilRegistry, find: Find) -> None:
    person = find(lambda p: p.identity_issue is IdentityIssue.DATA_MISMATCH)

    check = registry.verify_identity(_claim(person, attempt=2))

    assert check.found and check.matches is not None
    assert not check.matches.mother_maiden_name
    assert check.matches.full_name and check.matches.kk_number and check.matches.birth_date


def test_unknown_niks_are_not_found(registry: HttpCivilRegistry, find: Find) -> None:
    unregistered = find(lambda p: p.identity_issue is IdentityIssue.NOT_IN_REGISTRY)

    assert not registry.verify_identity(_claim(unregistered)).found


def test_a_typo_fails_first_and_the_corrected_entry_passes(
    registry: HttpCivilRegistry, find: Find
) -> None:
    for field in ("nik", "full_name"):

        def mistypes(p: Person, field: str = field) -> bool:
            return p.typo is not None and p.typo.field == field

        person = find(mistypes)
        first = registry.verify_identity(_claim(person, attempt=1))
        second = registry.verify_identity(_claim(person, attempt=2))

        assert not (first.found and first.matches is not None and first.matches.all)
        assert second.found and second.matches is not None and second.matches.all


def test_the_registry_photo_can_be_fetched(
    registry: HttpCivilRegistry, admin: SimulatorAdmin, find: Find
) -> None:
    person = find(lambda p: p.identity_issue is None and p.index > 10)
    admin.set_photo(person.nik, b"jpeg bytes")
    check = registry.verify_identity(_claim(person))

    assert check.photo_ref is not None
    assert registry.fetch_photo(check.photo_ref) == b"jpeg bytes"


def test_a_missing_photo_is_a_contract_error(registry: HttpCivilRegistry) -> None:
    with pytest.raises(ServiceContractError) as raised:
        registry.fetch_photo("ph0000000000/../x")

    assert raised.value.status == 404


def test_students_are_reported_by_level(simulators: RunningSimulators, find: Find) -> None:
    student = find(lambda p: p.education is not None)
    worker = find(lambda p: p.education is None)
    with HttpEducationRegistry(_config(simulators.urls.education)) as education:
        enrolled = education.check_enrollment(Nik.parse(student.nik))
        not_enrolled = education.check_enrollment(Nik.parse(worker.nik))

    assert enrolled.enrolled and enrolled.level is EducationLevel(str(student.education))
    assert not not_enrolled.enrolled and not_enrolled.level is None


def test_exclusion_lists_are_reported(simulators: RunningSimulators, find: Find) -> None:
    excluded = find(lambda p: ExclusionList.MILITARY_POLICE in p.exclusions)
    clear = find(lambda p: not p.exclusions)
    with HttpExclusionRegistry(_config(simulators.urls.exclusions)) as exclusions:
        found = exclusions.check_exclusions(Nik.parse(excluded.nik), excluded.kk_number)
        nothing = exclusions.check_exclusions(Nik.parse(clear.nik), clear.kk_number)

    assert found.excluded and "military_police" in found.lists
    assert not nothing.excluded and nothing.lists == ()


def test_sms_sends_are_idempotent(simulators: RunningSimulators, admin: SimulatorAdmin) -> None:
    phone = PhoneNumber.parse("0813 1111 2222")
    with HttpSmsGateway(_config(simulators.urls.sms)) as sms:
        first = sms.send(phone, "Kode OTP: 424242", idempotency_key="otp-client-1")
        again = sms.send(phone, "Kode OTP: 424242", idempotency_key="otp-client-1")
        with pytest.raises(ServiceContractError) as raised:
            sms.send(phone, "Kode OTP: 000000", idempotency_key="otp-client-1")

    assert first == again
    assert raised.value.code == "idempotency_key_reused"
    assert [m["text"] for m in admin.sms_sent_to(phone.e164)] == ["Kode OTP: 424242"]


def test_mail_bounces_for_unreachable_mailboxes(
    simulators: RunningSimulators, admin: SimulatorAdmin, find: Find
) -> None:
    unreachable = EmailAddress.parse(find(lambda p: p.mailbox_unreachable).email)
    reachable = EmailAddress.parse(find(lambda p: not p.mailbox_unreachable).email)
    with HttpEmailService(_config(simulators.urls.email)) as email:
        bounced = email.send(unreachable, "Verifikasi", "Kode: 1", idempotency_key="mail-1")
        again = email.send(unreachable, "Verifikasi", "Kode: 1", idempotency_key="mail-1")
        delivered = email.send(reachable, "Verifikasi", "Kode: 2", idempotency_key="mail-2")

    assert bounced == again and bounced.status is DeliveryStatus.BOUNCED
    assert delivered.status is DeliveryStatus.DELIVERED
    assert len(admin.emails_sent_to(unreachable.value)) == 1


def test_retries_ride_out_a_50_percent_error_rate(
    simulators: RunningSimulators, admin: SimulatorAdmin, find: Find
) -> None:
    admin.set_faults("education", FaultConfig(error_rate=0.5))
    people = [simulators.population.person(n) for n in range(20)]
    config = _config(simulators.urls.education, retry_attempts=10, breaker_failure_threshold=50)
    with HttpEducationRegistry(config) as education:
        answers = [education.check_enrollment(Nik.parse(p.nik)) for p in people]

    assert [a.enrolled for a in answers] == [p.education is not None for p in people]


def test_a_hanging_service_times_out_as_a_transient_fault(
    simulators: RunningSimulators, admin: SimulatorAdmin, find: Find
) -> None:
    admin.set_faults("exclusions", FaultConfig(timeout_rate=1.0, hang_s=5.0))
    person = find(lambda p: p.index == 0)
    config = _config(simulators.urls.exclusions, read_timeout_s=0.2, retry_attempts=1)
    with HttpExclusionRegistry(config) as exclusions:
        started = time.perf_counter()
        with pytest.raises(TransientServiceFault) as raised:
            exclusions.check_exclusions(Nik.parse(person.nik), person.kk_number)

    assert raised.value.detail == "ReadTimeout"
    # Two reads of 0.2 s each, not the 5 s hang (a wide margin: not a speed limit).
    assert 0.4 <= time.perf_counter() - started < 3.0


def test_an_outage_opens_the_breaker_which_closes_after_it(
    simulators: RunningSimulators, admin: SimulatorAdmin, registry: HttpCivilRegistry, find: Find
) -> None:
    person = find(lambda p: p.identity_issue is None)
    claim = _claim(person)
    config = _config(
        simulators.urls.dukcapil, retry_attempts=1, breaker_failure_threshold=3, breaker_reset_s=0.3
    )
    with HttpCivilRegistry(config) as client:
        assert client.verify_identity(claim).found
        admin.set_faults(
            "dukcapil", FaultConfig(outages=(OutageWindow(start_s=0, duration_s=1.0),))
        )
        outage_started = time.monotonic()

        with pytest.raises(TransientServiceFault) as first:
            client.verify_identity(claim)
        with pytest.raises(CircuitOpen):
            client.verify_identity(claim)
        assert first.value.status == 503
        assert client.breaker_state is BreakerState.OPEN

        # While open, every call fails fast: CircuitOpen is raised before any request.
        for _ in range(20):
            with pytest.raises(CircuitOpen):
                client.verify_identity(claim)

        time.sleep(max(0.0, outage_started + 1.0 - time.monotonic()) + 0.35)
        assert client.verify_identity(claim).found
        assert client.breaker_state.value == "closed"
