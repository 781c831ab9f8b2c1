"""Random draws for the synthetic population: names, ages, contacts, flags.

Names are Faker's ``id_ID`` word lists, drawn with the caller's seeded RNG: the same
data as a seeded Faker, at a fraction of the cost per person.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from typing import TypeVar

from faker.providers.person.id_ID import Provider as IndonesianNames

from prakerja.domain.errors import InvalidNik
from prakerja.domain.nik import Nik
from prakerja.simulators.person import EducationLevel, IdentityIssue, SelfieIssue
from prakerja.simulators.rates import PopulationRates

_T = TypeVar("_T")

ADULT_AGES = ((18, 24), (25, 34), (35, 44), (45, 59))
ADULT_AGE_WEIGHTS = (0.34, 0.70, 0.88, 1.00)  # cumulative
YEAR_DAYS = 365.2425
MINOR_MARGIN_DAYS = 60
EMAIL_DOMAINS = (
    "gmail.com",
    "yahoo.com",
    "yahoo.co.id",
    "ymail.com",
    "hotmail.com",
    "outlook.com",
)
EMAIL_DOMAIN_WEIGHTS = (0.72, 0.84, 0.91, 0.93, 0.97, 1.00)  # cumulative
MOBILE_PREFIXES = (
    "811", "812", "813", "821", "822", "823", "851", "852", "853",  # Telkomsel
    "814", "815", "816", "855", "856", "857", "858",  # Indosat
    "817", "818", "819", "859", "877", "878",  # XL
    "831", "832", "833", "838",  # Axis
    "895", "896", "897", "898", "899",  # Tri
    "881", "882", "883", "887", "888", "889",  # Smartfren
)  # fmt: skip
LETTERS = "abcdefghijklmnopqrstuvwxyz"
SELFIE_ISSUES = tuple(SelfieIssue)
FEMALE_NAMES: tuple[str, ...] = tuple(IndonesianNames.first_names_female)
MALE_NAMES: tuple[str, ...] = tuple(IndonesianNames.first_names_male)
FAMILY_NAMES: tuple[str, ...] = tuple(IndonesianNames.last_names)
MAIDEN_FAMILY_NAMES: tuple[str, ...] = tuple(IndonesianNames.last_names_female)


def identity_issue(draw: float, rates: PopulationRates) -> IdentityIssue | None:
    for issue, share in (
        (IdentityIssue.TYPO, rates.nik_typo),
        (IdentityIssue.NOT_IN_REGISTRY, rates.nik_not_in_registry),
        (IdentityIssue.DATA_MISMATCH, rates.data_mismatch),
        (IdentityIssue.MINOR, rates.minor),
    ):
        if draw < share:
            return issue
        draw -= share
    return None


def education(draw: float, rates: PopulationRates) -> EducationLevel | None:
    if draw < rates.university_student:
        return EducationLevel.UNIVERSITY
    if draw < rates.university_student + rates.school_student:
        return EducationLevel.SCHOOL
    return None


def mother_name(rng: random.Random) -> str:
    given = pick(rng, FEMALE_NAMES)
    return given if rng.random() < 0.3 else f"{given} {pick(rng, MAIDEN_FAMILY_NAMES)}"


def ddmmyy(day: dt.date) -> str:
    return f"{day.day:02d}{day.month:02d}{day.year % 100:02d}"


def pick(rng: random.Random, choices: tuple[_T, ...]) -> _T:
    return choices[int(rng.random() * len(choices))]


def weighted(rng: random.Random, cumulative: tuple[float, ...]) -> int:
    return bisect.bisect(cumulative, rng.random() * cumulative[-1])


def normalise(name: str) -> str:
    return " ".join(name.split()).casefold()


def parses(digits: str) -> bool:
    try:
        Nik.parse(digits)
    except InvalidNik:
        return False
    return True
