"""Text a request carries: bounded, and without NUL or control characters.

PostgreSQL refuses NUL in text, so a NUL in a report filter failed the query, and a NUL
in a decree number would be recorded, then stop every read model that copies it. Control
characters have no place in names, numbers or filters either (they forge log lines and
terminal output). So they are refused at validation, as a 400 problem, by one pattern:

- :data:`Line`, one line of text (bodies); :data:`Prose`, which may also hold tabs and
  line breaks (justifications, statements, survey answers);
- :data:`QueryText` and :data:`PathText` (or :func:`query_text` and :func:`path_text`
  for another length), one line in a query or path parameter.

Parameters are validated by msgspec with Python's ``re``, whose ``$`` also matches just
before a final newline, hence the lookahead of :func:`for_parameters`; bodies are
validated by pydantic's Rust engine, which has no lookahead and needs none.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar.params import PathParameter, QueryParameter
from pydantic import StringConstraints

_CONTROL = r"\x00-\x1f\x7f-\x9f"
"""C0 controls (NUL among them), DEL and C1 controls."""
_CONTROL_BUT_LAYOUT = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
"""The same but tab, line feed and carriage return."""

LINE_PATTERN = rf"^[^{_CONTROL}]*$"
PROSE_PATTERN = rf"^[^{_CONTROL_BUT_LAYOUT}]*$"


def for_parameters(pattern: str) -> str:
    """``pattern`` (anchored with ``$``) as a parameter's: no final newline slips past."""
    return pattern + r"(?!\n)"


PARAMETER_PATTERN = for_parameters(LINE_PATTERN)

# StringConstraints rather than Field: Litestar's OpenAPI document shows only those.
Line = Annotated[str, StringConstraints(pattern=LINE_PATTERN)]
Prose = Annotated[str, StringConstraints(pattern=PROSE_PATTERN)]


def lines_documented(max_length: int) -> dict[str, Any]:
    """``json_schema_extra`` of a list of lines (``list[Annotated[str, StringConstraints(
    pattern=LINE_PATTERN, max_length=...)]]``): Litestar's document keeps an item's length
    but drops its pattern."""
    return {"items": {"type": "string", "maxLength": max_length, "pattern": LINE_PATTERN}}


def query_text(max_length: int = 200, **extra: Any) -> Any:
    """A text query parameter: ``Annotated[str | None, query_text()]``."""
    return QueryParameter(pattern=PARAMETER_PATTERN, max_length=max_length, **extra)


def path_text(max_length: int = 100, **extra: Any) -> Any:
    """A text path parameter: ``Annotated[str, path_text()]``."""
    return PathParameter(pattern=PARAMETER_PATTERN, max_length=max_length, **extra)


QueryText = Annotated[str | None, query_text()]
PathText = Annotated[str, path_text()]
