"""Education-ministry simulator: is this NIK enrolled at a school or university?"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Litestar, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from prakerja.simulators.app import build_app
from prakerja.simulators.faults import FAULTS_OPT, FaultInjector
from prakerja.simulators.population import Population


class EnrollmentQuery(msgspec.Struct, frozen=True):
    nik: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{16}$")]


class EnrollmentAnswer(msgspec.Struct, frozen=True):
    enrolled: bool
    level: Literal["school", "university"] | None


@post("/enrollment/check", status_code=200, opt={FAULTS_OPT: True}, sync_to_thread=False)
def check_enrollment(
    data: JSONBody[EnrollmentQuery], population: NamedDependency[Population]
) -> EnrollmentAnswer:
    person = population.by_nik(data.nik)
    if person is None or person.education is None:
        return EnrollmentAnswer(enrolled=False, level=None)
    return EnrollmentAnswer(enrolled=True, level=person.education.value)


def create_education_app(population: Population, faults: FaultInjector) -> Litestar:
    return build_app([check_enrollment], faults=faults, dependencies={"population": population})
