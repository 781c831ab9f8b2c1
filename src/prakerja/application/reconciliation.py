"""Reconciliation: the rules, our events and the payment provider's statement, compared."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from prakerja.application.programme import Programme
from prakerja.clients.payments import PaymentProvider
from prakerja.domain.programme import incentive_key


@dataclass(frozen=True)
class Difference:
    idempotency_key: str
    applicant_id: UUID | None
    issue: str
    owed: int
    recorded_paid: int
    provider_paid: int


@dataclass(frozen=True)
class Reconciliation:
    """What the rules say is owed, what we recorded as paid, what the provider settled."""

    as_of: dt.datetime
    waves: list[int]
    participants: int
    owed: int
    recorded_paid: int
    provider_paid: int
    differences: list[Difference] = field(default_factory=list)


def reconcile(
    programme: Programme, provider: PaymentProvider, waves: Sequence[int] | None = None
) -> Reconciliation:
    """Compare, payment by payment, the rules, our events and the provider's statement.

    Read from the aggregates themselves (not the ledger), so it checks the ledger too.
    Differences: ``unpaid`` (owed, nowhere paid), ``rejected`` (the provider refused it:
    staff must follow up), ``paid_not_recorded`` (the provider paid,
    we have no record: a crash between its answer and our save, until recovery),
    ``recorded_not_settled``, ``amount_mismatch``, ``paid_twice``, ``not_owed``.
    """
    now = programme.clock()
    numbers = list(waves) if waves is not None else [w.number for w in programme.waves()]
    statement: dict[str, list[int]] = defaultdict(list)
    for line in provider.statement():
        statement[line.idempotency_key].append(line.amount)
    ours: set[str] = set()
    owed_total = recorded_total = participants = 0
    differences: list[Difference] = []
    for number in numbers:
        wave = programme.wave(number)
        for roster in programme.rosters(wave):
            for applicant_id in sorted(roster.selected, key=str):
                participants += 1
                membership = programme.applicants.get(applicant_id).membership
                for entitlement in membership.entitlements():
                    key = incentive_key(applicant_id, entitlement.kind, entitlement.period)
                    ours.add(key)
                    slot = (entitlement.kind, entitlement.period)
                    owed = entitlement.amount if entitlement.due_at <= now else 0
                    recorded = entitlement.amount if slot in membership.paid else 0
                    settled = statement.get(key, [])
                    owed_total += owed
                    recorded_total += recorded
                    issue = (
                        "rejected"
                        if slot in membership.rejected
                        else _issue(owed, recorded, settled)
                    )
                    if issue is not None:
                        differences.append(
                            Difference(key, applicant_id, issue, owed, recorded, sum(settled))
                        )
    provider_total = sum(sum(statement[key]) for key in ours if key in statement)
    if waves is None:
        for key in sorted(statement.keys() - ours):
            differences.append(Difference(key, None, "not_owed", 0, 0, sum(statement[key])))
            provider_total += sum(statement[key])
    return Reconciliation(
        now, numbers, participants, owed_total, recorded_total, provider_total, differences
    )


def _issue(owed: int, recorded: int, settled: list[int]) -> str | None:
    provider = sum(settled)
    if len(settled) > 1:
        return "paid_twice"
    if owed == recorded == provider:
        return None
    if recorded == 0 and provider == 0:
        return "unpaid"
    if recorded == 0:
        return "paid_not_recorded"
    if provider == 0:
        return "recorded_not_settled"
    if owed == 0:
        return "not_owed"
    return "amount_mismatch"
