"""Waves: ops schedule, open, close and decree them; applicants join and answer surveys.

The draw's recorded inputs and a re-run of it are open to ops, auditors and finance, so
anyone with access can check that the list of participants follows from them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, PathParameter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from prakerja.api.auth import Role, roles
from prakerja.api.bounds import (
    MAX_ANSWER,
    MAX_PEOPLE,
    People,
    WaveField,
    WavePath,
    values_within,
)
from prakerja.api.deps import principal_of
from prakerja.api.problem_docs import raises
from prakerja.api.refusals import (
    CLOSE,
    DECREE,
    DRAWN,
    JOIN,
    NAMED,
    OPEN,
    PRIORITY,
    SCHEDULE,
    SURVEY,
    WAVE,
)
from prakerja.api.schemas import Accepted, token
from prakerja.api.text import (
    LINE_PATTERN,
    PROSE_PATTERN,
    Line,
    Prose,
    for_parameters,
    lines_documented,
)
from prakerja.application.programme import DrawRecord, Programme
from prakerja.bootstrap import Container
from prakerja.domain.errors import TransitionNotAllowed
from prakerja.domain.rules import SELECTION, SURVEYS
from prakerja.domain.wave import Wave, WaveSpec
from prakerja.workers.scheduler import programme_of

_OPS = roles(Role.OPS)
_WAVE_READERS = roles(Role.APPLICANT, Role.REVIEWER, Role.AUDITOR, Role.OPS, Role.FINANCE)
_DRAW_READERS = roles(Role.OPS, Role.AUDITOR, Role.FINANCE)


def provide_programme(container: NamedDependency[Container]) -> Programme:
    return programme_of(container)


PROGRAMME = {"programme": Provide(provide_programme, sync_to_thread=False)}


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


class PriorityListingOut(BaseModel):
    added: int
    already_listed: int


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


class DrawOut(BaseModel):
    algorithm: str
    rule: str
    seed: str
    candidates: int
    candidates_sha256: str
    selected: int
    selected_sha256: str
    priority_selected: int


class DecreeOut(BaseModel):
    sk_number: str
    sk_date: dt.date
    first_training_deadline: dt.datetime


class WaveOut(BaseModel):
    number: int
    wave_id: UUID
    status: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    quota: int
    province_quotas: dict[str, int]
    priority_groups: dict[str, int]
    priority_listed: dict[str, int]
    recovery_of: dict[int, int]
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    joined: int | None = Field(description="only in the single-wave view")
    draw: DrawOut | None
    decree: DecreeOut | None
    participants: int
    not_selected: int
    revoked: int
    balance_returned: int
    revoked_slots_available: int


class CandidateOut(BaseModel):
    applicant_id: UUID
    province: str
    priority_rank: int | None


class DrawRecordOut(BaseModel):
    wave_number: int
    recorded: DrawOut
    quota: int
    province_quotas: dict[str, int]
    candidates: list[CandidateOut] = Field(description="in canonical order (the hashed one)")
    selected: list[UUID] = Field(description="in the order the draw took them")


class RecomputedOut(BaseModel):
    candidates_sha256: str
    selected_sha256: str
    selected: int


class DrawVerificationOut(BaseModel):
    wave_number: int
    matches: bool
    recorded: DrawOut
    recomputed: RecomputedOut


class NamedOut(BaseModel):
    wave_number: int
    decree: DecreeOut
    named: list[UUID]


def wave_out(wave: Wave, joined: int | None = None) -> WaveOut:
    draw = DrawOut(**wave.draw, rule=SELECTION.ref) if wave.draw else None
    decree = None
    if wave.sk_number and wave.sk_date and wave.first_training_deadline:
        decree = DecreeOut(
            sk_number=wave.sk_number,
            sk_date=wave.sk_date,
            first_training_deadline=wave.first_training_deadline,
        )
    return WaveOut(
        number=wave.number,
        wave_id=wave.id,
        status=wave.status.value,
        opens_at=wave.opens_at,
        closes_at=wave.closes_at,
        quota=wave.quota,
        province_quotas=wave.province_quotas,
        priority_groups=wave.priority_groups,
        priority_listed=wave.listed,
        recovery_of=wave.recovery_of,
        opened_at=wave.opened_at,
        closed_at=wave.closed_at,
        joined=joined,
        draw=draw,
        decree=decree,
        participants=wave.participants,
        not_selected=wave.not_selected,
        revoked=wave.revoked,
        balance_returned=wave.balance_returned,
        revoked_slots_available=wave.revoked_slots_available,
    )


def _draw_out(record: DrawRecord) -> DrawOut:
    return DrawOut(**record.recorded)


def _staff(request: Request[Any, Any, Any]) -> str:
    return f"staff:{principal_of(request).subject}"


class WaveRoutes(Controller):
    path = "/v1/waves"
    tags = ["waves"]
    dependencies = PROGRAMME

    @post(
        "",
        opt=_OPS | raises(SCHEDULE),
        sync_to_thread=True,
        status_code=201,
        summary="Schedule a wave",
    )
    def schedule(
        self,
        data: JSONBody[WaveIn],
        programme: NamedDependency[Programme],
        container: NamedDependency[Container],
        request: Request[Any, Any, Any],
    ) -> WaveOut:
        quota = data.quota if data.quota is not None else sum(data.recovery_of.values())
        spec = WaveSpec(
            number=data.number,
            opens_at=data.opens_at,
            closes_at=data.closes_at,
            quota=quota,
            province_quotas=data.province_quotas,
            priority_groups={g.name: g.rank for g in data.priority_groups},
            partitions=data.partitions or container.settings.programme.roster_partitions,
            recovery_of=data.recovery_of or None,
        )
        return wave_out(programme.schedule_wave(spec, _staff(request)))

    @get("", opt=_WAVE_READERS, sync_to_thread=True, summary="Every wave")
    def list_waves(self, programme: NamedDependency[Programme]) -> list[WaveOut]:
        return [wave_out(wave) for wave in programme.waves()]

    @get("/{number:int}", opt=_WAVE_READERS | raises(WAVE), sync_to_thread=True, summary="One wave")
    def one(self, number: WavePath, programme: NamedDependency[Programme]) -> WaveOut:
        wave = programme.wave(number)
        return wave_out(wave, joined=programme.joined(wave))

    @post(
        "/{number:int}/priority-groups/{group:str}/members",
        opt=_OPS | raises(PRIORITY),
        sync_to_thread=True,
        status_code=200,
        summary="Put NIKs on a priority group before the wave opens (stored as keyed hashes)",
    )
    def list_priority(
        self,
        number: WavePath,
        group: Annotated[str, PathParameter(pattern=for_parameters(GROUP_NAME), max_length=50)],
        data: JSONBody[PriorityMembersIn],
        programme: NamedDependency[Programme],
        request: Request[Any, Any, Any],
    ) -> PriorityListingOut:
        listing = programme.list_priority_members(number, group, data.niks, _staff(request))
        return PriorityListingOut(added=listing.added, already_listed=listing.already_listed)

    @post(
        "/{number:int}/open",
        opt=_OPS | raises(OPEN),
        sync_to_thread=True,
        status_code=200,
        summary="Open now",
    )
    def open(
        self,
        number: WavePath,
        programme: NamedDependency[Programme],
        request: Request[Any, Any, Any],
    ) -> WaveOut:
        return wave_out(programme.open_wave(number, _staff(request)))

    @post(
        "/{number:int}/close",
        opt=_OPS | raises(CLOSE),
        sync_to_thread=True,
        status_code=200,
        summary="Close and draw (idempotent: a repeated close returns the same draw)",
    )
    def close(
        self,
        number: WavePath,
        programme: NamedDependency[Programme],
        request: Request[Any, Any, Any],
        data: JSONBody[CloseIn | None] = None,
    ) -> WaveOut:
        seed = data.seed if data is not None else None
        return wave_out(programme.close_wave(number, _staff(request), seed))

    @post(
        "/{number:int}/decree",
        opt=_OPS | raises(DECREE),
        sync_to_thread=True,
        status_code=202,
        summary="Record the SK; candidates are told in the background (or `prakerja programme"
        " deliver-sks`)",
    )
    def decree(
        self,
        number: WavePath,
        data: JSONBody[DecreeIn],
        programme: NamedDependency[Programme],
        request: Request[Any, Any, Any],
    ) -> WaveOut:
        return wave_out(
            programme.issue_decree(number, data.sk_number, data.sk_date, _staff(request))
        )

    @get(
        "/{number:int}/decree",
        opt=_DRAW_READERS | raises(NAMED),
        sync_to_thread=True,
        summary="The decree and the participants it names, in draw order",
    )
    def named(self, number: WavePath, programme: NamedDependency[Programme]) -> NamedOut:
        wave = wave_out(programme.wave(number))
        if wave.decree is None:
            raise TransitionNotAllowed(f"Wave {number} has no decree yet.", code="no_decree")
        return NamedOut(
            wave_number=number, decree=wave.decree, named=programme.draw_record(number).selected
        )

    @get(
        "/{number:int}/draw",
        opt=_DRAW_READERS | raises(DRAWN),
        sync_to_thread=True,
        summary="The draw's recorded inputs (candidates, seed, quotas) and its result",
    )
    def draw(self, number: WavePath, programme: NamedDependency[Programme]) -> DrawRecordOut:
        record = programme.draw_record(number)
        return DrawRecordOut(
            wave_number=number,
            recorded=_draw_out(record),
            quota=record.quota,
            province_quotas=record.province_quotas,
            candidates=[
                CandidateOut(
                    applicant_id=c.applicant_id, province=c.province, priority_rank=c.priority_rank
                )
                for c in record.candidates
            ],
            selected=record.selected,
        )

    @get(
        "/{number:int}/draw/verification",
        opt=_DRAW_READERS | raises(DRAWN),
        sync_to_thread=True,
        summary="Re-run the draw from its recorded inputs and compare",
    )
    def verify(
        self, number: WavePath, programme: NamedDependency[Programme]
    ) -> DrawVerificationOut:
        checked = programme.verify_draw(number)
        return DrawVerificationOut(
            wave_number=number,
            matches=checked.matches,
            recorded=DrawOut(**checked.recorded),
            recomputed=RecomputedOut(
                candidates_sha256=checked.recomputed.candidates_sha256,
                selected_sha256=checked.recomputed.selected_sha256,
                selected=len(checked.recomputed.selected),
            ),
        )


class ParticipantRoutes(Controller):
    """What an applicant does in the programme on their own case."""

    path = "/v1/applicants/{applicant_id:uuid}"
    tags = ["applicants"]
    dependencies = PROGRAMME

    @post(
        "/wave",
        opt=roles(Role.APPLICANT) | raises(JOIN),
        sync_to_thread=True,
        status_code=201,
        summary="Join an open wave with the basic-skills test result",
    )
    def join(
        self,
        applicant_id: FromPath[UUID],
        data: JSONBody[JoinIn],
        programme: NamedDependency[Programme],
    ) -> Accepted:
        written = programme.join_wave(applicant_id, data.wave_number, data.skills_test_score)
        return Accepted(applicant_id=applicant_id, position=token(written.position))

    @post(
        "/surveys/{number:int}",
        opt=roles(Role.APPLICANT) | raises(SURVEY),
        sync_to_thread=True,
        status_code=201,
        summary="Answer survey 1, 2 or 3 after the training (each earns an incentive)",
    )
    def survey(
        self,
        applicant_id: FromPath[UUID],
        number: Annotated[int, PathParameter(ge=1, le=SURVEYS)],
        data: JSONBody[SurveyIn],
        programme: NamedDependency[Programme],
    ) -> Accepted:
        written = programme.complete_survey(applicant_id, number, dict(data.answers))
        return Accepted(applicant_id=applicant_id, position=token(written.position))
