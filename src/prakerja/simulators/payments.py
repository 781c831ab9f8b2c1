"""Payment-provider simulator: one payment per idempotency key, and the ways providers fail.

Besides the common faults (503s, hangs before anything happens, latency), it can confirm
late (a payment stays ``processing`` for a while), lose its answer after paying (the
money moved, the caller sees a 504), and refuse destinations. ``/_admin/payments`` lists
every payment made, so a test can prove nobody was paid twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec
from litestar import Litestar, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_504_GATEWAY_TIMEOUT,
)

from prakerja.simulators.app import build_app
from prakerja.simulators.config import PaymentBehaviour
from prakerja.simulators.faults import FAULTS_OPT, FaultInjector
from prakerja.simulators.problems import Problem

Status = Literal["processing", "paid", "rejected"]


class PaymentRequest(msgspec.Struct, frozen=True):
    idempotency_key: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    amount: Annotated[int, msgspec.Meta(gt=0)]
    currency: Literal["IDR"]
    destination: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    reference: Annotated[str, msgspec.Meta(max_length=200)]


class PaymentOut(msgspec.Struct, frozen=True):
    payment_id: str
    idempotency_key: str
    amount: int
    status: Status
    reason: str | None
    settled_at: dt.datetime | None


class StatementLineOut(msgspec.Struct, frozen=True):
    payment_id: str
    idempotency_key: str
    amount: int
    reference: str
    settled_at: dt.datetime


class StatementOut(msgspec.Struct, frozen=True):
    lines: list[StatementLineOut]
    next_offset: int | None


@dataclass
class SimulatedPayment:
    payment_id: str
    idempotency_key: str
    amount: int
    destination: str
    reference: str
    created: float
    status: Status = "processing"
    reason: str | None = None
    settled_at: dt.datetime | None = None
    requests: int = 1

    def out(self) -> PaymentOut:
        return PaymentOut(
            self.payment_id,
            self.idempotency_key,
            self.amount,
            self.status,
            self.reason,
            self.settled_at,
        )


class PaymentBook:
    """The provider's books: payments by key, settled in order, and its statement."""

    def __init__(
        self,
        behaviour: PaymentBehaviour,
        *,
        seed: int,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.behaviour = behaviour
        self._rng = random.Random(seed)  # noqa: S311 (simulation, not security)
        self._clock = clock
        self._wall_clock = wall_clock
        self._by_key: dict[str, SimulatedPayment] = {}
        self._processing: deque[SimulatedPayment] = deque()
        self._settled: list[SimulatedPayment] = []

    def pay(self, request: PaymentRequest) -> tuple[SimulatedPayment, bool]:
        """The payment under this key, made now if new (``True``) or made before."""
        self._settle_due()
        earlier = self._by_key.get(request.idempotency_key)
        if earlier is not None:
            if (earlier.amount, earlier.destination) != (request.amount, request.destination):
                raise Problem(
                    HTTP_409_CONFLICT,
                    "idempotency_key_reused",
                    "This idempotency key was used for another payment.",
                )
            earlier.requests += 1
            return earlier, False
        payment = SimulatedPayment(
            payment_id=f"pay_{len(self._by_key) + 1:08d}",
            idempotency_key=request.idempotency_key,
            amount=request.amount,
            destination=request.destination,
            reference=request.reference,
            created=self._clock(),
        )
        self._by_key[payment.idempotency_key] = payment
        if request.destination in self.behaviour.reject_destinations:
            payment.status, payment.reason = "rejected", "destination_not_found"
        else:
            self._processing.append(payment)
            self._settle_due()
        return payment, True

    def find(self, idempotency_key: str) -> SimulatedPayment | None:
        self._settle_due()
        return self._by_key.get(idempotency_key)

    def lose_answer(self) -> bool:
        return self._rng.random() < self.behaviour.lost_answer_rate

    def settle_all(self) -> int:
        count = len(self._processing)
        while self._processing:
            self._settle(self._processing.popleft())
        return count

    def statement(self, offset: int, limit: int) -> StatementOut:
        self._settle_due()
        page = self._settled[offset : offset + limit]
        lines = [
            StatementLineOut(p.payment_id, p.idempotency_key, p.amount, p.reference, p.settled_at)
            for p in page
            if p.settled_at is not None
        ]
        more = offset + limit < len(self._settled)
        return StatementOut(lines, offset + limit if more else None)

    def payments(self) -> list[SimulatedPayment]:
        self._settle_due()
        return list(self._by_key.values())

    def _settle_due(self) -> None:
        deadline = self._clock() - self.behaviour.confirm_after_s
        while self._processing and self._processing[0].created <= deadline:
            self._settle(self._processing.popleft())

    def _settle(self, payment: SimulatedPayment) -> None:
        payment.status = "paid"
        payment.settled_at = self._wall_clock()
        self._settled.append(payment)


@post("/payments", opt={FAULTS_OPT: True})
async def pay(
    data: JSONBody[PaymentRequest], book: NamedDependency[PaymentBook]
) -> Response[PaymentOut]:
    payment, created = book.pay(data)
    if created and book.lose_answer():
        # Paid, but the answer never reaches the caller: what a timeout looks like.
        await asyncio.sleep(book.behaviour.lost_answer_hang_s)
        raise Problem(HTTP_504_GATEWAY_TIMEOUT, "injected_lost_answer", "payments hung")
    return Response(payment.out(), status_code=HTTP_201_CREATED if created else HTTP_200_OK)


@get("/payments/{key:str}", opt={FAULTS_OPT: True}, sync_to_thread=False)
def find_payment(key: FromPath[str], book: NamedDependency[PaymentBook]) -> PaymentOut:
    payment = book.find(key)
    if payment is None:
        raise Problem(HTTP_404_NOT_FOUND, "payment_not_found", "No payment under this key.")
    return payment.out()


@get("/statement", opt={FAULTS_OPT: True}, sync_to_thread=False)
def statement(
    book: NamedDependency[PaymentBook], offset: FromQuery[int] = 0, limit: FromQuery[int] = 1000
) -> StatementOut:
    """Settled payments, oldest first, a page at a time."""
    return book.statement(max(offset, 0), min(max(limit, 1), 10_000))


class AdminPayment(msgspec.Struct, frozen=True):
    payment_id: str
    idempotency_key: str
    amount: int
    destination: str
    reference: str
    status: Status
    requests: int


@get("/_admin/payments", sync_to_thread=False)
def all_payments(book: NamedDependency[PaymentBook]) -> list[AdminPayment]:
    """Every payment made, with how often its key was sent (for tests and demos)."""
    return [
        AdminPayment(
            p.payment_id,
            p.idempotency_key,
            p.amount,
            p.destination,
            p.reference,
            p.status,
            p.requests,
        )
        for p in book.payments()
    ]


@post("/_admin/payments/settle", sync_to_thread=False, status_code=HTTP_200_OK)
def settle(book: NamedDependency[PaymentBook]) -> dict[str, int]:
    """Confirm every payment still processing, now."""
    return {"settled": book.settle_all()}


@get("/_admin/payments/behaviour", sync_to_thread=False)
def read_behaviour(book: NamedDependency[PaymentBook]) -> PaymentBehaviour:
    return book.behaviour


@put("/_admin/payments/behaviour", sync_to_thread=False)
def replace_behaviour(
    book: NamedDependency[PaymentBook], data: JSONBody[PaymentBehaviour]
) -> PaymentBehaviour:
    book.behaviour = data
    return book.behaviour


def create_payments_app(
    behaviour: PaymentBehaviour, faults: FaultInjector, *, seed: int
) -> Litestar:
    book = PaymentBook(behaviour, seed=seed)
    handlers = [
        pay,
        find_payment,
        statement,
        all_payments,
        settle,
        read_behaviour,
        replace_behaviour,
    ]
    return build_app(handlers, faults=faults, dependencies={"book": book})
