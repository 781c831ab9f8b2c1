"""Finance: what is owed and paid, per wave and in total, and the reconciliation with the
payment provider's statement."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import SkipValidation
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from prakerja.api.auth import Role, roles
from prakerja.api.bounds import WaveQuery
from prakerja.api.problem_docs import raises
from prakerja.api.problems import ProblemError
from prakerja.api.refusals import LEDGER, PROVIDER, WAVE
from prakerja.application.programme import Programme
from prakerja.application.reconciliation import reconcile
from prakerja.clients.payments import PaymentProvider
from prakerja.projections.queries.finance import WaveMoney, finance_summary

_FINANCE = roles(Role.FINANCE, Role.AUDITOR)


class MoneyOut(BaseModel):
    """Rupiah, whole. ``incentives_owed`` is what the rules make due by ``as_of``."""

    wave_number: int | None
    participants: int
    revoked: int
    training_balance_granted: int
    training_spent: int
    balance_returned: int
    incentives_owed: int
    incentives_paid: int
    incentives_outstanding: int
    incentives_not_yet_due: int


class SummaryOut(BaseModel):
    as_of: dt.datetime
    waves: list[MoneyOut]
    total: MoneyOut


class DifferenceOut(BaseModel):
    idempotency_key: str
    applicant_id: UUID | None
    issue: str
    owed: int
    recorded_paid: int
    provider_paid: int


class ReconciliationOut(BaseModel):
    as_of: dt.datetime
    waves: list[int]
    participants: int
    owed: int
    recorded_paid: int
    provider_paid: int
    differences: list[DifferenceOut]


def _money(money: WaveMoney) -> MoneyOut:
    return MoneyOut(
        wave_number=money.wave_number,
        participants=money.participants,
        revoked=money.revoked,
        training_balance_granted=money.training_balance_granted,
        training_spent=money.training_spent,
        balance_returned=money.balance_returned,
        incentives_owed=money.incentives_owed,
        incentives_paid=money.incentives_paid,
        incentives_outstanding=money.incentives_outstanding,
        incentives_not_yet_due=money.incentives_not_yet_due,
    )


class FinanceRoutes(Controller):
    """The payment provider is any client with its methods (a protocol): not validated."""

    path = "/v1/finance"
    tags = ["finance"]

    @get(
        "/summary",
        opt=_FINANCE | raises(LEDGER),
        sync_to_thread=True,
        summary="Training balances and incentives owed and paid, per wave and in total",
    )
    def summary(
        self,
        pool: NamedDependency[ConnectionPool | None],
        programme: NamedDependency[Programme],
    ) -> SummaryOut:
        if pool is None:
            raise ProblemError(503, "ledger_unavailable", "The ledger needs PostgreSQL.")
        now = programme.clock()
        waves, total = finance_summary(pool, now)
        return SummaryOut(as_of=now, waves=[_money(w) for w in waves], total=_money(total))

    @get(
        "/reconciliation",
        opt=_FINANCE | raises(PROVIDER, WAVE),
        sync_to_thread=True,
        summary="Owed (rules) vs recorded paid (events) vs the provider's statement",
    )
    def reconciliation(
        self,
        programme: NamedDependency[Programme],
        payment_provider: NamedDependency[SkipValidation[PaymentProvider]],
        wave: WaveQuery = None,
    ) -> ReconciliationOut:
        checked = reconcile(programme, payment_provider, None if wave is None else [wave])
        return ReconciliationOut(
            as_of=checked.as_of,
            waves=checked.waves,
            participants=checked.participants,
            owed=checked.owed,
            recorded_paid=checked.recorded_paid,
            provider_paid=checked.provider_paid,
            differences=[
                DifferenceOut(
                    idempotency_key=d.idempotency_key,
                    applicant_id=d.applicant_id,
                    issue=d.issue,
                    owed=d.owed,
                    recorded_paid=d.recorded_paid,
                    provider_paid=d.provider_paid,
                )
                for d in checked.differences
            ],
        )
