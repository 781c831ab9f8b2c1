"""Finance's questions of the programme ledger: money per wave and in total."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from psycopg_pool import ConnectionPool


@dataclass(frozen=True)
class WaveMoney:
    """Money of one wave (or, with ``wave_number`` None, of all of them), in rupiah."""

    wave_number: int | None
    participants: int = 0
    revoked: int = 0
    training_balance_granted: int = 0
    training_spent: int = 0
    balance_returned: int = 0
    incentives_owed: int = 0
    """Due by now under the rules."""
    incentives_paid: int = 0
    incentives_not_yet_due: int = 0

    @property
    def incentives_outstanding(self) -> int:
        return self.incentives_owed - self.incentives_paid


def finance_summary(pool: ConnectionPool, now: dt.datetime) -> tuple[list[WaveMoney], WaveMoney]:
    """Per wave and in total, from the ledger (a read model: it may lag the log slightly)."""
    with pool.connection() as conn:
        members = conn.execute(
            "SELECT wave_number, count(*), count(*) FILTER (WHERE status = 'revoked'),"
            " sum(balance_granted), sum(training_spent), sum(balance_returned)"
            " FROM programme_members GROUP BY wave_number"
        ).fetchall()
        incentives = conn.execute(
            "SELECT wave_number,"
            " coalesce(sum(amount) FILTER (WHERE due_at <= %s), 0),"
            " coalesce(sum(amount) FILTER (WHERE status = 'paid'), 0),"
            " coalesce(sum(amount) FILTER (WHERE due_at > %s), 0)"
            " FROM incentive_payments GROUP BY wave_number",
            (now, now),
        ).fetchall()
    by_wave: dict[int, dict[str, int]] = defaultdict(dict)
    for number, count, revoked, granted, spent, returned in members:
        by_wave[number].update(
            participants=count,
            revoked=revoked,
            training_balance_granted=int(granted),
            training_spent=int(spent),
            balance_returned=int(returned),
        )
    for number, owed, paid, later in incentives:
        by_wave[number].update(
            incentives_owed=int(owed), incentives_paid=int(paid), incentives_not_yet_due=int(later)
        )
    waves = [WaveMoney(number, **values) for number, values in sorted(by_wave.items())]
    total = WaveMoney(
        None,
        **{
            name: sum(getattr(w, name) for w in waves)
            for name in (
                "participants",
                "revoked",
                "training_balance_granted",
                "training_spent",
                "balance_returned",
                "incentives_owed",
                "incentives_paid",
                "incentives_not_yet_due",
            )
        },
    )
    return waves, total
