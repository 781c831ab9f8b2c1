"""What ops and participants send about waves: the bodies, as the OpenAPI document has them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from prakerja.api.bounds import MAX_ANSWER, MAX_PEOPLE, People, WaveField, values_within
from prakerja.api.text import LINE_PATTERN, PROSE_PATTERN, Line, Prose, lines_documented


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


GROUP_NAME = r"^[a-z0-9_-]{1,50}$"
SEED = r"^[0-9a-f]{64}$"
Nik = Annotated[str, StringConstraints(pattern=LINE_PATTERN, max_length=32)]
PROVINCE = r"^[0-9]{2}$"
Province = Annotated[str, Field(pattern=PROVINCE, max_length=2)]
Answer = str | Annotated[int, Field(ge=-MAX_ANSWER, le=MAX_ANSWER)] | bool


class PriorityGroupIn(_In):
    name: Annotated[str, StringConstraints(pattern=GROUP_NAME, max_length=50)] = Field(
        examples=["laid_off_workers"]
    )
    rank: int = Field(ge=1, le=100, description="1 is taken first")


class WaveIn(_In):
    number: WaveField = Field(examples=[1])
    opens_at: dt.datetime = Field(examples=["2020-04-11T08:00:00+07:00"])
    closes_at: dt.datetime = Field(examples=["2020-04-14T23:59:00+07:00"])
    quota: int | None = Field(
        default=None, ge=1, le=MAX_PEOPLE, description="unset: a recovery wave's slots"
    )
    province_quotas: dict[Province, People] = Field(
        default_factory=dict,
        description="province code (first 2 NIK digits) → most selected",
        json_schema_extra=values_within(0, MAX_PEOPLE, keys={"pattern": PROVINCE, "maxLength": 2}),
    )
    priority_groups: list[PriorityGroupIn] = Field(default_factory=list, max_length=20)
    recovery_of: dict[WaveField, People] = Field(
        default_factory=dict,
        description="recovery wave: source wave → revoked slots taken over",
        json_schema_extra=values_within(0, MAX_PEOPLE, keys={"pattern": r"^[0-9]{1,5}$"}),
    )
    partitions: int | None = Field(default=None, ge=1, le=256)


class PriorityMembersIn(_In):
    niks: list[Nik] = Field(
        min_length=1,
        max_length=10_000,
        examples=[["3201015507900001"]],
        json_schema_extra=lines_documented(32),
    )


class CloseIn(_In):
    seed: Annotated[str, StringConstraints(pattern=SEED, max_length=64)] | None = Field(
        default=None,
        description="32 bytes as hex (e.g. from a public randomness beacon); unset: random",
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
        json_schema_extra={"pattern": SEED},  # Litestar's document drops it (optional field)
    )


class DecreeIn(_In):
    sk_number: Line = Field(min_length=1, max_length=100, examples=["SK-12/KP/2020"])
    sk_date: dt.date = Field(examples=["2020-04-16"])


class JoinIn(_In):
    wave_number: WaveField = Field(examples=[1])
    skills_test_score: int = Field(
        ge=0, le=100, description="the basic-skills test result", examples=[78]
    )


_ANSWERS: dict[str, Any] = {
    "type": "object",
    "items": None,
    "maxLength": None,
    "maxProperties": 50,
    "propertyNames": {"maxLength": 100, "pattern": LINE_PATTERN},
    "additionalProperties": {
        "oneOf": [
            {"type": "string", "maxLength": 2000, "pattern": PROSE_PATTERN},
            {"type": "integer", "minimum": -MAX_ANSWER, "maximum": MAX_ANSWER},
            {"type": "boolean"},
        ]
    },
}
"""The document of ``answers`` (Litestar's would call the mapping an array)."""


class SurveyIn(_In):
    answers: dict[
        Annotated[Line, Field(max_length=100)],
        Annotated[Prose, Field(max_length=2000)] | Answer,
    ] = Field(
        max_length=50,
        examples=[{"overall": 4, "comment": "The training helped me find work."}],
        json_schema_extra=_ANSWERS,
    )
