"""The payment provider that pays incentives to participants' e-wallets or bank accounts.

Every payment carries an idempotency key, and the provider makes at most one payment per
key: a repeated request (after a timeout, a lost answer, a crash) gets the payment already
made. A payment may be confirmed late (``processing`` first); it is then looked up by its
key until it is ``paid`` or ``rejected``. The statement lists what the provider settled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, TypeVar
from urllib.parse import quote

import pydantic
from pydantic import TypeAdapter

from prakerja.clients.base import HttpClient
from prakerja.clients.errors import ServiceContractError

T = TypeVar("T")


class PaymentStatus(StrEnum):
    PROCESSING = "processing"
    PAID = "paid"
    REJECTED = "rejected"


@dataclass(frozen=True)
class PaymentOrder:
    idempotency_key: str
    amount: int
    """Rupiah, whole."""
    destination: str = field(repr=False)
    """The participant's e-wallet (their verified phone number): personal data."""
    reference: str


@dataclass(frozen=True)
class ProviderPayment:
    payment_id: str
    idempotency_key: str
    amount: int
    status: PaymentStatus
    reason: str | None = None
    settled_at: dt.datetime | None = None


@dataclass(frozen=True)
class StatementLine:
    payment_id: str
    idempotency_key: str
    amount: int
    reference: str
    settled_at: dt.datetime


@dataclass(frozen=True)
class StatementPage:
    lines: list[StatementLine]
    next_offset: int | None


class PaymentProvider(Protocol):
    def pay(self, order: PaymentOrder) -> ProviderPayment:
        """Pay once per key; a repeat returns the payment already made."""
        ...

    def find(self, idempotency_key: str) -> ProviderPayment | None:
        """The payment made under this key, if any (recovery after a crash or a timeout)."""
        ...

    def statement(self) -> list[StatementLine]:
        """Every settled payment, for reconciliation."""
        ...


_PAYMENT = TypeAdapter(ProviderPayment)
_PAGE = TypeAdapter(StatementPage)


class HttpPaymentProvider(HttpClient):
    service = "payments"
    statement_page = 1000

    def pay(self, order: PaymentOrder) -> ProviderPayment:
        body = {
            "idempotency_key": order.idempotency_key,
            "amount": order.amount,
            "currency": "IDR",
            "destination": order.destination,
            "reference": order.reference,
        }
        return self._channel.post_json("pay", "/payments", body, _PAYMENT)

    def find(self, idempotency_key: str) -> ProviderPayment | None:
        try:
            raw = self._channel.get_bytes("find", f"/payments/{quote(idempotency_key, safe='')}")
        except ServiceContractError as error:
            if error.status == 404:
                return None
            raise
        return self._parse("find", _PAYMENT, raw)

    def statement(self) -> list[StatementLine]:
        lines: list[StatementLine] = []
        offset: int | None = 0
        while offset is not None:
            path = f"/statement?offset={offset}&limit={self.statement_page}"
            raw = self._channel.get_bytes("statement", path)
            page = self._parse("statement", _PAGE, raw)
            lines.extend(page.lines)
            offset = page.next_offset
        return lines

    def _parse(self, operation: str, answer: TypeAdapter[T], raw: bytes) -> T:
        try:
            return answer.validate_json(raw)
        except pydantic.ValidationError:
            raise ServiceContractError(self.service, operation, "unexpected answer") from None
