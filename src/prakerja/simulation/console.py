"""What ``prakerja simulate`` shows: a progress bar while it runs, the funnel at the end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from prakerja.domain.nik import PROVINCES
from prakerja.simulation.journeys import Outcome
from prakerja.simulation.simulate import RunState


class _Display:
    """A live bar on a terminal; elsewhere (a log file, CI) a plain line every
    ``LINE_EVERY_S`` seconds and at each change of phase."""

    LINE_EVERY_S = 30.0

    def __init__(self, progress: Progress, task: TaskID, applicants: int) -> None:
        self.progress = progress
        self.task = task
        self.applicants = applicants
        self.plain = not progress.console.is_terminal
        self._started = time.monotonic()
        self._last_line = self._started
        self._last_phase = ""

    def __call__(self, state: RunState, outcome: Outcome | None) -> None:
        reached = state.reached
        counts = (
            f"email ok {reached.get('email_verified', 0):,} · phone ok "
            f"{reached.get('phone_verified', 0):,} · joined {reached.get('joined_wave', 0):,}"
            f" · errors {state.errors:,}"
        )
        self.progress.update(
            self.task, completed=state.done, phase=state.phase, counts=counts, refresh=False
        )
        now = time.monotonic()
        if self.plain and (
            now - self._last_line >= self.LINE_EVERY_S or state.phase != self._last_phase
        ):
            self._last_line, self._last_phase = now, state.phase
            elapsed = now - self._started
            rate = state.done / elapsed if elapsed > 0 else 0.0
            self.progress.console.print(
                f"{elapsed:6.0f} s  {state.phase}: {state.done:,}/{self.applicants:,}"
                f" ({rate:.1f}/s) · {counts}",
                highlight=False,
            )


@contextmanager
def progress_display(console: Console, applicants: int) -> Iterator[_Display]:
    progress = Progress(
        TextColumn("[bold]{task.fields[phase]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        refresh_per_second=4,
    )
    with progress:
        task = progress.add_task("simulate", total=applicants, phase="starting", counts="")
        yield _Display(progress, task, applicants)


def print_report(console: Console, report: dict[str, Any]) -> None:
    stages = Table(title="Funnel (share of registrations)")
    for column in (
        "stage",
        "applicants",
        "expected",
        "measured",
        "calibrated",
        "2020",
        "diff (pp)",
        "ok",
    ):
        stages.add_column(column, justify="left" if column == "stage" else "right")
    for row in report["comparison"]:
        stages.add_row(
            row["stage"],
            f"{row['measured']:,}",
            ""
            if row["expected_from_population"] is None
            else f"{row['expected_from_population']:,.0f}",
            f"{100 * row['measured_share']:.2f}%",
            f"{100 * row['calibrated_share']:.2f}%",
            f"{100 * row['published_2020_share']:.2f}%",
            f"{row['difference_pp']:+.2f}",
            "yes" if row["within_2pp"] else "NO",
        )
    console.print(stages)
    provinces = Table(title="Per province")
    columns = ("registered", "email_verified", "nik_valid", "verified", "joined", "selected")
    provinces.add_column("province")
    for column in columns:
        provinces.add_column(column, justify="right")
    for code, counts in report["provinces"].items():
        provinces.add_row(f"{code} {PROVINCES.get(code, '')}", *(f"{counts[c]:,}" for c in columns))
    console.print(provinces)
    cpu = Table(title="CPU time per applicant (ms)")
    cpu.add_column("part")
    cpu.add_column("ms", justify="right")
    for part, ms in report.get("cpu_ms_per_applicant", {}).items():
        cpu.add_row(part, f"{ms:,.1f}")
    console.print(cpu)
    console.print(
        f"{report['applicants']:,} applicants in {report['seconds']:,.0f} s"
        f" ({report['applicants_per_second']} applicants/s, {report['requests']:,} requests);"
        f" errors: {report['errors']['count']}; load average at start"
        f" {report['load_average_at_start']}"
    )
