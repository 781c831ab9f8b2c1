"""Serving the five simulators from one process: uvicorn servers sharing one asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType

import uvicorn

from prakerja.simulators.bootstrap import build_simulators
from prakerja.simulators.config import SERVICES, ServicePorts, SimulatorConfig
from prakerja.simulators.population import Population

logger = logging.getLogger(__name__)

_GRACEFUL_SHUTDOWN_S = 2
# Longer than clients keep idle connections, so a reused connection is never closed under them.
_KEEP_ALIVE_S = 75


@dataclass(frozen=True)
class SimulatorUrls:
    dukcapil: str
    education: str
    exclusions: str
    sms: str
    email: str
    payments: str
    training: str

    def of(self, service: str) -> str:
        url: str = getattr(self, service)
        return url


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to :func:`serve_simulators`.

    Several servers in one loop would otherwise each take over SIGINT and SIGTERM in
    turn, and only the last would hear them.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass(frozen=True)
class _Bound:
    servers: dict[str, _Server]
    sockets: dict[str, socket.socket]
    urls: SimulatorUrls
    population: Population

    async def serve(self) -> None:
        await asyncio.gather(
            *(server.serve(sockets=[self.sockets[name]]) for name, server in self.servers.items())
        )

    def stop(self) -> None:
        for server in self.servers.values():
            server.should_exit = True


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def _bind_all(config: SimulatorConfig) -> _Bound:
    simulators = build_simulators(config)
    servers: dict[str, _Server] = {}
    sockets: dict[str, socket.socket] = {}
    urls: dict[str, str] = {}
    for name in SERVICES:
        sock = _bind(config.host, getattr(config.ports, name))
        sockets[name] = sock
        host = f"[{config.host}]" if ":" in config.host else config.host
        urls[name] = f"http://{host}:{sock.getsockname()[1]}"
        servers[name] = _Server(
            uvicorn.Config(
                simulators.apps[name],
                log_config=None,
                log_level=config.log_level,
                access_log=False,
                timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
                timeout_keep_alive=_KEEP_ALIVE_S,
            )
        )
    return _Bound(servers, sockets, SimulatorUrls(**urls), simulators.population)


async def serve_simulators(config: SimulatorConfig) -> None:
    """Serve until SIGINT or SIGTERM (or until the task is cancelled)."""
    bound = _bind_all(config)
    loop = asyncio.get_running_loop()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, bound.stop)
    for name in SERVICES:
        logger.info("%s simulator on %s", name, bound.urls.of(name))
    try:
        await bound.serve()
    finally:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)


def run_simulators(config: SimulatorConfig) -> None:
    """Run the five simulators in this process (the ``prakerja simulators`` command)."""
    asyncio.run(serve_simulators(config))


class RunningSimulators:
    """Simulators served from a background thread; stop them with :meth:`stop` or ``with``."""

    def __init__(self, bound: _Bound, thread: threading.Thread) -> None:
        self._bound = bound
        self._thread = thread
        self.urls = bound.urls
        self.population = bound.population

    def stop(self, timeout_s: float = 10.0) -> None:
        self._bound.stop()
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise RuntimeError("the simulators did not stop in time")

    def __enter__(self) -> RunningSimulators:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_in_background(
    config: SimulatorConfig | None = None, *, ephemeral_ports: bool = True, timeout_s: float = 10.0
) -> RunningSimulators:
    """Start the simulators in a daemon thread and wait until all five accept calls.

    With ``ephemeral_ports`` (the default, for tests) the configured ports are
    ignored and the system picks free ones: read them from ``.urls``.
    """
    config = config or SimulatorConfig()
    if ephemeral_ports:
        config = config.model_copy(update={"ports": ServicePorts(**dict.fromkeys(SERVICES, 0))})
    bound = _bind_all(config)
    thread = threading.Thread(
        target=lambda: asyncio.run(bound.serve()), name="prakerja-simulators", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not all(server.started for server in bound.servers.values()):
        if not thread.is_alive() or time.monotonic() > deadline:
            bound.stop()
            raise RuntimeError("the simulators did not start")
        time.sleep(0.01)
    return RunningSimulators(bound, thread)
