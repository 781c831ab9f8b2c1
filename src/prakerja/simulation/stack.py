"""The whole service on this machine, as an operator runs it, for simulations and benchmarks.

Every part is a separate process started with the project's own commands (``prakerja
simulators``, ``serve``, ``dispatcher``, ``worker``, ``programme run``, ``review-queue``,
``projections run``) against a scratch database and a private Redis broker, so several
API processes and worker processes share the two cores as they would in production.
Only the face queue may be served by the simulated face layer
(:mod:`prakerja.simulation.face_worker`) instead of ``prakerja worker --face``.
Benchmarks start only the parts they measure.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal

import httpx

from prakerja.security.passwords import Passwords
from prakerja.settings import PasswordHashing
from prakerja.simulation.database import ScratchDatabase
from prakerja.simulators.config import SERVICES
from prakerja.simulators.rates import PopulationRates

FaceMode = Literal["simulated", "dlib"]

SIMULATION_HASHING = PasswordHashing(time_cost=1, memory_cost_kib=1024, parallelism=1)
"""argon2id at its cheapest, for simulation runs only: the simulation measures the funnel,
not the hash (the benchmark suite measures registration with the production cost)."""

OPS_USER = "simulation-ops"
_FACE_THREADS = 4
"""Threads of a simulated face worker (no dlib, so more than one is safe)."""

_SERVICE_SETTING = {
    "dukcapil": "civil_registry",
    "education": "education",
    "exclusions": "exclusions",
    "sms": "sms",
    "email": "email",
    "payments": "payments",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class StackOptions:
    """How many processes of each kind, and the settings only a simulation changes."""

    seed: int = 2020
    population: int = 10_000
    rates: PopulationRates = field(default_factory=PopulationRates)
    as_of: str | None = None
    """ISO date ages are counted on (default: the population's reference date, in both the
    simulators and the driver)."""
    api_processes: int = 2
    verification_processes: int = 1
    verification_threads: int = 12
    face: FaceMode = "simulated"
    face_processes: int = 1
    photos_dir: Path | None = None
    """Registry photos; required for ``face="dlib"``, generated for ``simulated``."""
    read_models: bool = True
    password_hashing: PasswordHashing = field(default_factory=lambda: SIMULATION_HASHING)
    extra_env: dict[str, str] = field(default_factory=dict)


PARTS = (
    "simulators",
    "api",
    "dispatcher",
    "worker",
    "face",
    "programme",
    "review-queue",
    "projections",
)


@dataclass(frozen=True)
class StackKeys:
    """The service's secrets for a run (a benchmark shares them to prepare data in-process)."""

    cipher_key: str = field(
        default_factory=lambda: base64.b64encode(secrets.token_bytes(32)).decode()
    )
    token_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))


class Stack:
    """Start with ``with Stack(...) as stack:``; every process stops when the block ends.

    The database (created and dropped by the caller) must be migrated; ``parts`` says
    which processes to run (all of :data:`PARTS` by default).
    """

    def __init__(
        self,
        database: ScratchDatabase,
        work_dir: Path,
        options: StackOptions,
        *,
        broker_url: str | None = None,
        parts: Collection[str] = PARTS,
        keys: StackKeys | None = None,
    ) -> None:
        unknown = set(parts) - set(PARTS)
        if unknown:
            raise ValueError(f"unknown parts: {sorted(unknown)}")
        self.options = options
        self.work_dir = work_dir
        self.logs = work_dir / "logs"
        self.database = database
        self.parts = frozenset(parts)
        self._broker_url = broker_url
        self._redis: subprocess.Popen[bytes] | None = None
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.ports = {name: free_port() for name in SERVICES}
        self.api_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.ops_password = secrets.token_urlsafe(18)
        self.keys = keys or StackKeys()

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        if self._broker_url is None:
            self._broker_url = self._start_redis()
        options, parts = self.options, self.parts
        if "simulators" in parts:
            self._start("simulators", "simulators", pool=1)
            self._wait_for_ports([self.ports[name] for name in SERVICES], "the simulators")
        if "api" in parts:
            self._start("api", "serve", "--workers", str(options.api_processes), pool=4)
        if "dispatcher" in parts:
            self._start("dispatcher", "dispatcher", pool=3)
        if "worker" in parts:
            self._start(
                "worker",
                "worker",
                "--processes",
                str(options.verification_processes),
                "--threads",
                str(options.verification_threads),
                pool=max(4, options.verification_threads // 2),
            )
        if "face" in parts:
            self._start_face_workers()
        if "programme" in parts:
            self._start("programme", "programme", "run", pool=3)
        if "review-queue" in parts:
            self._start("review-queue", "review-queue", pool=2)
        if "projections" in parts and options.read_models:
            self._start("projections", "projections", "run", pool=6)
        if "api" in parts:
            self.wait_ready()

    def _start_face_workers(self) -> None:
        processes = str(self.options.face_processes)
        if self.options.face == "dlib":
            self._start("face", "worker", "--face", "--processes", processes, pool=2)
            return
        self._start_module(
            "face",
            "dramatiq",
            "prakerja.simulation.face_worker",
            "--processes",
            processes,
            "--threads",
            str(_FACE_THREADS),
            "--queues",
            "face",
            pool=2,
        )

    def stop(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(10)
        self.running.clear()
        if self._redis is not None:
            self._redis.terminate()
            self._redis.wait(10)
            self._redis = None

    # ------------------------------------------------------------------ addresses

    @property
    def broker_url(self) -> str:
        assert self._broker_url is not None, "the stack is not started"
        return self._broker_url

    def service_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    # ------------------------------------------------------------------ processes

    def env(self) -> dict[str, str]:
        """The settings every process gets (``PRAKERJA_*``)."""
        options = self.options
        simulators: dict[str, object] = {
            "seed": options.seed,
            "population_size": options.population,
            "rates": options.rates.model_dump(),
            "host": "127.0.0.1",
            "ports": dict(self.ports),
            "photos_dir": str(self._photos_dir()),
            "training": {"webhook_url": f"{self.api_url}/v1/training/webhooks/skillhub"},
            "log_level": "warning",
        }
        if options.as_of is not None:
            simulators["as_of"] = options.as_of
        services: dict[str, object] = {
            setting: self.service_url(name) for name, setting in _SERVICE_SETTING.items()
        }
        services.update({"read_timeout_s": 10.0, "breaker_reset_s": 2.0})
        ops_hash = Passwords(options.password_hashing).hash(self.ops_password)
        return {
            **os.environ,
            "PRAKERJA_MODE": "development",
            "PRAKERJA_DATABASE_URL": self.database.url,
            "PRAKERJA_DATA_DIR": str(self.work_dir / "var"),
            "PRAKERJA_CIPHER_KEY": self.keys.cipher_key,
            "PRAKERJA_TOKEN_SECRET": self.keys.token_secret,
            "PRAKERJA_BROKER_URL": self.broker_url,
            "PRAKERJA_HTTP_HOST": "127.0.0.1",
            "PRAKERJA_HTTP_PORT": str(self.api_port),
            "PRAKERJA_PUBLIC_URL": self.api_url,
            "PRAKERJA_LOG_LEVEL": "WARNING",
            "PRAKERJA_LOG_FORMAT": "json",
            "PRAKERJA_DB_POOL_MAX_OVERFLOW": "2",
            "PRAKERJA_PASSWORD_HASHING": options.password_hashing.model_dump_json(),
            "PRAKERJA_STAFF": json.dumps({OPS_USER: {"role": "ops", "password_hash": ops_hash}}),
            "PRAKERJA_SERVICES": json.dumps(services),
            "PRAKERJA_SIMULATORS": json.dumps(simulators),
            "PRAKERJA_VERIFICATION": json.dumps(
                {
                    "worker_threads": options.verification_threads,
                    "delay_base_s": 5,
                    "delay_ceiling_s": 60,
                    "redelivery_s": 120,
                }
            ),
            "PRAKERJA_PROGRAMME": json.dumps({"scheduler_interval_s": 5}),
            # Nobody reads the read models while the journeys run: a second's lag lets
            # each write a second of events at once instead of a fifth.
            "PRAKERJA_PROJECTIONS__IDLE_WAIT_S": "1.0",
            **options.extra_env,
        }

    def _start(self, name: str, *args: str, pool: int) -> subprocess.Popen[bytes]:
        return self._start_module(name, "prakerja", *args, pool=pool)

    def _start_module(
        self, name: str, module: str, *args: str, pool: int
    ) -> subprocess.Popen[bytes]:
        """Start ``python -m module args``.

        ``pool``: database connections of each of its processes. The event store's pool
        opens them all at start (and the service's own pool grows to as many), so these
        are kept small: a shared server's ``max_connections`` (100 by default) is the limit.
        """
        env = self.env()
        env["PRAKERJA_DB_POOL_SIZE"] = str(pool)
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            [sys.executable, "-m", module, *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.running[name] = process
        return process

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if httpx.get(f"{self.api_url}/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"the API did not become ready; see {self.logs}")

    def check_alive(self) -> None:
        """Raise if a process of the stack has exited."""
        for name, process in self.running.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited ({process.returncode}):\n{self.log_tail(name)}")

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def _start_redis(self) -> str:
        port = free_port()
        log = (self.logs / "redis.log").open("ab")
        self._redis = subprocess.Popen(  # noqa: S603
            [
                _redis_server(),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.work_dir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait_for_ports([port], "redis-server")
        return f"redis://127.0.0.1:{port}/0"

    def _wait_for_ports(self, ports: list[int], what: str, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        waiting = list(ports)
        while waiting and time.monotonic() < deadline:
            self.check_alive()
            try:
                with socket.create_connection(("127.0.0.1", waiting[0]), timeout=1):
                    waiting.pop(0)
            except OSError:
                time.sleep(0.1)
        if waiting:
            raise TimeoutError(f"{what} did not start listening")

    def _photos_dir(self) -> Path:
        if self.options.photos_dir is not None:
            return self.options.photos_dir
        from prakerja.simulation.selfies import write_registry_photos

        return write_registry_photos(self.work_dir / "registry-photos")


def _redis_server() -> str:
    import shutil

    found = shutil.which("redis-server")
    if found is None:
        raise RuntimeError(
            "redis-server is not on PATH: install it, or give a broker URL (--broker-url)"
        )
    return found


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
