"""Commands to try and check the service: a simulated person, the endpoints table, the
simulation of a wave, staff passwords and development tokens."""

from __future__ import annotations

import click

from prakerja.cli.common import (
    CliError,
    main,
    one_line_errors,
    settings_for,
)
from prakerja.settings import Settings


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
@click.option("--write", "write_to", type=click.Path(dir_okay=False), help="write it here")
@click.option("--check", "check_against", type=click.Path(dir_okay=False), help="compare")
def endpoints(write_to: str | None, check_against: str | None) -> None:
    """Print the table of every endpoint and who may call it (docs/endpoints.md)."""
    from pathlib import Path

    from prakerja.cli.endpoints_table import render_for_docs

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
@one_line_errors
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
    settings = settings_for()
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
@one_line_errors
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
