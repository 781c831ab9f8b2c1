"""The NIK (Nomor Induk Kependudukan), Indonesia's 16-digit national identity number.

Layout: province (2) regency (2) district (2) birth date DDMMYY (women add 40 to the
day) serial (4). There is no check digit: a typo is caught only by structure, by
disagreement with the birth date the applicant entered, or by the civil registry.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from prakerja.domain.errors import InvalidNik

PROVINCES: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}
"""Province codes: the 34 provinces of 2020 plus the four Papuan ones created in 2022."""

PROVINCES_2020 = tuple(code for code in PROVINCES if int(code) <= 92)

_SIXTEEN_DIGITS = re.compile(r"[0-9]{16}")
_FEMALE_DAY_OFFSET = 40


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


@dataclass(frozen=True)
class Nik:
    """A structurally possible NIK. Build with :meth:`parse`."""

    value: str

    @classmethod
    def parse(cls, raw: str) -> Nik:
        """Parse a NIK typed by a person (spaces, dots and dashes are ignored)."""
        digits = re.sub(r"[\s.\-]", "", raw)
        if not _SIXTEEN_DIGITS.fullmatch(digits):
            raise InvalidNik(
                "A NIK has exactly 16 digits.", code="nik_malformed", length=len(digits)
            )
        if digits[:2] not in PROVINCES:
            raise InvalidNik(f"{digits[:2]} is not a province code.", code="nik_unknown_province")
        if digits[2:4] == "00":
            raise InvalidNik("The regency code cannot be 00.", code="nik_unknown_regency")
        if digits[4:6] == "00":
            raise InvalidNik("The district code cannot be 00.", code="nik_unknown_district")
        if digits[12:] == "0000":
            raise InvalidNik("The serial number cannot be 0000.", code="nik_bad_serial")
        nik = cls(digits)
        if not nik.possible_birth_dates():
            raise InvalidNik(
                f"{digits[6:12]} is not a possible birth date (DDMMYY, women add 40 to the day).",
                code="nik_impossible_date",
            )
        return nik

    @property
    def province_code(self) -> str:
        return self.value[:2]

    @property
    def province(self) -> str:
        return PROVINCES[self.province_code]

    @property
    def regency_code(self) -> str:
        return self.value[:4]

    @property
    def district_code(self) -> str:
        return self.value[:6]

    @property
    def sex(self) -> Sex:
        return Sex.FEMALE if int(self.value[6:8]) > _FEMALE_DAY_OFFSET else Sex.MALE

    @property
    def birth_day(self) -> int:
        day = int(self.value[6:8])
        return day - _FEMALE_DAY_OFFSET if day > _FEMALE_DAY_OFFSET else day

    @property
    def birth_month(self) -> int:
        return int(self.value[8:10])

    @property
    def birth_year_2digit(self) -> int:
        return int(self.value[10:12])

    def possible_birth_dates(self) -> tuple[dt.date, ...]:
        """The dates the NIK can encode: the century is not written, so up to two."""
        dates = []
        for century in (1900, 2000):
            try:
                dates.append(
                    dt.date(century + self.birth_year_2digit, self.birth_month, self.birth_day)
                )
            except ValueError:
                continue
        return tuple(dates)

    def agrees_with_birth_date(self, birth_date: dt.date) -> bool:
        """Whether the entered birth date is one the NIK encodes (else: probable typo)."""
        return birth_date in self.possible_birth_dates()

    @property
    def masked(self) -> str:
        """The form shown in lists and logs: ``3201********0001``."""
        return mask_nik(self.value)

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"Nik({self.masked!r})"


def mask_nik(value: str) -> str:
    """Mask all but the region (4) and the last 4 digits of a NIK-like string."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def compose_nik(
    *, regency_code: str, district: str, birth_date: dt.date, sex: Sex, serial: int
) -> Nik:
    """Build the NIK a registry would issue (used by the simulators and tests)."""
    day = birth_date.day + (_FEMALE_DAY_OFFSET if sex is Sex.FEMALE else 0)
    digits = f"{regency_code}{district}{day:02d}{birth_date:%m%y}{serial:04d}"
    return Nik.parse(digits)
