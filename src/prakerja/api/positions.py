"""The ``?after=`` parameter of read-your-writes: a log position a client got back.

Commands answer with the pair ``<transaction id>.<notification id>`` of their write. A
bare notification id (what they answered before positions were pairs, and the
``position`` of a rejection event) is still understood: its pair is looked up by id, and
``0`` is the start. A position no write returned (an id no event has, a transaction id
not given out yet) is a 400 ``position_not_in_log``.
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
    """The position ``after`` names, or a 400 problem if no write returned it: no read
    model would ever reach it, so it is refused rather than waited for."""
    found = position_from_token(applicants.recorder, after)
    if found is None:
        newest = applicants.recorder.max_notification_id() or 0
        raise ProblemError(
            400,
            "position_not_in_log",
            f"No write returned the position {after}; the log's last event id is {newest}.",
            log_head=newest,
        )
    return found
