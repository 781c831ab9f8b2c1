"""One synthetic person: what the registries hold about them and what they will type."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from prakerja.domain.nik import Sex


class IdentityIssue(StrEnum):
    """Why the person fails the NIK layer (layer 1) at first, if they do."""

    TYPO = "typo"
    """The first attempt has one wrong NIK digit or name letter; the second is right."""
    NOT_IN_REGISTRY = "not_in_registry"
    """Dukcapil does not know the NIK."""
    DATA_MISMATCH = "data_mismatch"
    """The person types another mother's maiden name than the registry holds, every time."""
    MINOR = "minor"
    """Under 18 on the population's reference date."""


class TypoField(StrEnum):
    NIK = "nik"
    FULL_NAME = "full_name"


class EducationLevel(StrEnum):
    SCHOOL = "school"
    UNIVERSITY = "university"


class ExclusionList(StrEnum):
    DTKS = "dtks"
    CIVIL_SERVANT = "civil_servant"
    MILITARY_POLICE = "military_police"
    LEGISLATOR = "legislator"
    VILLAGE_OFFICIAL = "village_official"
    SOE_STAFF = "soe_staff"
    EARLIER_PARTICIPANT = "earlier_participant"


class SelfieIssue(StrEnum):
    """The six quality reasons published for wave 1's failed face checks."""

    BLURRY = "blurry"
    GLASSES = "glasses"
    EARS_NOT_VISIBLE = "ears_not_visible"
    HEAD_TILTED = "head_tilted"
    DARK = "dark"
    HAT = "hat"


@dataclass(frozen=True)
class TypedIdentity:
    """What the applicant enters in the registration and identity forms."""

    nik: str
    kk_number: str
    full_name: str
    birth_date: dt.date
    mother_maiden_name: str
    email: str
    phone: str


@dataclass(frozen=True)
class Typo:
    """The single wrong value an applicant types on the first attempt."""

    field: TypoField
    value: str


@dataclass(frozen=True)
class Person:
    """The registry's record of one person plus the flags that drive their path."""

    index: int
    nik: str
    kk_number: str
    full_name: str
    sex: Sex
    birth_date: dt.date
    mother_maiden_name: str
    province_code: str
    email: str
    phone: str
    photo_ref: str
    mailbox_unreachable: bool
    identity_issue: IdentityIssue | None
    typo: Typo | None
    claimed_mother_maiden_name: str
    education: EducationLevel | None
    exclusions: frozenset[ExclusionList]
    selfie_issue: SelfieIssue | None
    abandons: bool

    @property
    def in_registry(self) -> bool:
        return self.identity_issue is not IdentityIssue.NOT_IN_REGISTRY

    def age_on(self, day: dt.date) -> int:
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)

    def as_typed(self, attempt: int = 1) -> TypedIdentity:
        """The identity the applicant types on this attempt (1, 2, …).

        A typo-prone person gets one NIK digit or one name letter wrong on attempt 1
        and types everything right from attempt 2; a person with a data mismatch
        types their own version of the mother's maiden name on every attempt.
        """
        typo = self.typo if attempt <= 1 else None
        return TypedIdentity(
            nik=typo.value if typo and typo.field is TypoField.NIK else self.nik,
            kk_number=self.kk_number,
            full_name=typo.value if typo and typo.field is TypoField.FULL_NAME else self.full_name,
            birth_date=self.birth_date,
            mother_maiden_name=self.claimed_mother_maiden_name,
            email=self.email,
            phone=self.phone,
        )
