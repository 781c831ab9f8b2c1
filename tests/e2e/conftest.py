from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import pytest

from prakerja.db.server import DatabaseAddress
from prakerja.simulators.config import SimulatorConfig
from prakerja.simulators.server import RunningSimulators, start_in_background
from tests.e2e.processes import Processes
from tests.simulator_fixtures import STARTUP_S

POPULATION = SimulatorConfig(seed=2020, population_size=5000)


@pytest.fixture(scope="session")
def shared_broker_url() -> str:
    """A real RabbitMQ: CI sets PRAKERJA_TEST_BROKER_URL and must fail, not skip, without it."""
    url = os.environ.get("PRAKERJA_TEST_BROKER_URL")
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("PRAKERJA_TEST_BROKER_URL is not set: CI needs a real RabbitMQ")
        url = "amqp://guest:guest@127.0.0.1:5672/"
    return url


def _rabbitmqctl(*args: str) -> bool:
    tool = shutil.which("rabbitmqctl")
    if tool is None:
        return False
    try:
        done = subprocess.run([tool, "-q", *args], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@pytest.fixture(scope="session")
def own_vhost_url(shared_broker_url: str) -> Iterator[str | None]:
    """The broker URL with a virtual host of this session's own, or None if none can be
    made (no ``rabbitmqctl`` on this machine, or a broker elsewhere).

    The service's queues have fixed names ("verification", "face", "payments"): workers
    of two runs on one virtual host would take each other's messages, and drop them
    (their database knows no such applicant). Each pytest-xdist worker is a session.
    """
    parts = urlsplit(shared_broker_url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        yield None
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    vhost = f"prakerja-test-{worker}-{uuid.uuid4().hex[:8]}"
    user = unquote(parts.username or "guest")
    if not _rabbitmqctl("add_vhost", vhost):
        yield None
        return
    try:
        if not _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*"):
            yield None
            return
        yield urlunsplit(parts._replace(path="/" + quote(vhost, safe="")))
    finally:
        _rabbitmqctl("delete_vhost", vhost)


@pytest.fixture
def broker_url(
    shared_broker_url: str, own_vhost_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """This session's own virtual host; failing that, the shared one, held by one test at
    a time across the run's xdist workers (they share the base temporary folder)."""
    if own_vhost_url is not None:
        yield own_vhost_url
        return
    lock = tmp_path_factory.getbasetemp().parent / "prakerja-shared-broker.lock"
    with lock.open("w") as held, contextlib.ExitStack() as release:
        fcntl.flock(held, fcntl.LOCK_EX)
        release.callback(fcntl.flock, held, fcntl.LOCK_UN)
        yield shared_broker_url


@pytest.fixture
def simulators() -> Iterator[RunningSimulators]:
    with start_in_background(POPULATION, timeout_s=STARTUP_S) as running:
        yield running


@pytest.fixture
def processes(
    database: DatabaseAddress, tmp_path: Path, broker_url: str, simulators: RunningSimulators
) -> Iterator[Processes]:
    running = Processes(database, tmp_path / "var", broker_url, simulators.urls)
    yield running
    running.stop_all()
