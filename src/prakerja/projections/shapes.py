"""The parts of nested payload values that read models read (see ``decoding``).

Decisions carry rich evidence (a face check's findings, timings and thresholds; the
registry's field matches) and reasons with messages in two languages. Read models need
a few keys of them; declaring those keys lets the decoder skip the rest.
"""

from __future__ import annotations

from typing import Any, TypedDict


class ReasonCode(TypedDict, total=False):
    """A decision's reason, as read models use it: its code only."""

    code: Any


class Thresholds(TypedDict, total=False):
    accept_max_distance: Any
    review_max_distance: Any


class PolicyEvidence(TypedDict, total=False):
    """The evidence values a policy compares (what a rule-change preview re-decides)."""

    distance: Any
    thresholds: Thresholds
    age_years: Any
    minimum_age: Any
    lists: Any
    family_card_has_room: Any


REASON_CODES = list[ReasonCode]
