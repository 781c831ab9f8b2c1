"""The README's curl walkthrough, run as a newcomer runs it, at two hours of the day.

The shell blocks marked ``<!-- walkthrough -->`` in README.md are taken from the README
itself (so the two cannot drift), pointed at a service started as ``make run`` starts it
(``prakerja migrate`` then ``prakerja up``, in a fresh data folder) and run with bash.
Every command followed by ``# → text`` must print that text. The service and the
walkthrough run under libfaketime, at 23:30 UTC (already the next day in Jakarta) and
at 00:30 UTC, on the latest such moment before now.

The database is a fresh one on the tests' PostgreSQL server, not the embedded one: under
libfaketime a process shares the fake clock's semaphore with its children, which an
embedded server (it runs as a user of its own) cannot open. It keeps the real clock, which
is ahead of the service's: nothing the service asks of it looks into the future.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import libfaketime
import psutil
import psycopg
import pytest

from prakerja.db.server import DatabaseAddress
from tests.face.photos import faces_dir
from tests.integration.server import database_url, free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"<!-- walkthrough(?:: (?P<part>\w+))? -->\n```sh\n(?P<script>.*?)```", re.S)
_EXPECTED = re.compile(r"\s+# → (?P<expected>.*)$")
_DEFAULT_PORTS = {
    "8000": "api",
    "8101": "dukcapil",
    "8102": "education",
    "8103": "exclusions",
    "8104": "sms",
    "8105": "email",
    "8106": "payments",
    "8107": "training",
}
_CHECK = """
__check() {  # number, expected, printed
  if [ "$2" = "$3" ]; then echo "CHECK $1 ok"; else echo "CHECK $1 FAILED: [$2] != [$3]"; fi
}
"""
_FAKETIME_LIBRARY = (
    Path(libfaketime.__file__).parent / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"
)
_REGISTRY_PHOTO, _SELFIE = "alex_lacamoire_1.jpg", "alex_lacamoire_2.jpg"


@dataclass(frozen=True)
class Walkthrough:
    script: str
    checks: int


def walkthrough(readme: str, *, with_face: bool) -> Walkthrough:
    """The README's walkthrough blocks as one bash script whose ``# →`` lines check."""
    lines: list[str] = [_CHECK]
    checks = 0
    for block in _BLOCK.finditer(readme):
        if block["part"] == "face" and not with_face:
            continue
        command: list[str] = []
        for line in block["script"].splitlines():
            command.append(line)
            if not _complete("\n".join(command)):
                continue
            expected = _EXPECTED.search(line)
            if expected is None:
                lines.extend(command)
            else:
                checks += 1
                command[-1] = line[: expected.start()]
                joined = "\n".join(command)
                lines.append(f'__check {checks} {_quote(expected["expected"])} "$({joined})"')
            command = []
    return Walkthrough("\n".join(lines) + "\n", checks)


def _complete(command: str) -> bool:
    """Whether a shell command ends here: no open quote, no line continuation."""
    quote = ""
    escaped = comment = False
    previous = " "
    for char in command:
        if comment:
            comment = char != "\n"
        elif escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and previous.isspace():
            comment = True
        previous = char
    return not quote and not escaped


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def last_moment_at(hour: int, minute: int) -> dt.datetime:
    """The latest moment before now at this UTC time of day."""
    now = dt.datetime.now(dt.UTC)
    moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment if moment < now else moment - dt.timedelta(days=1)


class Service:
    """``prakerja migrate`` and ``prakerja up`` in a fresh folder, on free ports."""

    def __init__(self, folder: Path, clock: dt.datetime, database_url: str) -> None:
        self.folder = folder
        ports: set[int] = set()
        while len(ports) < len(_DEFAULT_PORTS):
            ports.add(free_port())
        self.ports = dict(zip(_DEFAULT_PORTS.values(), sorted(ports), strict=True))
        offset = (clock - dt.datetime.now(dt.UTC)).total_seconds()
        simulator_ports = {n: p for n, p in self.ports.items() if n != "api"}
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PRAKERJA_")},
            "PRAKERJA_DATA_DIR": str(folder / "var"),
            "PRAKERJA_DATABASE_URL": database_url,
            "PRAKERJA_HTTP_PORT": str(self.ports["api"]),
            **{
                f"PRAKERJA_SIMULATORS__PORTS__{n.upper()}": str(p)
                for n, p in simulator_ports.items()
            },
            "PRAKERJA_SERVICES__CIVIL_REGISTRY": self.url("dukcapil"),
            **{
                f"PRAKERJA_SERVICES__{n.upper()}": self.url(n)
                for n in ("education", "exclusions", "sms", "email", "payments")
            },
        }
        # The service's processes, and the ``prakerja`` command the walkthrough calls, share
        # one offset from the real clock.
        self.clock = {
            "LD_PRELOAD": str(_FAKETIME_LIBRARY),
            "FAKETIME": f"{offset:+.0f}",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "DONT_FAKE_MONOTONIC": "1",
            "FAKETIME_NO_CACHE": "1",
        }
        self.log = folder / "service.log"
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "prakerja", *args],
            env={**self.env, **self.clock},
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def start(self) -> None:
        migrated = self.run("migrate")
        assert migrated.returncode == 0, migrated.stderr
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "prakerja", "up"],
                env={**self.env, **self.clock},
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            # Ours, not another program's that happened to take a port meanwhile.
            ours = self._listening() == set(self.ports.values())
            if ours and httpx.get(f"{self.url('api')}/health", timeout=5).status_code == 200:
                return
            time.sleep(0.3)
        raise AssertionError(f"the service did not answer: {self.log.read_text()[-3000:]}")

    def _listening(self) -> set[int]:
        """The ports this service's processes listen on."""
        assert self.process is not None
        try:
            root = psutil.Process(self.process.pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return set()
        ports: set[int] = set()
        for process in processes:
            try:
                connections = process.net_connections(kind="tcp")
            except psutil.Error:
                continue
            ports.update(c.laddr.port for c in connections if c.status == psutil.CONN_LISTEN)
        return ports & set(self.ports.values())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def command_shim(self) -> None:
        """``.venv/bin/prakerja`` as the README calls it, for this interpreter, on the fake
        clock. (Not the shell: libfaketime shares its clock through a semaphore that the
        first process unlinks at exit, and a shell's ``$(…)`` subshells are that process.)"""
        shim = self.folder / ".venv" / "bin" / "prakerja"
        shim.parent.mkdir(parents=True, exist_ok=True)
        clock = " ".join(f"{name}={value}" for name, value in self.clock.items())
        shim.write_text(f'#!/bin/sh\nexec env {clock} "{sys.executable}" -m prakerja "$@"\n')
        shim.chmod(0o755)


@pytest.fixture(params=[(23, 30), (0, 30)], ids=["2330UTC", "0030UTC"], scope="module")
def service(request: pytest.FixtureRequest, postgres_server: DatabaseAddress) -> Iterator[Service]:
    hour, minute = request.param
    name = f"prakerja_walkthrough_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_server.conninfo, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    address = DatabaseAddress(
        postgres_server.host,
        postgres_server.port,
        name,
        postgres_server.user,
        postgres_server.password,
    )
    folder = Path(tempfile.mkdtemp(prefix="prakerja-walkthrough-"))
    running = Service(folder, last_moment_at(hour, minute), database_url(address))
    running.command_shim()
    try:
        running.start()
        yield running
    finally:
        running.stop()
        shutil.rmtree(folder, ignore_errors=True)
        with psycopg.connect(postgres_server.conninfo, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.mark.timeout(600)
def test_the_readme_walkthrough_does_what_it_says(service: Service) -> None:
    readme = README.read_text()
    faces = faces_dir()
    with_face = faces.is_dir()
    if with_face:
        shutil.copy(faces / _REGISTRY_PHOTO, service.folder / "me.jpg")
        shutil.copy(faces / _SELFIE, service.folder / "selfie.jpg")
    # Bodies the README throws away go to stderr, to tell what went wrong if a check fails.
    readme = readme.replace("curl -s -o /dev/null ", "curl -s -o /dev/stderr ")
    steps = walkthrough(_on_ports(readme, service), with_face=with_face)
    assert steps.checks >= 10, "the walkthrough lost its checks"

    try:
        done = subprocess.run(
            ["bash", "-x", "-o", "pipefail", "-c", steps.script],
            env=service.env,
            cwd=service.folder,
            capture_output=True,
            text=True,
            timeout=480,
            check=False,
        )
    except subprocess.TimeoutExpired as stuck:
        printed = _text(stuck.stdout)
        failed = [line for line in printed.splitlines() if line.startswith("CHECK ")]
        raise AssertionError(
            f"the walkthrough hung after:\n{printed}\n{_traces_of(failed, _text(stuck.stderr))}"
            f"\n--- service log ---\n{service.log.read_text()[-4000:]}"
        ) from None

    checks = [line for line in done.stdout.splitlines() if line.startswith("CHECK ")]
    failed = [line for line in checks if not line.endswith(" ok")]
    log = service.log.read_text()[-3000:]
    context = f"{_traces_of(failed, done.stderr)}\n--- service log ---\n{log}"
    assert not failed, f"{failed}\n{context}"
    assert len(checks) == steps.checks, context
    assert done.returncode == 0, context
    noise = [
        line
        for line in service.log.read_text().splitlines()
        if re.search(r"warn|traceback|error", line, re.I) and "libfaketime" not in line
    ]
    assert not noise, "a fresh start printed warnings or errors:\n" + "\n".join(noise)
    if not with_face:
        pytest.skip(f"the face step was not run: no face photos at {faces}")


def _text(output: str | bytes | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


def _traces_of(failed: list[str], trace: str) -> str:
    """The shell trace (``bash -x``) that led to each failed check, or its end."""
    lines = trace.splitlines()
    found = []
    for check in failed:
        number = check.split()[1]
        at = next((i for i, t in enumerate(lines) if t.startswith(f"+ __check {number} ")), None)
        if at is not None:
            found.append("\n".join(lines[max(0, at - 25) : at + 1]))
    return "\n...\n".join(found) or trace[-6000:]


def _on_ports(readme: str, service: Service) -> str:
    for port, name in _DEFAULT_PORTS.items():
        readme = readme.replace(f"127.0.0.1:{port}", f"127.0.0.1:{service.ports[name]}")
    return readme


def test_the_walkthrough_is_read_from_the_readme() -> None:
    steps = walkthrough(README.read_text(), with_face=True)
    assert "__check 1 '200'" in steps.script
    assert "__check 2 'passed'" in steps.script
    assert "dariati36203@gmail.com" in steps.script
    assert "stage face" in steps.script
    assert "on_exclusion_list" not in steps.script  # prose, not a command
