"""Exclusion-lists simulator: DTKS (per family card) and the lists of people already paid."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Litestar, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from prakerja.simulators.app import build_app
from prakerja.simulators.faults import FAULTS_OPT, FaultInjector
from prakerja.simulators.person import ExclusionList
from prakerja.simulators.population import Population


class ExclusionQuery(msgspec.Struct, frozen=True):
    nik: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{16}$")]
    kk_number: Annotated[str, msgspec.Meta(max_length=32)]


class ExclusionAnswer(msgspec.Struct, frozen=True):
    lists: list[str]


@post("/exclusions/check", status_code=200, opt={FAULTS_OPT: True}, sync_to_thread=False)
def check_exclusions(
    data: JSONBody[ExclusionQuery], population: NamedDependency[Population]
) -> ExclusionAnswer:
    person = population.by_nik(data.nik)
    lists = set(person.exclusions) if person is not None else set()
    family = population.family(data.kk_number)
    if family and ExclusionList.DTKS in family[0].exclusions:
        lists.add(ExclusionList.DTKS)
    return ExclusionAnswer(lists=sorted(item.value for item in lists))


def create_exclusions_app(population: Population, faults: FaultInjector) -> Litestar:
    return build_app([check_exclusions], faults=faults, dependencies={"population": population})
