"""The email service: idempotent sends; the answer says whether the mailbox bounced."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from pydantic import TypeAdapter

from prakerja.clients.base import HttpClient
from prakerja.domain.contact import EmailAddress


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    BOUNCED = "bounced"


@dataclass(frozen=True)
class EmailReceipt:
    message_id: str
    status: DeliveryStatus


class EmailService(Protocol):
    def send(
        self, to: EmailAddress, subject: str, body: str, *, idempotency_key: str
    ) -> EmailReceipt: ...


_RECEIPT = TypeAdapter(EmailReceipt)


class HttpEmailService(HttpClient):
    service = "email"

    def send(
        self, to: EmailAddress, subject: str, body: str, *, idempotency_key: str
    ) -> EmailReceipt:
        payload = {
            "to": to.value,
            "subject": subject,
            "body": body,
            "idempotency_key": idempotency_key,
        }
        return self._channel.post_json("send", "/messages", payload, _RECEIPT)
