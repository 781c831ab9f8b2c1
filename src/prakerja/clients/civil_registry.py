"""Dukcapil, the civil registry: does an entered identity match, and the registry photo."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import quote

from pydantic import TypeAdapter

from prakerja.clients.base import HttpClient
from prakerja.domain.nik import Nik


@dataclass(frozen=True)
class IdentityClaim:
    """The identity an applicant entered (kept out of ``repr``: it is personal data)."""

    nik: Nik
    kk_number: str = field(repr=False)
    full_name: str = field(repr=False)
    birth_date: dt.date = field(repr=False)
    mother_maiden_name: str = field(repr=False)


@dataclass(frozen=True)
class FieldMatches:
    kk_number: bool
    full_name: bool
    birth_date: bool
    mother_maiden_name: bool

    @property
    def all(self) -> bool:
        return self.kk_number and self.full_name and self.birth_date and self.mother_maiden_name


@dataclass(frozen=True)
class IdentityCheck:
    """The registry's answer: whether the NIK exists and which entered fields match."""

    found: bool
    matches: FieldMatches | None = None
    age_years: int | None = None
    photo_ref: str | None = None


class CivilRegistry(Protocol):
    def verify_identity(self, claim: IdentityClaim) -> IdentityCheck: ...

    def fetch_photo(self, photo_ref: str) -> bytes:
        """The registry photo's bytes (JPEG or PNG)."""
        ...


_CHECK = TypeAdapter(IdentityCheck)


class HttpCivilRegistry(HttpClient):
    service = "dukcapil"

    def verify_identity(self, claim: IdentityClaim) -> IdentityCheck:
        body = {
            "nik": claim.nik.value,
            "kk_number": claim.kk_number,
            "full_name": claim.full_name,
            "birth_date": claim.birth_date.isoformat(),
            "mother_maiden_name": claim.mother_maiden_name,
        }
        return self._channel.post_json("verify_identity", "/identity/verify", body, _CHECK)

    def fetch_photo(self, photo_ref: str) -> bytes:
        return self._channel.get_bytes("fetch_photo", f"/photos/{quote(photo_ref, safe='')}")
