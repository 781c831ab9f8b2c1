"""``prakerja projections``: the read models' status, running them, rebuilds, previews."""

from __future__ import annotations

import sys

import click

from prakerja.cli.common import (
    CliError,
    main,
    one_line_errors,
    run_supervised,
    serve_metrics,
    settings_for,
)


@main.group()
def projections() -> None:
    """Read models: status, running them, zero-downtime rebuilds, rule-change previews."""


@projections.command("status")
@one_line_errors
def projections_status() -> None:
    """Every follower of the log: position, lag in events and seconds, last error."""
    from rich.console import Console
    from rich.table import Table

    from prakerja.bootstrap import bootstrap
    from prakerja.eventstore.horizon import horizon
    from prakerja.projections.follower_status import statuses
    from prakerja.workers.dispatcher import APPLICANT_TOPICS

    container = bootstrap(settings_for())
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
@one_line_errors
def projections_run() -> None:
    """Keep every read model current, as its own process (with a broker; else `serve` does)."""
    from prakerja.bootstrap import bootstrap
    from prakerja.workers.loops import Part, supervise

    settings = settings_for("follower")
    container = bootstrap(settings)
    serve_metrics(settings)
    supervisor = supervise(container, {Part.READ_MODELS}, broker_url=settings.broker_url)
    run_supervised(
        container,
        supervisor,
        give_up_when="all",
        failure="every read model stopped; see `prakerja projections status`",
    )


@projections.command("rebuild")
@click.argument("name")
@click.option("--workers", type=int, help="processes folding the log (default: settings)")
@one_line_errors
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
    container = bootstrap(settings_for())
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
            folding=container.folding,
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
@one_line_errors
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
    container = bootstrap(settings_for())
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
