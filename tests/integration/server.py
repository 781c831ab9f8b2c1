"""Run the real service (``prakerja serve``) in a subprocess against a test database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from prakerja.db.server import DatabaseAddress
from tests.helpers import FAST_HASHING


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url(address: DatabaseAddress) -> str:
    return (
        f"postgresql://{address.user}:{address.password}@/{address.dbname}"
        f"?host={address.host}&port={address.port}"
    )


class ServiceProcess:
    """``prakerja serve`` as a new user runs it; can be killed with SIGKILL and restarted."""

    def __init__(
        self, address: DatabaseAddress, data_dir: Path, extra_env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PRAKERJA_DATABASE_URL": database_url(address),
            "PRAKERJA_DATA_DIR": str(data_dir),
            "PRAKERJA_HTTP_PORT": str(self.port),
            "PRAKERJA_PASSWORD_HASHING": json.dumps(FAST_HASHING.model_dump()),
            "PRAKERJA_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "prakerja", "serve"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"service exited: {self.process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError("service did not become ready")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, as a crash would be."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
