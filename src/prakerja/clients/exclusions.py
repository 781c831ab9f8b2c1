"""Exclusion lists: DTKS social assistance, civil servants, military and police, and others."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pydantic import TypeAdapter

from prakerja.clients.base import HttpClient
from prakerja.domain.nik import Nik

KNOWN_LISTS = (
    "dtks",
    "civil_servant",
    "military_police",
    "legislator",
    "village_official",
    "soe_staff",
    "earlier_participant",
)
"""Lists the service reports today; an unknown name still excludes (strings, not an enum)."""


@dataclass(frozen=True)
class ExclusionCheck:
    lists: tuple[str, ...]
    """Names of the lists the NIK (or, for DTKS, its family card) is on."""

    @property
    def excluded(self) -> bool:
        return bool(self.lists)


class ExclusionRegistry(Protocol):
    def check_exclusions(self, nik: Nik, kk_number: str) -> ExclusionCheck: ...


_CHECK = TypeAdapter(ExclusionCheck)


class HttpExclusionRegistry(HttpClient):
    service = "exclusions"

    def check_exclusions(self, nik: Nik, kk_number: str) -> ExclusionCheck:
        body = {"nik": nik.value, "kk_number": kk_number}
        return self._channel.post_json("check_exclusions", "/exclusions/check", body, _CHECK)
