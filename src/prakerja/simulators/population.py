"""A synthetic Indonesian population, computed lazily and deterministically.

Person ``i`` of ``Population(seed, size)`` is a pure function of ``(seed, i,
rates, as_of)``. People come in blocks of four neighbours who share a district; a
block is split into one to four families, each with its own family card (KK) and
mother. The block number is scrambled into the regency, district and serial digits
of the NIK (and of the KK), and ``i`` itself into the phone number, the email address
and the photo reference, so every lookup decodes the index and recomputes one person:
O(1) time and no memory per person. Names come from Faker's ``id_ID`` word lists,
drawn with a per-person seeded RNG (faster than a seeded Faker call per person, and
the same data).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from prakerja.domain.contact import PhoneNumber
from prakerja.domain.errors import InvalidPhone
from prakerja.domain.nik import Sex
from prakerja.simulators import draws
from prakerja.simulators.person import (
    ExclusionList,
    IdentityIssue,
    Person,
    Typo,
    TypoField,
)
from prakerja.simulators.rates import PopulationRates
from prakerja.simulators.regions import PROVINCE_CODES, PROVINCE_CUMULATIVE_WEIGHTS
from prakerja.simulators.scramble import AffinePermutation

BLOCK = 4
_REGENCIES = 99
_DISTRICTS = 99
_CLUSTERS = 2499  # serial = 1 + cluster·4 + member stays within 0001-9996
_BLOCKS = _REGENCIES * _DISTRICTS * _CLUSTERS
MAX_SIZE = _BLOCKS * BLOCK

# How a block of four neighbours splits into families (member → family), with weights:
# about 69% of people are the only applicant on their family card.
_FAMILY_PATTERNS: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 3),
    (0, 0, 1, 2),
    (0, 0, 1, 1),
    (0, 0, 0, 1),
    (0, 0, 0, 0),
)
_FAMILY_WEIGHTS = (0.55, 0.80, 0.90, 0.97, 1.00)  # cumulative
_PHONE_SERIALS = 10**8
_PHOTO_REFS = 16**10
_TRAILING_DIGITS = re.compile(r"(\d+)$")
_FEMALE_DAY_OFFSET = 40

REFERENCE_DATE = dt.date(2026, 11, 21)
"""The day the synthetic registry's ages are counted on, by default. Fixed, so that a seed
gives the same people (NIKs embed the birth date) whatever day it is run on."""


@dataclass(frozen=True)
class _Block:
    province_code: str
    regency: int
    district: int
    cluster: int
    families: tuple[int, ...]
    kk_numbers: tuple[str, ...]
    mothers: tuple[str, ...]
    dtks: tuple[bool, ...]

    @property
    def district_code(self) -> str:
        return f"{self.province_code}{self.regency:02d}{self.district:02d}"


class Population:
    """``size`` synthetic people drawn from ``seed``; ages are counted on ``as_of``."""

    def __init__(
        self,
        seed: int,
        size: int,
        *,
        rates: PopulationRates | None = None,
        as_of: dt.date | None = None,
    ) -> None:
        if not 0 < size <= MAX_SIZE:
            raise ValueError(f"size must be between 1 and {MAX_SIZE}")
        self.seed = seed
        self.size = size
        self.rates = rates or PopulationRates()
        self.as_of = as_of or REFERENCE_DATE
        self._blocks = AffinePermutation.seeded(_BLOCKS, seed, "block")
        self._phones = AffinePermutation.seeded(_PHONE_SERIALS, seed, "phone")
        self._emails = AffinePermutation.seeded(10 ** max(4, len(str(size - 1))), seed, "email")
        self._photos = AffinePermutation.seeded(_PHOTO_REFS, seed, "photo")
        self._list_shares = tuple(
            (ExclusionList(name), share) for name, share in self.rates.per_person_lists.items()
        )
        self._block = functools.lru_cache(maxsize=4096)(self._make_block)
        self._person = functools.lru_cache(maxsize=8192)(self._make_person)

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[Person]:
        return (self.person(i) for i in range(self.size))

    def person(self, index: int) -> Person:
        """Person number ``index`` (0 ≤ index < size)."""
        return self._person(index)

    # lookups -------------------------------------------------------------------------

    def by_nik(self, nik: str) -> Person | None:
        index = self._index_of_nik(re.sub(r"[\s.\-]", "", nik))
        return None if index is None else self.person(index)

    def by_email(self, address: str) -> Person | None:
        address = address.strip().lower()
        local, _, _ = address.partition("@")
        found = _TRAILING_DIGITS.search(local)
        if found is None or len(found.group(1)) > 12 or int(found.group(1)) >= self._emails.modulus:
            return None
        index = self._emails.inverse(int(found.group(1)))
        if index >= self.size:
            return None
        person = self.person(index)
        return person if person.email == address else None

    def by_phone(self, phone: str) -> Person | None:
        try:
            e164 = PhoneNumber.parse(phone).e164
        except InvalidPhone:
            return None
        index = self._phones.inverse(int(e164[-8:]))
        if index >= self.size:
            return None
        person = self.person(index)
        return person if person.phone == e164 else None

    def by_photo_ref(self, ref: str) -> Person | None:
        if not re.fullmatch(r"ph[0-9a-f]{10}", ref):
            return None
        index = self._photos.inverse(int(ref[2:], 16))
        return self.person(index) if index < self.size else None

    def family(self, kk_number: str) -> tuple[Person, ...]:
        """The people of the population on this family card (empty if none)."""
        digits = re.sub(r"\s", "", kk_number)
        decoded = _decode_place(digits)
        if decoded is None:
            return ()
        block_index, family = self._blocks.inverse(decoded[0]), decoded[1]
        if block_index * BLOCK >= self.size:
            return ()
        block = self._block(block_index)
        if family >= len(block.kk_numbers) or block.kk_numbers[family] != digits:
            return ()
        members = (block_index * BLOCK + m for m, f in enumerate(block.families) if f == family)
        return tuple(self.person(i) for i in members if i < self.size)

    def _index_of_nik(self, digits: str) -> int | None:
        decoded = _decode_place(digits)
        if decoded is None:
            return None
        index = self._blocks.inverse(decoded[0]) * BLOCK + decoded[1]
        if index >= self.size or self._nik_of(index) != digits:
            return None
        return index

    # generation ----------------------------------------------------------------------

    def _rng(self, kind: int, index: int) -> random.Random:
        return random.Random((self.seed * 4 + kind) * MAX_SIZE + index)  # noqa: S311 (simulation)

    def _make_block(self, block_index: int) -> _Block:
        rng = self._rng(0, block_index)
        place = self._blocks.forward(block_index)
        regency, rest = divmod(place, _DISTRICTS * _CLUSTERS)
        district, cluster = divmod(rest, _CLUSTERS)
        province = PROVINCE_CODES[
            bisect.bisect(
                PROVINCE_CUMULATIVE_WEIGHTS, rng.random() * PROVINCE_CUMULATIVE_WEIGHTS[-1]
            )
        ]
        families = _FAMILY_PATTERNS[draws.weighted(rng, _FAMILY_WEIGHTS)]
        count = families[-1] + 1
        district_code = f"{province}{regency + 1:02d}{district + 1:02d}"
        oldest = dt.date(2005, 1, 1).toordinal()
        newest = max(oldest, self.as_of.toordinal() - 30)
        kk_numbers = tuple(
            f"{district_code}{draws.ddmmyy(dt.date.fromordinal(rng.randint(oldest, newest)))}"
            f"{1 + cluster * BLOCK + family:04d}"
            for family in range(count)
        )
        return _Block(
            province_code=province,
            regency=regency + 1,
            district=district + 1,
            cluster=cluster,
            families=families,
            kk_numbers=kk_numbers,
            mothers=tuple(draws.mother_name(rng) for _ in range(count)),
            dtks=tuple(rng.random() < self.rates.dtks for _ in range(count)),
        )

    def _vitals(self, rng: random.Random) -> tuple[IdentityIssue | None, Sex, dt.date]:
        """The first draws of a person's RNG: all that the NIK depends on."""
        issue = draws.identity_issue(rng.random(), self.rates)
        sex = Sex.FEMALE if rng.random() < 0.5 else Sex.MALE
        if issue is IdentityIssue.MINOR:
            low, high = 15 * draws.YEAR_DAYS, 18 * draws.YEAR_DAYS - draws.MINOR_MARGIN_DAYS
        else:
            youngest, oldest = draws.ADULT_AGES[draws.weighted(rng, draws.ADULT_AGE_WEIGHTS)]
            low, high = youngest * draws.YEAR_DAYS + 1, (oldest + 1) * draws.YEAR_DAYS - 1
        birth_date = self.as_of - dt.timedelta(days=rng.randint(int(low), int(high)))
        return issue, sex, birth_date

    def _nik_of(self, index: int) -> str:
        block = self._block(index // BLOCK)
        _, sex, birth_date = self._vitals(self._rng(1, index))
        return self._compose(block, index, sex, birth_date)

    @staticmethod
    def _compose(block: _Block, index: int, sex: Sex, birth_date: dt.date) -> str:
        """The digits :func:`compose_nik` gives (the tests check it), without its parsing cost."""
        day = birth_date.day + (_FEMALE_DAY_OFFSET if sex is Sex.FEMALE else 0)
        serial = 1 + block.cluster * BLOCK + index % BLOCK
        return f"{block.district_code}{day:02d}{draws.ddmmyy(birth_date)[2:]}{serial:04d}"

    def _make_person(self, index: int) -> Person:
        if not 0 <= index < self.size:
            raise IndexError(index)
        block = self._block(index // BLOCK)
        family = block.families[index % BLOCK]
        rng = self._rng(1, index)
        issue, sex, birth_date = self._vitals(rng)
        nik = self._compose(block, index, sex, birth_date)
        first_names = draws.FEMALE_NAMES if sex is Sex.FEMALE else draws.MALE_NAMES
        given = draws.pick(rng, first_names)
        family_name = draws.pick(rng, draws.FAMILY_NAMES)
        shape = rng.random()
        if shape < 0.08:
            full_name = given
        elif shape < 0.15:
            full_name = f"{given} {draws.pick(rng, first_names)} {family_name}"
        else:
            full_name = f"{given} {family_name}"
        mailbox_unreachable = rng.random() < self.rates.mailbox_unreachable
        education = draws.education(rng.random(), self.rates)
        exclusions = {name for name, share in self._list_shares if rng.random() < share}
        if block.dtks[family]:
            exclusions.add(ExclusionList.DTKS)
        selfie_issue = (
            draws.pick(rng, draws.SELFIE_ISSUES) if rng.random() < self.rates.selfie_issue else None
        )
        abandons = rng.random() < self.rates.abandons
        email = self._email(rng, index, given, family_name if full_name != given else "")
        phone = f"+62{draws.pick(rng, draws.MOBILE_PREFIXES)}{self._phones.forward(index):08d}"
        mother = block.mothers[family]
        typo = None
        if issue is IdentityIssue.TYPO:
            typo = self._typo(rng, nik, full_name)
        claimed_mother = mother
        if issue is IdentityIssue.DATA_MISMATCH:
            while draws.normalise(claimed_mother) == draws.normalise(mother):
                claimed_mother = draws.mother_name(rng)
        return Person(
            index=index,
            nik=nik,
            kk_number=block.kk_numbers[family],
            full_name=full_name,
            sex=sex,
            birth_date=birth_date,
            mother_maiden_name=mother,
            province_code=block.province_code,
            email=email,
            phone=phone,
            photo_ref=f"ph{self._photos.forward(index):010x}",
            mailbox_unreachable=mailbox_unreachable,
            identity_issue=issue,
            typo=typo,
            claimed_mother_maiden_name=claimed_mother,
            education=education,
            exclusions=frozenset(exclusions),
            selfie_issue=selfie_issue,
            abandons=abandons,
        )

    def _email(self, rng: random.Random, index: int, given: str, family_name: str) -> str:
        number = self._emails.forward(index)
        first, last = given.lower(), family_name.lower()
        shape = rng.randrange(4) if last else 3
        local = (f"{first}.{last}", f"{first}{last}", f"{first}_{last}", first)[shape]
        domain = draws.EMAIL_DOMAINS[draws.weighted(rng, draws.EMAIL_DOMAIN_WEIGHTS)]
        return f"{local}{number}@{domain}"

    def _typo(self, rng: random.Random, nik: str, full_name: str) -> Typo:
        if rng.random() < 0.7:
            for _ in range(32):
                position = rng.randrange(len(nik))
                digit = rng.choice([d for d in "0123456789" if d != nik[position]])
                candidate = nik[:position] + digit + nik[position + 1 :]
                if draws.parses(candidate) and self._index_of_nik(candidate) is None:
                    return Typo(TypoField.NIK, candidate)
        letters = [n for n, char in enumerate(full_name) if char.isalpha()]
        position = rng.choice(letters)
        original = full_name[position]
        replacement = rng.choice([c for c in draws.LETTERS if c != original.lower()])
        if original.isupper():
            replacement = replacement.upper()
        return Typo(
            TypoField.FULL_NAME, full_name[:position] + replacement + full_name[position + 1 :]
        )


def _decode_place(digits: str) -> tuple[int, int] | None:
    """(scrambled block number, member or family number) from a NIK or KK, if well formed."""
    if not re.fullmatch(r"\d{16}", digits):
        return None
    regency, district, serial = int(digits[2:4]), int(digits[4:6]), int(digits[12:])
    if regency < 1 or district < 1 or not 1 <= serial <= _CLUSTERS * BLOCK:
        return None
    cluster, member = divmod(serial - 1, BLOCK)
    return ((regency - 1) * _DISTRICTS + district - 1) * _CLUSTERS + cluster, member
