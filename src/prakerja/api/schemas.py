"""Request and response bodies (pydantic), as they appear in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from litestar.datastructures import UploadFile
from pydantic import BaseModel, ConfigDict, Field

from prakerja.api.text import Line
from prakerja.eventstore.position import Position

POSITION_HELP = (
    "Event-log position of the write, `<transaction id>.<notification id>`: pass it back"
    " as `?after=` to read your own write (read-your-writes)"
)


def token(position: Position | None) -> str | None:
    """A log position as the API writes it (``<transaction id>.<notification id>``)."""
    return None if position is None else str(position)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Registration(Body):
    email: Line = Field(max_length=320, examples=["budi.santoso@example.com"])
    password: Line = Field(max_length=256, examples=["correct horse battery"])
    language: Literal["id", "en"] = "id"


class Login(Body):
    email: Line = Field(max_length=320, examples=["budi.santoso@example.com"])
    password: Line = Field(max_length=256, examples=["correct horse battery"])


class StaffLogin(Body):
    username: Line = Field(max_length=100, examples=["rina"])
    password: Line = Field(max_length=256, examples=["correct horse battery"])


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme name
    role: str
    subject: str


class Registered(TokenOut):
    applicant_id: UUID
    position: str | None = Field(description=POSITION_HELP, examples=["48213.1093771"])


class EmailToken(Body):
    token: Line = Field(max_length=200, examples=["the token from the link in the email"])


class IdentityIn(Body):
    nik: Line = Field(max_length=32, examples=["3201015507900001"])
    kk_number: Line = Field(max_length=32, examples=["3201011203040005"])
    full_name: Line = Field(max_length=200, examples=["Siti Rahayu"])
    birth_date: dt.date = Field(examples=["1990-07-15"])
    mother_maiden_name: Line = Field(max_length=200, examples=["Sri Wahyuni"])


class Accepted(BaseModel):
    applicant_id: UUID
    position: str | None = Field(description=POSITION_HELP, examples=["48213.1093771"])
    warnings: list[dict[str, Any]] = []


@dataclass
class SelfieForm:
    """The selfie's multipart form: the photo is the file in the field ``data``.

    Named, not "any file in the form": a form with no file (or one under another name)
    is then refused by validation, as a 400 problem."""

    data: UploadFile


class PhoneIn(Body):
    phone: Line = Field(max_length=32, examples=["0812 3456 7890"])


class OtpIn(Body):
    code: Line = Field(max_length=12, examples=["493817"])


class Text(BaseModel):
    id: str
    en: str


class ReasonOut(BaseModel):
    code: str
    message: Text
    measured: float | str | None = None
    threshold: float | str | None = None


class StageOut(BaseModel):
    stage: str
    status: str
    reasons: list[ReasonOut]
    rule: str | None
    attempt: int
    detail: dict[str, Any]


class MembershipOut(BaseModel):
    status: str
    wave_number: int | None
    sk_number: str | None
    sk_date: dt.date | None
    training_balance: int
    total_paid: int


class StatusOut(BaseModel):
    applicant_id: UUID
    version: int
    status: str
    summary: Text
    next_actions: list[str]
    stages: list[StageOut]
    membership: MembershipOut


class HistoryEntry(BaseModel):
    version: int
    event: str
    recorded_at: dt.datetime
    decided_by: str
    rules: list[str]
    reasons: list[dict[str, Any]]
    evidence: dict[str, Any]
    data: dict[str, Any]


class HistoryOut(BaseModel):
    applicant_id: UUID
    events: list[HistoryEntry]


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}
