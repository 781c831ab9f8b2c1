"""The identity data an applicant submits for the civil-registry check."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from prakerja.domain.errors import InvalidInput
from prakerja.domain.nik import Nik

_KK = re.compile(r"[0-9]{16}")


@dataclass(frozen=True)
class Identity:
    """NIK, family-card number, name, birth date and mother's maiden name, as typed."""

    nik: str
    kk_number: str
    full_name: str
    birth_date: dt.date
    mother_maiden_name: str

    @classmethod
    def parse(
        cls,
        *,
        nik: str,
        kk_number: str,
        full_name: str,
        birth_date: dt.date,
        mother_maiden_name: str,
    ) -> tuple[Identity, Nik]:
        parsed = Nik.parse(nik)
        kk = re.sub(r"[\s.\-]", "", kk_number)
        if not _KK.fullmatch(kk):
            raise InvalidInput(
                "A family-card (KK) number has exactly 16 digits.", code="invalid_kk_number"
            )
        name = " ".join(full_name.split())
        mother = " ".join(mother_maiden_name.split())
        if not name:
            raise InvalidInput("The full name is required.", code="invalid_full_name")
        if not mother:
            raise InvalidInput(
                "The mother's maiden name is required.", code="invalid_mother_maiden_name"
            )
        return cls(parsed.value, kk, name, birth_date, mother), parsed

    def age_on(self, day: dt.date) -> int:
        """Full years on ``day``; born on 29 February, one is a year older on 1 March."""
        born = self.birth_date
        return day.year - born.year - int((day.month, day.day) < (born.month, born.day))

    @property
    def parsed_nik(self) -> Nik:
        """The NIK as the value it was parsed into on submission (stored as its digits).

        Not parsed again: only a NIK that :meth:`Nik.parse` accepted is ever recorded.
        """
        return Nik(self.nik)

    @property
    def masked_nik(self) -> str:
        return self.parsed_nik.masked

    def __repr__(self) -> str:
        return f"Identity(nik={self.masked_nik!r}, …)"
