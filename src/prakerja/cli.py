"""The ``prakerja`` command."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
import psycopg
import sqlalchemy.exc
import structlog
from psycopg_pool import PoolTimeout
from pydantic import ValidationError

from prakerja.db.migrations import SchemaNotCurrent
from prakerja.logs import Role
from prakerja.metrics.multiprocess import share_between_processes
from prakerja.security.keys import MissingSecret
from prakerja.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


class CliError(click.ClickException):
    """A one-line error for the terminal; exit status 1."""


def _one_line_errors(command: F) -> F:
    """Known failures become one line on stderr and a non-zero exit, never a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (SchemaNotCurrent, MissingSecret) as error:
            raise CliError(str(error)) from None
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise CliError(f"invalid setting PRAKERJA_{where.upper()}: {first['msg']}") from None
        except (OSError, psycopg.Error, sqlalchemy.exc.SQLAlchemyError, PoolTimeout) as error:
            first_line = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise CliError(f"{type(error).__name__}: {first_line}") from None

    return wrapper  # type: ignore[return-value]


def _settings(role: Role = "cli") -> Settings:
    settings = Settings()
    from prakerja.logs import configure_logging

    configure_logging(settings, role)
    return settings


@click.group()
@click.version_option(package_name="prakerja")
def main() -> None:
    """Case management for Kartu Prakerja applicants."""


@main.command()
@_one_line_errors
def migrate() -> None:
    """Bring the database schema up to date (starts the embedded server if none is set)."""
    from prakerja.db.migrations import upgrade
    from prakerja.db.server import resolve_database

    settings = _settings()
    address = resolve_database(settings)
    status = upgrade(address)
    click.echo(f"schema at {status.describe()} on {address.display}")


@main.command()
@click.option("--workers", default=1, show_default=True, help="API processes")
@_one_line_errors
def serve(workers: int) -> None:
    """Run the HTTP API (and, with no broker configured, the workers in-process)."""
    import uvicorn

    from prakerja.bootstrap import bootstrap

    settings = _settings("api")
    if workers > 1 and settings.broker_url is None:
        raise CliError("several API processes need a broker (PRAKERJA_BROKER_URL)")
    if workers > 1:
        # Before uvicorn starts them: each process's metrics in files /metrics adds up.
        share_between_processes(settings.data_dir, "api")
    # Fail here, with one line, rather than inside a server process.
    bootstrap(settings).close()
    structlog.get_logger("prakerja").info(
        "serving", url=f"http://{settings.http_host}:{settings.http_port}", workers=workers
    )
    uvicorn.run(
        "prakerja.api.asgi:app_from_environment",
        factory=True,
        host=settings.http_host,
        port=settings.http_port,
        workers=workers,
        log_level="warning",
        # uvicorn's own logging set-up would give its loggers handlers of their own.
        log_config=None,
        access_log=False,
        # Longer than the idle time of clients' and proxies' pooled connections: a
        # server closing a kept-alive connection as a client reuses it resets a request.
        timeout_keep_alive=75,
    )


@main.command()
@_one_line_errors
def up() -> None:
    """Run everything on this machine: the simulators, then the service."""
    import subprocess

    simulators = subprocess.Popen([sys.executable, "-m", "prakerja", "simulators"])
    try:
        serve.main(args=[], standalone_mode=False)
    finally:
        simulators.terminate()
        simulators.wait(10)


@main.command()
@_one_line_errors
def simulators() -> None:
    """Serve the simulated government services (civil registry, education, ...)."""
    from prakerja.simulators.server import run_simulators

    settings = _settings("simulators")
    config = settings.simulators
    structlog.get_logger("prakerja.simulators").info(
        "simulators starting",
        host=config.host,
        ports=config.ports.model_dump(),
        population=config.population_size,
        seed=config.seed,
    )
    run_simulators(config)


@main.command()
@click.option("--processes", default=2, show_default=True)
@click.option("--threads", default=None, type=int, help="per process (face: always 1)")
@click.option("--face", is_flag=True, help="serve the face queue (one thread per process)")
@_one_line_errors
def worker(processes: int, threads: int | None, face: bool) -> None:
    """Run verification workers against the configured broker."""
    from dramatiq.cli import main as dramatiq_main
    from dramatiq.cli import make_argument_parser

    from prakerja.workers.actors import FACE_QUEUE, VERIFICATION_QUEUE

    settings = _settings("worker")
    if settings.broker_url is None:
        raise CliError("set PRAKERJA_BROKER_URL (amqp://… or redis://…) to run workers")
    queue = FACE_QUEUE if face else VERIFICATION_QUEUE
    count = 1 if face else threads or settings.verification.worker_threads
    if settings.metrics.port is not None:
        # Before Dramatiq forks its processes: one port serves all of theirs.
        share_between_processes(settings.data_dir, f"worker-{queue}")
    arguments = [
        "prakerja.workers.entry",
        "--processes",
        str(processes),
        "--threads",
        str(count),
        "--queues",
        queue,
        # Logging is ours (one pipeline, masked): Dramatiq's CLI must not set up its own.
        "--skip-logging",
    ]
    # Dramatiq's own CLI manages the worker processes, from this process.
    parsed = make_argument_parser().parse_args(arguments)  # type: ignore[no-untyped-call]
    sys.exit(dramatiq_main(parsed))  # type: ignore[no-untyped-call]


@main.command()
@click.argument("index", type=int)
def person(index: int) -> None:
    """Print person INDEX of the simulated population (to try the service by hand)."""
    import json

    from prakerja.simulators.population import Population

    config = Settings().simulators
    people = Population(config.seed, config.population_size, rates=config.rates, as_of=config.as_of)
    if not 0 <= index < config.population_size:
        raise CliError(f"the population has people 0 to {config.population_size - 1}")
    who = people.person(index)
    typed = who.as_typed(1)
    click.echo(
        json.dumps(
            {
                "email": who.email,
                "phone": who.phone,
                "nik": typed.nik,
                "kk_number": typed.kk_number,
                "full_name": typed.full_name,
                "birth_date": typed.birth_date.isoformat(),
                "mother_maiden_name": typed.mother_maiden_name,
                "fate": {
                    "mailbox_unreachable": who.mailbox_unreachable,
                    "identity_issue": str(who.identity_issue) if who.identity_issue else None,
                    "education": str(who.education) if who.education else None,
                    "exclusions": sorted(str(x) for x in who.exclusions),
                },
            },
            indent=2,
        )
    )


@main.command()
@_one_line_errors
def dispatcher() -> None:
    """Follow the event log and hand verification work to the broker."""
    import datetime as dt
    import threading

    from prakerja.bootstrap import bootstrap
    from prakerja.projections.follower import LogFollower
    from prakerja.tracing import configure_tracing
    from prakerja.workers.actors import declare_actors
    from prakerja.workers.broker import build_broker
    from prakerja.workers.dispatcher import Dispatcher
    from prakerja.workers.enqueuer import Enqueuer
    from prakerja.workers.housekeeping import delete_expired_photos
    from prakerja.workers.pipeline import build_runner, sender
    from prakerja.workers.table_upkeep import run_upkeep

    settings = _settings("dispatcher")
    if settings.broker_url is None:
        raise CliError("set PRAKERJA_BROKER_URL; without one, `prakerja serve` dispatches")
    configure_tracing(settings, "dispatcher")
    container = bootstrap(settings)
    assert container.pool is not None
    _serve_metrics(settings)
    actors = declare_actors(
        build_broker(settings.broker_url), lambda: build_runner(container), settings.verification
    )
    follower = LogFollower(container.applicants, container.pool, Dispatcher(container.applicants))
    enqueuer = Enqueuer(
        container.pool,
        sender(actors, container.applicants.trace_parents),
        dt.timedelta(seconds=settings.verification.redelivery_s),
    )
    stop = threading.Event()
    threading.Thread(target=enqueuer.run, args=(stop,), daemon=True, name="enqueuer").start()
    threading.Thread(
        target=delete_expired_photos,
        args=(container.photos, stop),
        daemon=True,
        name="housekeeping",
    ).start()
    conninfo = container.pool.conninfo
    assert isinstance(conninfo, str)
    threading.Thread(
        target=run_upkeep, args=(conninfo, stop), daemon=True, name="table-upkeep"
    ).start()
    try:
        follower.run(stop)
    except KeyboardInterrupt:
        stop.set()


def _serve_metrics(settings: Settings) -> None:
    """A long-running process other than the API serves its metrics on a port, if set."""
    if settings.metrics.port is not None:
        from prakerja.metrics.exposition import serve_on_port

        serve_on_port(settings.metrics.host, settings.metrics.port)


# -- review, access log and abuse limits (issue 7) ---------------------------------------


@main.command()
@click.option("--write", "write_to", type=click.Path(dir_okay=False), help="write it here")
@click.option("--check", "check_against", type=click.Path(dir_okay=False), help="compare")
def endpoints(write_to: str | None, check_against: str | None) -> None:
    """Print the table of every endpoint and who may call it (docs/endpoints.md)."""
    from pathlib import Path

    from prakerja.api.endpoints_doc import render_for_docs

    table = render_for_docs()
    if check_against is not None:
        path = Path(check_against)
        if (path.read_text() if path.exists() else "") != table:
            raise CliError(f"{path} is out of date: run `prakerja endpoints --write {path}`")
        click.echo(f"{path} matches the code")
    elif write_to is not None:
        Path(write_to).write_text(table)
        click.echo(f"wrote {write_to}")
    else:
        click.echo(table, nl=False)


@main.command("review-queue")
@_one_line_errors
def review_queue() -> None:
    """Follow the event log into the review queue (needed with a broker; else `serve` does)."""
    import threading

    from prakerja.application.review_queue import review_queue_follower
    from prakerja.bootstrap import bootstrap

    settings = _settings("follower")
    container = bootstrap(settings)
    if container.pool is None:
        raise CliError("the review queue needs PostgreSQL")
    _serve_metrics(settings)
    stop = threading.Event()
    try:
        review_queue_follower(container.applicants, container.pool).run(stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        container.close()


# -- programme: waves, decrees, training, incentives (issue 6) ---------------------------


@main.group()
def programme() -> None:
    """Waves, decrees (SK) and incentive payments."""


@programme.command("run")
@_one_line_errors
def programme_run() -> None:
    """Run the scheduler, the programme ledger and the payment workers (with a broker)."""
    import threading

    from prakerja.bootstrap import bootstrap
    from prakerja.workers.broker import build_broker
    from prakerja.workers.scheduler import start_programme

    settings = _settings("worker")
    if settings.broker_url is None:
        raise CliError("set PRAKERJA_BROKER_URL; without one, `prakerja serve` runs these")
    container = bootstrap(settings)
    _serve_metrics(settings)
    stop = threading.Event()
    loops = start_programme(
        container, build_broker(settings.broker_url), stop, in_memory_broker=False
    )
    try:
        while not stop.wait(1.0):
            if not all(thread.is_alive() for thread in loops.threads):
                raise CliError("a programme loop stopped; see the log")
    except KeyboardInterrupt:
        stop.set()
    finally:
        for worker in loops.workers:
            worker.stop(timeout=5000)


@programme.command("deliver-sks")
@click.argument("wave", type=int)
@_one_line_errors
def programme_deliver_sks(wave: int) -> None:
    """Tell WAVE's candidates the decree's outcome now (resumable; the scheduler does it too)."""
    from prakerja.bootstrap import bootstrap
    from prakerja.workers.scheduler import programme_of

    progress = programme_of(bootstrap(_settings())).deliver_sks(wave)
    click.echo(" ".join(f"{name}={count}" for name, count in progress.counts.items()))


@programme.command("verify-draw")
@click.argument("wave", type=int)
@_one_line_errors
def programme_verify_draw(wave: int) -> None:
    """Re-run WAVE's draw from its recorded inputs; exit 1 unless it gives the same list."""
    from prakerja.bootstrap import bootstrap
    from prakerja.workers.scheduler import programme_of

    checked = programme_of(bootstrap(_settings())).verify_draw(wave)
    recorded = checked.recorded
    click.echo(
        f"wave {wave}: {recorded['algorithm']} seed {recorded['seed']}\n"
        f"candidates {checked.recomputed.candidates} sha256 {checked.recomputed.candidates_sha256}"
        f" (recorded {recorded['candidates_sha256']})\n"
        f"selected {len(checked.recomputed.selected)} sha256 {checked.recomputed.selected_sha256}"
        f" (recorded {recorded['selected_sha256']})"
    )
    if not checked.matches:
        raise CliError("the re-run draw differs from the recorded one")


@programme.command("reconcile")
@click.option("--wave", type=int, default=None, help="one wave (default: all)")
@_one_line_errors
def programme_reconcile(wave: int | None) -> None:
    """Compare owed, recorded-paid and the provider's statement; exit 1 on any difference."""
    from prakerja.bootstrap import bootstrap
    from prakerja.workers.payments import reconcile
    from prakerja.workers.scheduler import programme_of, provider_of

    container = bootstrap(_settings())
    checked = reconcile(
        programme_of(container), provider_of(container), None if wave is None else [wave]
    )
    click.echo(
        f"participants {checked.participants}: owed Rp{checked.owed:,}, recorded paid"
        f" Rp{checked.recorded_paid:,}, provider Rp{checked.provider_paid:,}"
    )
    for difference in checked.differences:
        click.echo(f"{difference.issue}: {difference.idempotency_key}")
    if checked.differences:
        raise CliError(f"{len(checked.differences)} differences")


@main.group()
def projections() -> None:
    """Read models: status, running them, zero-downtime rebuilds, rule-change previews."""


@projections.command("status")
@_one_line_errors
def projections_status() -> None:
    """Every follower of the log: position, lag in events and seconds, last error."""
    from rich.console import Console
    from rich.table import Table

    from prakerja.bootstrap import bootstrap
    from prakerja.eventstore.horizon import horizon
    from prakerja.projections.status import statuses
    from prakerja.workers.dispatcher import APPLICANT_TOPICS

    container = bootstrap(_settings())
    assert container.pool is not None
    with container.pool.connection() as conn:
        rows = statuses(conn, container.applicants, {"dispatcher": APPLICANT_TOPICS})
        held = horizon(conn)
    table = Table("follower", "state", "position", "lag (events)", "lag (s)", "updated", "error")
    for row in rows:
        name = row.name if row.live else f"{row.name} (building)"
        error = f"at event {row.failed_event}: {row.last_error}" if row.last_error else ""
        lag_s = "" if row.lag_seconds is None else f"{row.lag_seconds:,.1f}"
        updated = f"{row.updated_at:%Y-%m-%d %H:%M:%S}"
        table.add_row(
            name, row.state, str(row.position), f"{row.lag_events:,}", lag_s, updated, error
        )
    Console().print(table)
    oldest = "no open transaction holds it"
    if held.oldest_age_s is not None:
        oldest = (
            f"the oldest open transaction ({held.oldest_state}) is {held.oldest_age_s:,.1f} s old"
        )
    click.echo(
        f"horizon: transaction {held.transaction_id}; {oldest};"
        f" {held.events_behind_text} committed events wait for it"
    )
    container.close()
    if any(row.last_error for row in rows):
        sys.exit(2)


@projections.command("run")
@_one_line_errors
def projections_run() -> None:
    """Keep every read model current, as its own process (with a broker; else `serve` does)."""
    import signal
    import threading

    from prakerja.bootstrap import bootstrap
    from prakerja.projections.runner import run_read_models

    settings = _settings("follower")
    container = bootstrap(settings)
    _serve_metrics(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = run_read_models(container, stop)
    try:
        while not stop.wait(1.0):
            if not any(thread.is_alive() for thread in threads):
                raise CliError("every read model stopped; see `prakerja projections status`")
    except KeyboardInterrupt:
        stop.set()
    finally:
        for thread in threads:
            thread.join(10)
        container.close()


@projections.command("rebuild")
@click.argument("name")
@click.option("--workers", type=int, help="processes folding the log (default: settings)")
@_one_line_errors
def projections_rebuild(name: str, workers: int | None) -> None:
    """Build read model NAME again from the whole log beside the live one, then switch."""
    import time

    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from prakerja.bootstrap import bootstrap
    from prakerja.eventstore.position import Position
    from prakerja.projections.catalogue import UnknownReadModel, read_model
    from prakerja.projections.follower import EventFailed
    from prakerja.projections.live import event_table
    from prakerja.projections.rebuild import Rebuild, RebuildRunning

    try:
        model = read_model(name)
    except UnknownReadModel as error:
        raise CliError(str(error)) from None
    container = bootstrap(_settings())
    assert container.pool is not None
    assert container.database is not None
    settings = container.settings.projections
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[events]:>12,} events  {task.fields[rate]:>9,.0f} events/s"),
        TimeRemainingColumn(),
    )
    started = time.monotonic()
    with Progress(*columns) as progress:
        task = progress.add_task(f"{name}: load", total=None, events=0, rate=0.0)

        def report(phase: str, events: int, position: Position, newest: int) -> None:
            rate = events / max(time.monotonic() - started, 1e-6)
            progress.update(
                task,
                description=f"{name}: {phase}",
                completed=position.notification_id,
                total=max(newest, 1),
                events=events,
                rate=rate,
            )

        rebuild = Rebuild(
            model,
            container.database.conninfo,
            container.pool,
            event_table(container.applicants, container.pool, model),
            page_size=settings.rebuild_page_size,
            max_held=settings.rebuild_max_held,
            lock_timeout_s=settings.switch_lock_timeout_s,
            progress=report,
            settings=container.settings,
            workers=workers or settings.rebuild_workers,
        )
        try:
            done = rebuild.run()
        except (RebuildRunning, EventFailed) as error:
            raise CliError(f"{name} not rebuilt: {error}") from None
    phases = ", ".join(f"{phase} {seconds:.1f}s" for phase, seconds in done.phases.items())
    click.echo(
        f"{name} v{done.version} is live (replaced v{done.replaced}): {done.events:,} events"
        f" to position {done.position} in {done.seconds:.1f}s"
        f" ({done.events / max(done.seconds, 1e-6):,.0f} events/s; {phases})"
    )
    container.close()


@projections.command("preview")
@click.option("--face-accept", type=float, help="new accept_max_distance")
@click.option("--face-review", type=float, help="new review_max_distance")
@click.option("--minimum-age", type=int, help="new minimum age in years")
@click.option("--remove-list", multiple=True, help="an exclusion list that stops excluding")
@click.option("--add-list", multiple=True, help="an exclusion list that starts excluding")
@click.option("--from-log", is_flag=True, help="read evidence from the event log, not the model")
@click.option("--limit", default=20, show_default=True, help="changes to list")
@_one_line_errors
def projections_preview(
    face_accept: float | None,
    face_review: float | None,
    minimum_age: int | None,
    remove_list: tuple[str, ...],
    add_list: tuple[str, ...],
    from_log: bool,
    limit: int,
) -> None:
    """Whose outcome a changed rule would change, and how; nothing is re-run or written."""
    from rich.console import Console
    from rich.table import Table

    from prakerja.bootstrap import bootstrap
    from prakerja.domain.errors import InvalidInput
    from prakerja.projections.catalogue import read_model
    from prakerja.projections.live import event_table
    from prakerja.projections.preview import (
        PolicyChange,
        evidence_from_log,
        evidence_from_read_model,
        preview,
    )

    try:
        policy = PolicyChange(
            face_accept, face_review, minimum_age, frozenset(remove_list), frozenset(add_list)
        )
    except InvalidInput as error:
        raise CliError(error.detail) from None
    if not policy.stages:
        raise CliError("give a changed rule: --face-accept, --minimum-age, --remove-list, ...")
    container = bootstrap(_settings())
    assert container.pool is not None
    if from_log:
        source = event_table(container.applicants, container.pool, read_model("decisions"))
        result = preview(policy, evidence_from_log(source, container.pool))
    else:
        with container.pool.connection() as conn:
            result = preview(policy, evidence_from_read_model(conn, policy.stages))
    console = Console()
    evaluated = ", ".join(f"{stage} {count:,}" for stage, count in result.evaluated.items())
    console.print(f"decisions re-decided: {evaluated or 'none'}; changed: {len(result.changes):,}")
    counts = Table("stage", "before", "after", "reason", "applicants")
    for stage, before, after, reason, count in result.counts():
        counts.add_row(stage, before, after, reason, f"{count:,}")
    console.print(counts)
    changes = Table("applicant", "stage", "before", "after", "measured", "threshold before → after")
    for change in result.changes[:limit]:
        changes.add_row(
            str(change.applicant_id),
            change.stage,
            change.before,
            change.after,
            str(change.measured),
            f"{change.threshold_before} → {change.threshold_after}",
        )
    console.print(changes)
    if result.unevaluated_lists:
        lists = ", ".join(sorted(result.unevaluated_lists))
        console.print(f"not in any recorded evidence (the registry would be asked): {lists}")
    container.close()


# -- simulation (issue 8); benchmarks: `python -m bench` ---------------------------------


@main.command()
@click.option("--applicants", type=click.IntRange(1, 10_000_000), required=True)
@click.option("--seed", default=2020, show_default=True, help="population and draw seed")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="where to write funnel.json, funnel.csv, provinces.csv, funnel.svg"
    " [default: var/simulate/<applicants>-<seed>-<time>]",
)
@click.option("--concurrency", default=600, show_default=True, help="journeys at once")
@click.option("--api-processes", default=2, show_default=True)
@click.option("--worker-processes", default=1, show_default=True, help="verification workers")
@click.option("--worker-threads", default=12, show_default=True)
@click.option(
    "--face",
    type=click.Choice(["simulated", "dlib"]),
    default="simulated",
    show_default=True,
    help="dlib: real face recognition (needs --photos-dir; slow)",
)
@click.option("--photos-dir", type=click.Path(exists=True, file_okay=False), default=None)
@click.option(
    "--corrections/--no-corrections",
    default=False,
    show_default=True,
    help="let applicants correct a typo and re-upload a selfie (this system's rules);"
    " without, 2020's rules, and the funnel must land on wave 1 as published",
)
@click.option(
    "--database-url",
    default=None,
    help="PostgreSQL server to create the scratch database on"
    " [default: PRAKERJA_DATABASE_URL, else the embedded server]",
)
@click.option("--broker-url", default=None, help="[default: a private redis-server]")
@click.option("--keep-database", is_flag=True, help="keep the scratch database afterwards")
@_one_line_errors
def simulate(
    applicants: int,
    seed: int,
    out: str | None,
    concurrency: int,
    api_processes: int,
    worker_processes: int,
    worker_threads: int,
    face: str,
    photos_dir: str | None,
    corrections: bool,
    database_url: str | None,
    broker_url: str | None,
    keep_database: bool,
) -> None:
    """Drive a synthetic wave through the whole service and report its funnel."""
    import datetime as dt
    from pathlib import Path

    from rich.console import Console

    from prakerja.db.server import resolve_database
    from prakerja.simulation.console import print_report, progress_display
    from prakerja.simulation.database import url_of
    from prakerja.simulation.simulate import SimulationConfig
    from prakerja.simulation.simulate import simulate as run_simulation
    from prakerja.simulation.stack import StackOptions

    if face == "dlib" and photos_dir is None:
        raise CliError("--face dlib needs --photos-dir (registry photos with one face each)")
    settings = _settings()
    server = database_url or url_of(resolve_database(settings))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    config = SimulationConfig(
        applicants=applicants,
        out=Path(out) if out else settings.data_dir / "simulate" / f"{applicants}-{seed}-{stamp}",
        server_url=server,
        seed=seed,
        concurrency=concurrency,
        corrections=corrections,
        broker_url=broker_url,
        keep_database=keep_database,
        stack=StackOptions(
            api_processes=api_processes,
            verification_processes=worker_processes,
            verification_threads=worker_threads,
            face="dlib" if face == "dlib" else "simulated",
            photos_dir=Path(photos_dir) if photos_dir else None,
        ),
    )
    console = Console(stderr=True)
    with progress_display(console, applicants) as display:
        result = run_simulation(config, display)
    print_report(console, result.report)
    for path in result.files:
        click.echo(str(path))
    if not result.within_tolerance:
        raise CliError("the funnel is more than 2 percentage points off the calibration")


@main.group()
def staff() -> None:
    """Staff accounts."""


@staff.command("hash-password")
@click.password_option()
def hash_password(password: str) -> None:
    """Print the hash to put in PRAKERJA_STAFF for an account."""
    from prakerja.security.passwords import Passwords

    click.echo(Passwords(Settings().password_hashing).hash(password))


@staff.command("dev-token")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["reviewer", "auditor", "ops", "finance"]),
    help="the staff role the token carries",
)
@click.option("--name", default=None, help="who the token names (default: dev-ROLE)")
@_one_line_errors
def dev_token(role: str, name: str | None) -> None:
    """Print a staff bearer token, to try the staff endpoints in development.

    It is signed with the service's own token secret (the data folder's, or
    PRAKERJA_TOKEN_SECRET), so a service started with the same settings accepts it.
    Production refuses: staff there sign in with a configured account.
    """
    import datetime as dt

    from prakerja.api.auth import Role, TokenIssuer, build_jwt_auth
    from prakerja.security.keys import load_keys
    from prakerja.settings import Mode

    settings = Settings()
    if settings.mode is Mode.PRODUCTION:
        raise CliError(
            "dev-token is refused in production: staff sign in with an account"
            " configured in PRAKERJA_STAFF"
        )
    keys = load_keys(settings)
    ttl = dt.timedelta(minutes=settings.token_ttl_minutes)
    issuer = TokenIssuer(build_jwt_auth(keys.token_secret, ttl))
    click.echo(issuer.issue(name or f"dev-{role}", Role(role)))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
