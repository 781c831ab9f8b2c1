"""The education ministry: is the applicant a current school or university student?"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from pydantic import TypeAdapter

from prakerja.clients.base import HttpClient
from prakerja.domain.nik import Nik


class EducationLevel(StrEnum):
    SCHOOL = "school"
    UNIVERSITY = "university"


@dataclass(frozen=True)
class Enrollment:
    enrolled: bool
    level: EducationLevel | None = None


class EducationRegistry(Protocol):
    def check_enrollment(self, nik: Nik) -> Enrollment: ...


_ENROLLMENT = TypeAdapter(Enrollment)


class HttpEducationRegistry(HttpClient):
    service = "education"

    def check_enrollment(self, nik: Nik) -> Enrollment:
        return self._channel.post_json(
            "check_enrollment", "/enrollment/check", {"nik": nik.value}, _ENROLLMENT
        )
