"""Email-service simulator: mail to the population's unreachable mailboxes bounces.

Addresses outside the population are delivered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec
from litestar import Litestar, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_422_UNPROCESSABLE_ENTITY

from prakerja.domain.contact import EmailAddress
from prakerja.domain.errors import InvalidEmail
from prakerja.simulators.app import build_app
from prakerja.simulators.faults import FAULTS_OPT, FaultInjector
from prakerja.simulators.outbox import Outbox
from prakerja.simulators.population import Population
from prakerja.simulators.problems import Problem

Status = Literal["delivered", "bounced"]


@dataclass(frozen=True)
class Email:
    message_id: str
    to: str
    subject: str
    body: str
    status: Status
    sent_at: dt.datetime

    @property
    def fingerprint(self) -> tuple[str, str, str]:
        return self.to, self.subject, self.body


class EmailRequest(msgspec.Struct, frozen=True):
    to: Annotated[str, msgspec.Meta(max_length=320)]
    subject: Annotated[str, msgspec.Meta(max_length=998)]
    body: Annotated[str, msgspec.Meta(max_length=100_000)]
    idempotency_key: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class EmailAccepted(msgspec.Struct, frozen=True):
    message_id: str
    status: Status


class EmailList(msgspec.Struct, frozen=True):
    messages: list[Email]


def _address(raw: str) -> str:
    try:
        return EmailAddress.parse(raw).uniqueness_key
    except InvalidEmail:
        raise Problem(
            HTTP_422_UNPROCESSABLE_ENTITY, "invalid_email", "Not a valid email address."
        ) from None


@post("/messages", status_code=HTTP_202_ACCEPTED, opt={FAULTS_OPT: True}, sync_to_thread=False)
def send_email(
    data: JSONBody[EmailRequest],
    outbox: NamedDependency[Outbox[Email]],
    population: NamedDependency[Population],
) -> EmailAccepted:
    to = _address(data.to)
    person = population.by_email(to)
    status: Status = "bounced" if person is not None and person.mailbox_unreachable else "delivered"
    sent = outbox.send(
        data.idempotency_key,
        lambda message_id: Email(
            message_id, to, data.subject, data.body, status, dt.datetime.now(dt.UTC)
        ),
    )
    return EmailAccepted(message_id=sent.message_id, status=sent.status)


@get("/messages")
async def list_emails(
    to: FromQuery[str],
    outbox: NamedDependency[Outbox[Email]],
    wait: Annotated[
        float, Parameter(ge=0, le=120, description="seconds to wait for a first message")
    ] = 0,
) -> EmailList:
    """Read back what was sent to one address (for tests and demos)."""
    return EmailList(messages=await outbox.arrived(_address(to), wait))


def create_email_app(population: Population, faults: FaultInjector) -> Litestar:
    return build_app(
        [send_email, list_emails],
        faults=faults,
        dependencies={"outbox": Outbox[Email]("email"), "population": population},
    )
