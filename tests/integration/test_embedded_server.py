"""The embedded PostgreSQL lives as long as the processes using it, and no longer.

Each test starts real embedded servers in a folder of its own, from separate processes,
as `prakerja` commands would.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.integration.server import free_port

pytestmark = pytest.mark.postgres

ATTACH = """
import sys
from pathlib import Path
from prakerja.db.server import start_embedded
start_embedded(Path(sys.argv[1]))
print("attached", flush=True)
sys.stdin.readline()
"""


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])


def running(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def stops(pid: int, within_s: float = 20.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not running(pid):
            return True
        time.sleep(0.1)
    return False


class User:
    """A process attached to the embedded server in ``data_dir`` until told to exit."""

    def __init__(self, data_dir: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", ATTACH, str(data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line == "attached\n", self.process.stderr.read()  # type: ignore[union-attr]

    def exit(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(30) == 0, self.process.stderr.read()  # type: ignore[union-attr]

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A folder directly in the temporary directory, not pytest's.

    As root, pgserver runs PostgreSQL as its own user and opens the folder's parents to
    it; pytest makes its own folder private again whenever a session starts, which breaks
    a server starting under it at that moment.
    """
    folder = Path(tempfile.mkdtemp(prefix="prakerja-embedded-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def started() -> Iterator[list[int]]:
    """Postmaster pids a test started: stopped afterwards whatever the test's outcome."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if running(pid):
            os.kill(pid, signal.SIGINT)
            stops(pid)


def test_the_last_process_to_exit_stops_the_server(data_dir: Path, started: list[int]) -> None:
    first = User(data_dir)
    started.append(pid := postmaster_pid(data_dir))
    second = User(data_dir)
    assert postmaster_pid(data_dir) == pid  # the same server, attached to
    second.exit()
    assert running(pid), "stopped under a process still using it"
    first.exit()
    assert stops(pid)


def test_a_process_killed_outright_does_not_keep_the_server_for_ever(
    data_dir: Path, started: list[int]
) -> None:
    killed = User(data_dir)
    started.append(pid := postmaster_pid(data_dir))
    killed.kill()  # no exit handlers run: its handle stays in the data folder
    assert running(pid)
    later = User(data_dir)
    later.exit()
    assert stops(pid)


def test_a_server_whose_data_folder_was_deleted_does_not_linger(
    data_dir: Path, started: list[int]
) -> None:
    user = User(data_dir / "var")
    started.append(pid := postmaster_pid(data_dir / "var"))
    shutil.rmtree(data_dir / "var")
    user.exit()
    # Well before PostgreSQL's own check of its folder, once a minute, would stop it.
    assert stops(pid, within_s=10)


def test_migrate_leaves_no_server_behind(data_dir: Path, started: list[int]) -> None:
    env = {**os.environ, "PRAKERJA_DATA_DIR": str(data_dir)}
    env.pop("PRAKERJA_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "prakerja", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    if (data_dir / "postgres" / "postmaster.pid").exists():
        started.append(postmaster_pid(data_dir))
    log = (data_dir / "postgres" / "log").read_text()
    assert "database system is shut down" in log
    assert not (data_dir / "postgres" / "postmaster.pid").exists()


def test_ctrl_c_on_the_service_stops_its_embedded_server(
    data_dir: Path, started: list[int]
) -> None:
    port = free_port()
    env = {**os.environ, "PRAKERJA_DATA_DIR": str(data_dir), "PRAKERJA_HTTP_PORT": str(port)}
    env.pop("PRAKERJA_DATABASE_URL", None)
    env.pop("PRAKERJA_BROKER_URL", None)
    subprocess.run(
        [sys.executable, "-m", "prakerja", "migrate"], env=env, capture_output=True, check=True
    )
    service = subprocess.Popen(
        [sys.executable, "-m", "prakerja", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline, "the service did not become ready"
            assert service.poll() is None, service.stderr.read()  # type: ignore[union-attr]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        started.append(pid := postmaster_pid(data_dir))
        service.send_signal(signal.SIGINT)
        service.wait(30)
    finally:
        if service.poll() is None:
            service.kill()
    assert stops(pid)
