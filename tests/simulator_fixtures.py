"""Fixtures for tests that talk to the simulators: a fresh set per test module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest

from prakerja.simulators import (
    Person,
    Population,
    RunningSimulators,
    SimulatorAdmin,
    SimulatorConfig,
    start_in_background,
)

AS_OF = dt.date(2020, 4, 11)
# How long the simulators may take to start: ten times what they need on a quiet
# machine, for a loaded one (the suite runs on every core).
STARTUP_S = 30.0


@pytest.fixture(scope="module")
def simulators() -> Iterator[RunningSimulators]:
    config = SimulatorConfig(seed=2020, population_size=5_000, as_of=AS_OF)
    with start_in_background(config, timeout_s=STARTUP_S) as running:
        yield running


@pytest.fixture(scope="module")
def population(simulators: RunningSimulators) -> Population:
    return simulators.population


@pytest.fixture
def admin(simulators: RunningSimulators) -> Iterator[SimulatorAdmin]:
    admin = SimulatorAdmin(simulators.urls)
    yield admin
    admin.clear_faults()
    admin.close()


@pytest.fixture(scope="module")
def find(population: Population) -> Callable[[Callable[[Person], bool]], Person]:
    def first(predicate: Callable[[Person], bool]) -> Person:
        return next(person for person in population if predicate(person))

    return first
