"""``prakerja simulate``: a synthetic wave through the whole service, and its funnel.

1. Start the service on a scratch database (:class:`~prakerja.simulation.stack.Stack`),
   with the simulators serving a population of exactly the requested size.
2. Ops schedule and open wave 1 with wave 1's quota share of the run's size.
3. Every person of the population takes their journey over HTTP
   (:class:`~prakerja.simulation.journeys.AsyncDriver`), hundreds at a time.
4. Ops close the wave (the draw, seeded from the run's seed) and record the decree.
5. The funnel per stage and per province is computed from what the API told each
   applicant, compared with the calibrated proportions, and written as JSON, CSV and SVG.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prakerja.simulation.calibration import (
    quota_for,
)
from prakerja.simulation.client import Client
from prakerja.simulation.database import ScratchDatabase
from prakerja.simulation.driver import Endpoints
from prakerja.simulation.funnel import funnel_of
from prakerja.simulation.journeys import AsyncDriver, Outcome, WaveChoice
from prakerja.simulation.machine import load_average, machine_info
from prakerja.simulation.observe import CpuMeter, log_size, postgres_version, server_funnel_of
from prakerja.simulation.ops import Draw, Ops, WavesUnavailable, draw_seed
from prakerja.simulation.polling import Polling
from prakerja.simulation.results import WAVE, build_report, write_files
from prakerja.simulation.selfies import MarkedSelfies, RegistryPhotoSelfies, Selfies
from prakerja.simulation.stack import OPS_USER, Stack, StackOptions
from prakerja.simulators.population import REFERENCE_DATE, Population


@dataclass(frozen=True)
class SimulationConfig:
    applicants: int
    out: Path
    server_url: str
    seed: int = 2020
    concurrency: int = 600
    corrections: bool = False
    """True: this system's rules (a typo corrected, a selfie re-uploaded); False: 2020's."""
    broker_url: str | None = None
    keep_database: bool = False
    stack: StackOptions = field(default_factory=StackOptions)


@dataclass
class RunState:
    """Counters the progress display reads while journeys run."""

    done: int = 0
    errors: int = 0
    reached: dict[str, int] = field(default_factory=dict)
    phase: str = "starting"


@dataclass(frozen=True)
class SimulationResult:
    report: dict[str, Any]
    files: list[Path]

    @property
    def within_tolerance(self) -> bool:
        return bool(self.report["comparison_within_2pp"])


Progress = Callable[[RunState, Outcome | None], None]


def simulate(config: SimulationConfig, progress: Progress | None = None) -> SimulationResult:
    """Run the simulation; SIGTERM stops it as Ctrl-C does, every process and database
    it started included."""
    with _terminate_as_exit():
        return _simulate(config, progress)


@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _simulate(config: SimulationConfig, progress: Progress | None) -> SimulationResult:
    started_at = dt.datetime.now(dt.UTC)
    load_at_start = load_average()
    as_of = REFERENCE_DATE
    options = StackOptions(
        **{
            **asdict(config.stack),
            "seed": config.seed,
            "population": config.applicants,
            "as_of": as_of.isoformat(),
        }
    )
    state = RunState()
    report_progress = progress or (lambda _state, _outcome: None)
    config.out.mkdir(parents=True, exist_ok=True)
    database = ScratchDatabase(config.server_url, "simulate", keep=config.keep_database)
    database.create()
    try:
        with Stack(database, config.out / "stack", options, broker_url=config.broker_url) as stack:
            state.phase = "driving"
            report_progress(state, None)
            meter = CpuMeter(stack)
            began = time.monotonic()
            run = asyncio.run(_drive(config, stack, options, as_of, state, report_progress))
            seconds = time.monotonic() - began
            cpu = meter.per_applicant(config.applicants)
            log = log_size(stack, config.applicants)
            server_funnel = server_funnel_of(stack, run.outcomes)
            postgres = postgres_version(stack)
    finally:
        database.drop()
    funnel = funnel_of(run.outcomes, run.draw.selected if run.draw else ())
    report = build_report(
        config, options, funnel, run, seconds, started_at, load_at_start, server_funnel
    )
    report["database"] = {"name": database.name, "kept": config.keep_database}
    report["cpu_ms_per_applicant"] = cpu
    report["event_log"] = log
    report["machine"] = machine_info(postgres)
    report["machine"]["load_average_at_start"] = load_at_start
    files = write_files(config.out, report, funnel)
    return SimulationResult(report, files)


@dataclass(frozen=True)
class Run:
    outcomes: list[Outcome]
    draw: Draw | None
    wave_note: str
    wave_status: str | None
    quota: int
    as_of: dt.date
    waits: dict[str, float]


async def _drive(
    config: SimulationConfig,
    stack: Stack,
    options: StackOptions,
    as_of: dt.date,
    state: RunState,
    progress: Progress,
) -> Run:
    population = Population(config.seed, config.applicants, rates=options.rates, as_of=as_of)
    async with Client(max_connections=min(512, config.concurrency)) as http:
        ops = Ops(http, stack.api_url)
        await ops.login(OPS_USER, stack.ops_password)
        quota = quota_for(config.applicants)
        wave: WaveChoice | None = WaveChoice(WAVE)
        wave_note = "wave 1 scheduled, opened, closed and decreed through the waves API"
        try:
            await ops.open_wave(WAVE, quota, _partitions(config.applicants))
        except WavesUnavailable as error:
            wave, wave_note = None, f"no waves API ({error}): the run stops at verification"
        driver = AsyncDriver(
            Endpoints(stack.api_url, stack.service_url("email"), stack.service_url("sms")),
            http,
            wave=wave,
            corrections=config.corrections,
            polling=Polling(),
            seed=config.seed,
            selfies=_selfies(options),
        )

        def on_done(outcome: Outcome) -> None:
            state.done += 1
            state.errors += outcome.error is not None
            for step in outcome.steps:
                name = step.split(":")[0]
                state.reached[name] = state.reached.get(name, 0) + 1
            progress(state, outcome)

        watchdog = asyncio.create_task(_watch(stack))
        try:
            outcomes = await driver.run(iter(population), config.concurrency, on_done)
        finally:
            watchdog.cancel()
        draw: Draw | None = None
        wave_status: str | None = None
        if wave is not None:
            state.phase = "closing the wave (draw)"
            progress(state, None)
            draw = await ops.close_wave(WAVE, draw_seed(config.seed, WAVE))
            state.phase = "decree: telling every candidate"
            progress(state, None)
            wave_status = await ops.decree(WAVE, f"SK-SIM-{config.seed}/{WAVE}")
        state.phase = "done"
        progress(state, None)
        return Run(outcomes, draw, wave_note, wave_status, quota, as_of, driver.polling.typical())


def _selfies(options: StackOptions) -> Selfies:
    if options.face == "dlib" and options.photos_dir is not None:
        return RegistryPhotoSelfies(options.photos_dir, options.seed)
    return MarkedSelfies()


async def _watch(stack: Stack) -> None:
    """Stop the run if a process of the service dies (its log tail is in the error)."""
    while True:
        await asyncio.sleep(5)
        stack.check_alive()


def _partitions(applicants: int) -> int:
    """Roster partitions: each join loads and saves one partition, whose history grows with
    its joins, so a couple of hundred joins each keeps a join cheap (256 at most)."""
    expected_joins = 0.5 * applicants
    return max(16, min(256, math.ceil(expected_joins / 200)))
