from __future__ import annotations

import datetime as dt
import math
import random
import tracemalloc
from collections import Counter

import pytest

from prakerja.domain.contact import EmailAddress, PhoneNumber
from prakerja.domain.nik import PROVINCES_2020, Nik, compose_nik
from prakerja.simulators import (
    MAX_SIZE,
    ExclusionList,
    IdentityIssue,
    Person,
    Population,
    PopulationRates,
    TypoField,
)
from prakerja.simulators.config import SimulatorConfig
from prakerja.simulators.population import REFERENCE_DATE

AS_OF = dt.date(2020, 4, 11)
SAMPLE = 20_000


@pytest.fixture(scope="module")
def sample() -> list[Person]:
    return list(Population(41, SAMPLE, as_of=AS_OF))


def test_same_seed_gives_the_same_people() -> None:
    first = Population(3, 300, as_of=AS_OF)
    again = Population(3, 300, as_of=AS_OF)
    other = Population(4, 300, as_of=AS_OF)

    assert list(first) == list(again)
    assert [p.nik for p in first] != [p.nik for p in other]


def test_every_nik_is_valid_and_agrees_with_the_person(sample: list[Person]) -> None:
    for person in sample:
        nik = Nik.parse(person.nik)
        assert nik.sex is person.sex
        assert nik.agrees_with_birth_date(person.birth_date)
        assert nik.province_code == person.province_code
        assert person.kk_number[:6] == nik.district_code
        assert len(person.kk_number) == 16 and person.kk_number.isdigit()


def test_niks_are_what_compose_nik_builds(sample: list[Person]) -> None:
    for person in sample[:500]:
        rebuilt = compose_nik(
            regency_code=person.nik[:4],
            district=person.nik[4:6],
            birth_date=person.birth_date,
            sex=person.sex,
            serial=int(person.nik[12:]),
        )
        assert rebuilt.value == person.nik


def test_identifiers_are_unique_and_well_formed(sample: list[Person]) -> None:
    for attribute in ("nik", "email", "phone", "photo_ref"):
        assert len({getattr(p, attribute) for p in sample}) == SAMPLE, attribute
    for person in sample[:2_000]:
        assert PhoneNumber.parse(person.phone).e164 == person.phone
        assert EmailAddress.parse(person.email).value == person.email


def test_ages_follow_the_minor_flag(sample: list[Person]) -> None:
    for person in sample:
        age = person.age_on(AS_OF)
        if person.identity_issue is IdentityIssue.MINOR:
            assert 15 <= age < 18
        else:
            assert 18 <= age < 60


def test_people_live_in_all_34_provinces_weighted_by_population(sample: list[Person]) -> None:
    provinces = Counter(p.province_code for p in sample)

    assert len(provinces) == 34
    assert set(provinces) == set(PROVINCES_2020)
    assert provinces.most_common(1)[0][0] == "32"  # Jawa Barat
    assert provinces["32"] > 10 * provinces["65"]  # Kalimantan Utara


def test_families_share_a_card_and_a_mother(sample: list[Person]) -> None:
    population = Population(41, SAMPLE, as_of=AS_OF)
    sizes: Counter[int] = Counter()
    for person in sample[:4_000]:
        family = population.family(person.kk_number)
        assert person in family
        assert 1 <= len(family) <= 4
        assert {member.mother_maiden_name for member in family} == {person.mother_maiden_name}
        assert {member.nik[:6] for member in family} == {person.nik[:6]}
        sizes[len(family)] += 1

    assert sizes[1] > sizes[2] > 0 and sizes[3] > 0 and sizes[4] > 0


def _within(count: int, share: float, n: int = SAMPLE, sigmas: float = 5.0) -> bool:
    spread = sigmas * math.sqrt(n * share * (1 - share)) + 3
    return abs(count - n * share) <= spread


def test_flag_shares_match_the_rates(sample: list[Person]) -> None:
    rates = PopulationRates()
    issues = Counter(p.identity_issue for p in sample)
    lists = Counter(name for p in sample for name in p.exclusions)
    shares = {
        "mailbox_unreachable": (
            sum(p.mailbox_unreachable for p in sample),
            rates.mailbox_unreachable,
        ),
        "typo": (issues[IdentityIssue.TYPO], rates.nik_typo),
        "not_in_registry": (issues[IdentityIssue.NOT_IN_REGISTRY], rates.nik_not_in_registry),
        "data_mismatch": (issues[IdentityIssue.DATA_MISMATCH], rates.data_mismatch),
        "minor": (issues[IdentityIssue.MINOR], rates.minor),
        "students": (
            sum(p.education is not None for p in sample),
            rates.university_student + rates.school_student,
        ),
        "excluded": (sum(bool(p.exclusions) for p in sample), rates.excluded),
        "civil_servant": (lists[ExclusionList.CIVIL_SERVANT], rates.civil_servant),
        "selfie_issue": (sum(p.selfie_issue is not None for p in sample), rates.selfie_issue),
        "abandons": (sum(p.abandons for p in sample), rates.abandons),
    }
    for name, (count, share) in shares.items():
        assert _within(count, share), (name, count / SAMPLE, share)
    # DTKS is drawn per family card: clustered, so allow more spread.
    assert _within(lists[ExclusionList.DTKS], rates.dtks, sigmas=8.0)
    assert lists[ExclusionList.EARLIER_PARTICIPANT] == 0


def test_custom_rates_are_honoured() -> None:
    rates = PopulationRates(
        mailbox_unreachable=0.0, nik_typo=1.0, nik_not_in_registry=0.0, data_mismatch=0.0, minor=0.0
    )
    people = list(Population(5, 400, rates=rates, as_of=AS_OF))

    assert not any(p.mailbox_unreachable for p in people)
    assert all(p.identity_issue is IdentityIssue.TYPO for p in people)


def test_rates_reject_shares_adding_up_past_one() -> None:
    with pytest.raises(ValueError, match="identity"):
        PopulationRates(nik_typo=0.6, nik_not_in_registry=0.6)


def test_default_rates_reproduce_the_published_wave_1_funnel() -> None:
    funnel = PopulationRates().expected_funnel(5_965_048)

    assert funnel.email_verified == pytest.approx(4_428_669, rel=0.001)
    assert funnel.nik_valid_2020 == pytest.approx(3_294_190, rel=0.001)
    assert funnel.joined_2020 == pytest.approx(2_078_026, rel=0.002)
    assert funnel.nik_valid > funnel.nik_valid_2020  # typos get corrected here
    assert funnel.joined > funnel.joined_2020  # and selfies re-uploaded


def test_lookups_find_each_person(sample: list[Person]) -> None:
    population = Population(41, SAMPLE, as_of=AS_OF)
    for person in sample[:: SAMPLE // 500]:
        assert population.by_nik(person.nik) == person
        assert population.by_nik(Nik.parse(person.nik).value[:8] + " " + person.nik[8:]) == person
        assert population.by_email(person.email.upper()) == person
        assert population.by_phone("0" + person.phone[3:]) == person
        assert population.by_photo_ref(person.photo_ref) == person


def test_lookups_of_strangers_find_nobody() -> None:
    population = Population(41, 1_000, as_of=AS_OF)

    assert population.by_nik("3201010101900001") is None
    assert population.by_nik("12345") is None
    assert population.by_email("someone@example.com") is None
    assert population.by_email("budi123456789@gmail.com") is None
    assert population.by_email("budi" + "9" * 5000 + "@gmail.com") is None
    assert population.by_phone("+6281100000000") is None
    assert population.by_phone("not a phone") is None
    assert population.by_photo_ref("../../etc/passwd") is None
    assert population.family("3201010101200001") == ()


def _peak_bytes_of_lookups(size: int) -> int:
    """Peak memory allocated while building a population and looking 200 people up."""
    tracemalloc.start()
    try:
        population = Population(9, size, as_of=AS_OF)
        rng = random.Random(1)
        people = [population.person(rng.randrange(size)) for _ in range(200)]
        for person in people:
            assert population.by_nik(person.nik) == person
            assert population.by_phone(person.phone) == person
            assert population.by_email(person.email) == person
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_lookups_build_no_index_even_for_a_huge_population() -> None:
    """People are computed from their index, never listed or indexed: the memory used
    is the same for a thousand people as for the largest population (an index of it
    would take gigabytes). Memory, unlike a wall-clock limit, does not vary with the
    machine's load; the lookups' speed is the benchmarks' business."""
    small = _peak_bytes_of_lookups(1_000)
    huge = _peak_bytes_of_lookups(MAX_SIZE)

    assert huge < 2 * small + 1_000_000, (small, huge)


def test_a_typo_prone_person_gets_one_thing_wrong_then_types_it_right(sample: list[Person]) -> None:
    typo_prone = [p for p in sample if p.identity_issue is IdentityIssue.TYPO]
    population = Population(41, SAMPLE, as_of=AS_OF)
    fields: Counter[TypoField] = Counter()
    for person in typo_prone:
        first, second = person.as_typed(1), person.as_typed(2)
        assert second.nik == person.nik and second.full_name == person.full_name
        assert person.typo is not None
        fields[person.typo.field] += 1
        if person.typo.field is TypoField.NIK:
            assert sum(a != b for a, b in zip(first.nik, person.nik, strict=True)) == 1
            assert first.full_name == person.full_name
            Nik.parse(first.nik)  # a plausible NIK: only the registry can catch it
            assert population.by_nik(first.nik) is None
        else:
            assert first.nik == person.nik
            assert len(first.full_name) == len(person.full_name)
            differing = [
                (a, b) for a, b in zip(first.full_name, person.full_name, strict=True) if a != b
            ]
            assert len(differing) == 1 and differing[0][0].lower() != differing[0][1].lower()

    assert fields[TypoField.NIK] > fields[TypoField.FULL_NAME] > 0


def test_people_without_issues_type_what_the_registry_holds(sample: list[Person]) -> None:
    for person in sample[:2_000]:
        typed = person.as_typed(1)
        if person.identity_issue is IdentityIssue.DATA_MISMATCH:
            assert typed.mother_maiden_name.casefold() != person.mother_maiden_name.casefold()
            assert person.as_typed(5).mother_maiden_name == typed.mother_maiden_name
        elif person.identity_issue is not IdentityIssue.TYPO:
            assert (typed.nik, typed.full_name, typed.mother_maiden_name) == (
                person.nik,
                person.full_name,
                person.mother_maiden_name,
            )
            assert (typed.kk_number, typed.birth_date) == (person.kk_number, person.birth_date)


def test_person_out_of_range_is_an_error() -> None:
    population = Population(1, 10, as_of=AS_OF)

    with pytest.raises(IndexError):
        population.person(10)
    with pytest.raises(ValueError, match="size"):
        Population(1, 0)


def test_the_default_population_does_not_depend_on_the_day_it_is_made() -> None:
    # NIKs embed the birth date: ages counted on "today" gave other people every day.
    assert Population(2020, 100).as_of == REFERENCE_DATE
    assert SimulatorConfig().as_of == REFERENCE_DATE
    assert Population(2020, 100).person(7) == Population(2020, 100, as_of=REFERENCE_DATE).person(7)
