from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from prakerja.db.server import DatabaseAddress
from prakerja.simulators.config import SimulatorConfig
from prakerja.simulators.server import RunningSimulators, start_in_background
from tests.e2e.processes import Processes

POPULATION = SimulatorConfig(seed=2020, population_size=5000)


@pytest.fixture(scope="session")
def broker_url() -> str:
    """A real RabbitMQ: CI sets PRAKERJA_TEST_BROKER_URL and must fail, not skip, without it."""
    url = os.environ.get("PRAKERJA_TEST_BROKER_URL")
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("PRAKERJA_TEST_BROKER_URL is not set: CI needs a real RabbitMQ")
        url = "amqp://guest:guest@127.0.0.1:5672/"
    return url


@pytest.fixture
def simulators() -> Iterator[RunningSimulators]:
    with start_in_background(POPULATION) as running:
        yield running


@pytest.fixture
def processes(
    database: DatabaseAddress, tmp_path: Path, broker_url: str, simulators: RunningSimulators
) -> Iterator[Processes]:
    running = Processes(database, tmp_path / "var", broker_url, simulators.urls)
    yield running
    running.stop_all()
