"""Decisions: a verifier's verdict, and the decision an event records.

:class:`Decision` is what a verifier hands the aggregate (rules as :class:`Rule`
values, reasons as :class:`Reason` values). :class:`RecordedDecision` is the same shape
read back from a recorded event: outcome, reasons, rules with their versions, evidence
and who decided. Decision events keep storing their historical fields (``reasons``,
``rules``, ``evidence``; ``reason`` and ``rule`` on a revocation; the reviewer and the
justification on an override) and build the value on demand as ``event.decision``.
That way events in existing stores load unchanged, no upcaster is needed, and the
stored JSON and the API's documents (which show those fields) stay as they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from prakerja.domain.rules import Rule


@dataclass(frozen=True)
class Reason:
    """Why a check failed: a stable code, and where measurable the value and its limit."""

    code: str
    measured: float | str | None = None
    threshold: float | str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> Reason:
        return cls(str(stored["code"]), stored.get("measured"), stored.get("threshold"))


@dataclass(frozen=True)
class Decision:
    """A verifier's verdict: passed or not, why, under which rules, on what evidence."""

    passed: bool
    rules: tuple[Rule, ...]
    evidence: dict[str, Any]
    reasons: tuple[Reason, ...] = ()
    decided_by: str = "automation"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rule_refs(self) -> list[str]:
        return [rule.ref for rule in self.rules]

    @property
    def reason_dicts(self) -> list[dict[str, Any]]:
        return [reason.as_dict() for reason in self.reasons]


@dataclass(frozen=True)
class RecordedDecision:
    """A decision as an event recorded it: outcome, reasons, versioned rules, evidence."""

    outcome: str
    """``passed``, ``failed``, ``in_review`` (a flag for a person) or ``revoked``."""
    rules: tuple[Rule, ...]
    evidence: dict[str, Any]
    reasons: tuple[Reason, ...] = ()
    decided_by: str = "automation"

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    @property
    def rule_refs(self) -> list[str]:
        return [rule.ref for rule in self.rules]

    @property
    def reason_codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]

    @classmethod
    def of_override(
        cls,
        *,
        passed: bool,
        rule: str,
        justification: str,
        reviewer: str,
        approved_by: str | None,
        overrides_version: int,
    ) -> RecordedDecision:
        return cls(
            outcome="passed" if passed else "failed",
            rules=(Rule.parse(rule),),
            evidence={"justification": justification, "overrides_version": overrides_version},
            decided_by=reviewer_decision(reviewer, approved_by),
        )


def reviewer_decision(reviewer: str, approved_by: str | None) -> str:
    """Who decided an override: ``reviewer:<name>``, ``+<approver>`` when one approved it."""
    return f"reviewer:{reviewer}" + (f"+{approved_by}" if approved_by else "")


class DecisionEvent:
    """Mixed into an event that records an automated decision in ``rules``/``evidence``.

    ``OUTCOME`` is the event's fixed outcome; without one the event's ``passed`` field
    says it (education and exclusion checks record both outcomes under one event).
    """

    OUTCOME: ClassVar[str | None] = None

    if TYPE_CHECKING:
        rules: list[str]
        evidence: dict[str, Any]

    @property
    def decision(self) -> RecordedDecision:
        outcome = self.OUTCOME or ("passed" if getattr(self, "passed", False) else "failed")
        return RecordedDecision(
            outcome=str(outcome),
            rules=tuple(Rule.parse(ref) for ref in self.rules),
            evidence=dict(self.evidence),
            reasons=tuple(Reason.from_dict(r) for r in getattr(self, "reasons", ())),
        )
