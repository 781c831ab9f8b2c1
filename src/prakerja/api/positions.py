"""The ``?after=`` parameter of read-your-writes: a log position a client got back.

Commands answer with the pair ``<transaction id>.<notification id>`` of their write. A
bare notification id (what they answered before positions were pairs, and the
``position`` of a rejection event) is still understood: its pair is looked up by id.
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

from prakerja.api.problems import ProblemError
from prakerja.application.applicants import Applicants
from prakerja.eventstore.position import TOKEN_PATTERN, Position
from prakerja.eventstore.recorder import position_from_token

After = Annotated[
    str | None,
    QueryParameter(
        pattern=TOKEN_PATTERN,
        max_length=41,
        description="wait until this log position (a command's `position`) has been read",
    ),
]


def wanted(applicants: Applicants, after: str) -> Position:
    """The position ``after`` names, or a 400 problem if no event has that id."""
    found = position_from_token(applicants.recorder, after)
    if found is None:
        raise ProblemError(400, "unknown_position", f"No event of the log has the id {after}.")
    return found
