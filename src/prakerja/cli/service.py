"""The commands that run the service: migrations, the API, the workers and the followers."""

from __future__ import annotations

import sys

import click
import structlog

from prakerja.cli.common import (
    CliError,
    main,
    one_line_errors,
    run_supervised,
    serve_metrics,
    settings_for,
)
from prakerja.metrics.multiprocess import share_between_processes


@main.command()
@one_line_errors
def migrate() -> None:
    """Bring the database schema up to date (starts the embedded server if none is set)."""
    from prakerja.db.migrations import upgrade
    from prakerja.db.server import resolve_database

    settings = settings_for()
    address = resolve_database(settings)
    status = upgrade(address)
    click.echo(f"schema at {status.describe()} on {address.display}")


@main.command()
@click.option("--workers", default=1, show_default=True, help="API processes")
@one_line_errors
def serve(workers: int) -> None:
    """Run the HTTP API (and, with no broker configured, the workers in-process)."""
    import uvicorn

    from prakerja.bootstrap import bootstrap

    settings = settings_for("api")
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
        "prakerja.entrypoints.asgi:app_from_environment",
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
@one_line_errors
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
@one_line_errors
def simulators() -> None:
    """Serve the simulated government services (civil registry, education, ...)."""
    from prakerja.simulators.server import run_simulators

    settings = settings_for("simulators")
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
@one_line_errors
def worker(processes: int, threads: int | None, face: bool) -> None:
    """Run verification workers against the configured broker."""
    from dramatiq.cli import main as dramatiq_main
    from dramatiq.cli import make_argument_parser

    from prakerja.workers.actors import FACE_QUEUE, VERIFICATION_QUEUE

    settings = settings_for("worker")
    if settings.broker_url is None:
        raise CliError("set PRAKERJA_BROKER_URL (amqp://… or redis://…) to run workers")
    queue = FACE_QUEUE if face else VERIFICATION_QUEUE
    count = 1 if face else threads or settings.verification.worker_threads
    if settings.metrics.port is not None:
        # Before Dramatiq forks its processes: one port serves all of theirs.
        share_between_processes(settings.data_dir, f"worker-{queue}")
    arguments = [
        "prakerja.entrypoints.worker",
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
@one_line_errors
def dispatcher() -> None:
    """Follow the event log and hand verification work to the broker."""
    from prakerja.bootstrap import bootstrap
    from prakerja.tracing import configure_tracing
    from prakerja.workers.loops import DISPATCHER, supervise

    settings = settings_for("dispatcher")
    if settings.broker_url is None:
        raise CliError("set PRAKERJA_BROKER_URL; without one, `prakerja serve` dispatches")
    configure_tracing(settings, "dispatcher")
    container = bootstrap(settings)
    serve_metrics(settings)
    supervisor = supervise(container, DISPATCHER, broker_url=settings.broker_url)
    run_supervised(
        container, supervisor, give_up_when="any", failure="the dispatcher stopped; see the log"
    )


@main.command("review-queue")
@one_line_errors
def review_queue() -> None:
    """Follow the event log into the review queue (needed with a broker; else `serve` does)."""
    from prakerja.bootstrap import bootstrap
    from prakerja.workers.loops import Part, supervise

    settings = settings_for("follower")
    container = bootstrap(settings)
    if container.pool is None:
        raise CliError("the review queue needs PostgreSQL")
    serve_metrics(settings)
    supervisor = supervise(container, {Part.REVIEW_QUEUE}, broker_url=settings.broker_url)
    run_supervised(
        container, supervisor, give_up_when="any", failure="the review queue stopped; see the log"
    )
