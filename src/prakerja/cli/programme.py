"""``prakerja programme``: waves, decrees (SK), training and incentive payments."""

from __future__ import annotations

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
def programme() -> None:
    """Waves, decrees (SK) and incentive payments."""


@programme.command("run")
@one_line_errors
def programme_run() -> None:
    """Run the scheduler, the programme ledger and the payment workers (with a broker)."""
    from prakerja.bootstrap import bootstrap
    from prakerja.workers.loops import Part, supervise

    settings = settings_for("worker")
    if settings.broker_url is None:
        raise CliError("set PRAKERJA_BROKER_URL; without one, `prakerja serve` runs these")
    container = bootstrap(settings)
    serve_metrics(settings)
    supervisor = supervise(container, {Part.PROGRAMME}, broker_url=settings.broker_url)
    run_supervised(
        container, supervisor, give_up_when="any", failure="a programme loop stopped; see the log"
    )


@programme.command("deliver-sks")
@click.argument("wave", type=int)
@one_line_errors
def programme_deliver_sks(wave: int) -> None:
    """Tell WAVE's candidates the decree's outcome now (resumable; the scheduler does it too)."""
    from prakerja.bootstrap import bootstrap

    progress = bootstrap(settings_for()).programme.deliver_sks(wave)
    click.echo(" ".join(f"{name}={count}" for name, count in progress.counts.items()))


@programme.command("verify-draw")
@click.argument("wave", type=int)
@one_line_errors
def programme_verify_draw(wave: int) -> None:
    """Re-run WAVE's draw from its recorded inputs; exit 1 unless it gives the same list."""
    from prakerja.bootstrap import bootstrap

    checked = bootstrap(settings_for()).programme.verify_draw(wave)
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
@one_line_errors
def programme_reconcile(wave: int | None) -> None:
    """Compare owed, recorded-paid and the provider's statement; exit 1 on any difference."""
    from prakerja.bootstrap import bootstrap
    from prakerja.workers.payments import reconcile

    container = bootstrap(settings_for())
    checked = reconcile(
        container.programme, container.payment_provider, None if wave is None else [wave]
    )
    click.echo(
        f"participants {checked.participants}: owed Rp{checked.owed:,}, recorded paid"
        f" Rp{checked.recorded_paid:,}, provider Rp{checked.provider_paid:,}"
    )
    for difference in checked.differences:
        click.echo(f"{difference.issue}: {difference.idempotency_key}")
    if checked.differences:
        raise CliError(f"{len(checked.differences)} differences")
