"""SMS-gateway simulator: accepts messages idempotently and lets tests read them back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

import msgspec
from litestar import Litestar, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_422_UNPROCESSABLE_ENTITY

from prakerja.domain.contact import PhoneNumber
from prakerja.domain.errors import InvalidPhone
from prakerja.simulators.app import build_app
from prakerja.simulators.faults import FAULTS_OPT, FaultInjector
from prakerja.simulators.outbox import Outbox
from prakerja.simulators.problems import Problem

Key = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


@dataclass(frozen=True)
class Sms:
    message_id: str
    to: str
    text: str
    sent_at: dt.datetime

    @property
    def fingerprint(self) -> tuple[str, str]:
        return self.to, self.text


class SmsRequest(msgspec.Struct, frozen=True):
    to: Annotated[str, msgspec.Meta(max_length=32)]
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=1600)]
    idempotency_key: Key


class SmsAccepted(msgspec.Struct, frozen=True):
    message_id: str


class SmsList(msgspec.Struct, frozen=True):
    messages: list[Sms]


def _phone(raw: str) -> str:
    try:
        return PhoneNumber.parse(raw).e164
    except InvalidPhone:
        raise Problem(
            HTTP_422_UNPROCESSABLE_ENTITY, "invalid_phone", "Not an Indonesian mobile number."
        ) from None


@post("/messages", status_code=HTTP_202_ACCEPTED, opt={FAULTS_OPT: True}, sync_to_thread=False)
def send_sms(data: JSONBody[SmsRequest], outbox: NamedDependency[Outbox[Sms]]) -> SmsAccepted:
    to = _phone(data.to)
    sent = outbox.send(
        data.idempotency_key,
        lambda message_id: Sms(message_id, to, data.text, dt.datetime.now(dt.UTC)),
    )
    return SmsAccepted(message_id=sent.message_id)


@get("/messages")
async def list_sms(
    to: FromQuery[str],
    outbox: NamedDependency[Outbox[Sms]],
    wait: Annotated[
        float, Parameter(ge=0, le=120, description="seconds to wait for a first message")
    ] = 0,
) -> SmsList:
    """Read back what was sent to one number (for tests and demos)."""
    return SmsList(messages=await outbox.arrived(_phone(to), wait))


def create_sms_app(faults: FaultInjector) -> Litestar:
    return build_app(
        [send_sms, list_sms], faults=faults, dependencies={"outbox": Outbox[Sms]("sms")}
    )
