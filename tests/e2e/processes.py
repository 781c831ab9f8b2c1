"""The service's processes as an operator runs them, for end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from prakerja.db.server import DatabaseAddress
from prakerja.simulators.server import SimulatorUrls
from tests.helpers import FAST_HASHING
from tests.integration.server import database_url, free_port


class Processes:
    """``prakerja serve``, ``dispatcher`` and ``worker`` against one database and broker."""

    def __init__(
        self,
        database: DatabaseAddress,
        data_dir: Path,
        broker_url: str,
        simulators: SimulatorUrls,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PRAKERJA_DATABASE_URL": database_url(database),
            "PRAKERJA_DATA_DIR": str(data_dir),
            "PRAKERJA_HTTP_PORT": str(self.port),
            "PRAKERJA_BROKER_URL": broker_url,
            "PRAKERJA_PASSWORD_HASHING": json.dumps(FAST_HASHING.model_dump()),
            "PRAKERJA_LOG_LEVEL": "WARNING",
            "PRAKERJA_SERVICES": json.dumps(
                {
                    "civil_registry": simulators.dukcapil,
                    "education": simulators.education,
                    "exclusions": simulators.exclusions,
                    "sms": simulators.sms,
                    "email": simulators.email,
                    "read_timeout_s": 2.0,
                    "breaker_reset_s": 2.0,
                }
            ),
            "PRAKERJA_VERIFICATION": json.dumps(
                {
                    "max_retries": 3,
                    "min_backoff_ms": 200,
                    "max_backoff_ms": 2000,
                    "delay_base_s": 3,
                    "delay_ceiling_s": 10,
                    "redelivery_s": 60,
                    "worker_threads": 16,
                }
            ),
            **(extra or {}),
        }
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.logs = data_dir.parent / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def start(
        self, name: str, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "prakerja", *args],
            env={**self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running[name] = process
        return process

    def start_all(self) -> None:
        self.start("api", "serve")
        self.start("dispatcher", "dispatcher")
        self.start("worker", "worker", "--processes", "1")
        self.wait_ready()

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.running.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{self.log_tail(name)}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError("the API did not become ready")

    def kill(self, name: str) -> None:
        """SIGKILL the whole process group (dramatiq's worker processes included)."""
        process = self.running.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.running.clear()
