"""Progress off a terminal: plain lines a log file or CI can show."""

from __future__ import annotations

import io

from rich.console import Console

from prakerja.simulation.console import progress_display
from prakerja.simulation.simulate import RunState


def test_off_a_terminal_progress_is_printed_as_plain_lines() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    with progress_display(console, 1_000) as display:
        state = RunState(phase="driving")
        display(state, None)
        state.done, state.reached = 250, {"email_verified": 190, "joined_wave": 90}
        display.LINE_EVERY_S = 0.0
        display(state, None)
    lines = [line for line in out.getvalue().splitlines() if "driving:" in line]
    first = "driving: 0/1,000 (0.0/s) · email ok 0 · phone ok 0 · joined 0 · errors 0"
    assert lines[0].endswith(first)
    assert "driving: 250/1,000" in lines[1] and "email ok 190" in lines[1]
    assert "joined 90" in lines[1]
