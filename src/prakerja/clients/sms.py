"""The SMS gateway: sends are idempotent by key, so a retried send is never sent twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pydantic import TypeAdapter

from prakerja.clients.base import HttpClient
from prakerja.domain.contact import PhoneNumber


@dataclass(frozen=True)
class SmsReceipt:
    message_id: str


class SmsGateway(Protocol):
    def send(self, to: PhoneNumber, text: str, *, idempotency_key: str) -> SmsReceipt: ...


_RECEIPT = TypeAdapter(SmsReceipt)


class HttpSmsGateway(HttpClient):
    service = "sms"

    def send(self, to: PhoneNumber, text: str, *, idempotency_key: str) -> SmsReceipt:
        body = {"to": to.e164, "text": text, "idempotency_key": idempotency_key}
        return self._channel.post_json("send", "/messages", body, _RECEIPT)
