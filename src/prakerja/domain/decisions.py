"""The outcome of one verification, as the aggregate records it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prakerja.domain.rules import Rule


@dataclass(frozen=True)
class Reason:
    """Why a check failed: a stable code, and where measurable the value and its limit."""

    code: str
    measured: float | str | None = None
    threshold: float | str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


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
