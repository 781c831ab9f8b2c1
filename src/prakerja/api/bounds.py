"""Bounds of every number a request carries.

Unbounded, a 13-digit number passes validation and fails later: as an ``OverflowError``
in a ``timedelta``, as PostgreSQL's "out of range for type integer", or as a value no
read model can hold. Each kind of number gets its range here, once, and the OpenAPI
document shows it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from litestar.exceptions import ValidationException
from litestar.params import PathParameter, QueryParameter
from pydantic import Field

MAX_WAVE = 10_000
MAX_PEOPLE = 100_000_000
"""More than Indonesia's working-age population: any quota, count or slot number."""
MAX_VERSION = 2**31 - 1
MAX_OFFSET = 100_000
MAX_AGE_MINUTES = 10 * 366 * 24 * 60
"""Ten years: older than anything the service has waited on."""
MAX_RUPIAH = 1_000_000_000
"""A billion rupiah: a thousand times the training balance."""
MAX_ANSWER = 1_000_000
"""A number given as a survey answer (a rating, a wage in thousands, a count)."""
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
"""The days a report may name (9999-12-31 and the day after it would be a 500)."""

# Litestar's OpenAPI document drops a bound of 0 from an optional parameter, and the
# bounds of a mapping's values from a body: ``schema_extra`` (``json_schema_extra`` in
# pydantic) writes them in. Validation never depended on the document.
FROM_ZERO: dict[str, Any] = {"minimum": 0}


def values_within(low: int, high: int, keys: dict[str, Any] | None = None) -> dict[str, Any]:
    """The document of a mapping whose values are integers from ``low`` to ``high``
    (and whose keys are as ``keys`` says)."""
    return {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": low, "maximum": high},
        **({"propertyNames": keys} if keys else {}),
    }


WavePath = Annotated[int, PathParameter(ge=1, le=MAX_WAVE)]
WaveQuery = Annotated[int | None, QueryParameter(ge=1, le=MAX_WAVE)]
WaveField = Annotated[int, Field(ge=1, le=MAX_WAVE)]
People = Annotated[int, Field(ge=0, le=MAX_PEOPLE)]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)]
AgeMinutes = Annotated[int | None, QueryParameter(ge=0, le=MAX_AGE_MINUTES, schema_extra=FROM_ZERO)]


@dataclass(frozen=True)
class Days:
    """The days a report covers, both ends included; None: unbounded on that side."""

    first: dt.date | None
    last: dt.date | None


_DAY = f"a day from {FIRST_DAY} to {LAST_DAY}"


def report_days(
    day_from: Annotated[dt.date | None, QueryParameter(description=_DAY)] = None,
    day_to: Annotated[dt.date | None, QueryParameter(description=_DAY)] = None,
) -> Days:
    """A dependency: ``day_from`` and ``day_to``, refused (400) outside the calendar
    (msgspec, which validates parameters, bounds numbers but not dates)."""
    errors = [
        {"key": key, "message": f"Expected {_DAY}"}
        for key, day in (("day_from", day_from), ("day_to", day_to))
        if day is not None and not FIRST_DAY <= day <= LAST_DAY
    ]
    if errors:
        raise ValidationException(
            f"A report's days run from {FIRST_DAY} to {LAST_DAY}.", extra=errors
        )
    return Days(day_from, day_to)
