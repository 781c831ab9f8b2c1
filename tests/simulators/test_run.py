"""``run_simulators``, as the CLI runs it: every simulator in one process, stopped by a signal."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from prakerja.simulators import SERVICES


def _free_ports(count: int) -> list[int]:
    """Ports free now, one per simulator: every one is given, so none falls back to its
    default (81xx), which another run or a developer's `make run` may hold."""
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_run_simulators_serves_every_simulator_until_signalled(stop_signal: signal.Signals) -> None:
    ports = dict(zip(SERVICES, _free_ports(len(SERVICES)), strict=True))
    script = (
        "from prakerja.simulators import SimulatorConfig, ServicePorts, run_simulators\n"
        f"run_simulators(SimulatorConfig(population_size=100, ports=ServicePorts(**{ports!r})))\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        deadline = time.monotonic() + 30  # generous: the suite runs on every core
        healthy: set[str] = set()
        while healthy != set(SERVICES) and time.monotonic() < deadline:
            for name, port in ports.items():
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                        healthy.add(name)
                except httpx.TransportError:
                    time.sleep(0.05)
        assert healthy == set(SERVICES)

        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
