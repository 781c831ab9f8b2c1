from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from prakerja.simulation.expected import expected_counts
from prakerja.simulators.person import IdentityIssue, Person, SelfieIssue
from prakerja.simulators.population import Population
from prakerja.simulators.rates import PopulationRates

CLEAN = PopulationRates(
    mailbox_unreachable=0,
    nik_typo=0,
    nik_not_in_registry=0,
    data_mismatch=0,
    minor=0,
    university_student=0,
    school_student=0,
    dtks=0,
    civil_servant=0,
    military_police=0,
    legislator=0,
    village_official=0,
    soe_staff=0,
    selfie_issue=0,
    abandons=0,
)


def people(count: int) -> list[Person]:
    population = Population(7, count, rates=CLEAN, as_of=dt.date(2026, 1, 1))
    return list(population)


def test_at_most_two_per_family_card_join() -> None:
    one, two, three = (dataclasses.replace(p, kk_number="3201011111110001") for p in people(3))
    counts = expected_counts([one, two, three], corrections=True, quota=10)
    assert counts["nik_valid"] == 3
    assert counts["joined"] == pytest.approx(2.0)
    assert counts["selected"] == pytest.approx(2.0)


def test_typos_and_failed_selfies_count_only_with_corrections() -> None:
    typo, selfie = people(2)
    typo = dataclasses.replace(typo, identity_issue=IdentityIssue.TYPO)
    selfie = dataclasses.replace(selfie, selfie_issue=SelfieIssue.HAT)
    today = expected_counts([typo, selfie], corrections=True, quota=10)
    then = expected_counts([typo, selfie], corrections=False, quota=10)
    assert (today["nik_valid"], today["joined"]) == (2, 2)
    assert (then["nik_valid"], then["joined"]) == (1, 0)


def test_the_quota_caps_selection() -> None:
    assert expected_counts(people(8), corrections=True, quota=3)["selected"] == 3


def test_a_calibrated_population_lands_near_its_rates() -> None:
    population = Population(2020, 4_000, as_of=dt.date(2026, 1, 1))
    counts = expected_counts(population, corrections=True, quota=100)
    funnel = PopulationRates().expected_funnel(4_000)
    assert counts["email_verified"] == pytest.approx(funnel.email_verified, rel=0.05)
    assert counts["nik_valid"] == pytest.approx(funnel.nik_valid, rel=0.05)
    assert counts["joined"] == pytest.approx(funnel.joined, rel=0.08)
