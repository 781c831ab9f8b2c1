"""Ops schedule, open, close and decree waves; anyone with access reads them.

The draw's recorded inputs and a re-run of it are open to ops, auditors and finance, so
anyone with access can check that the list of participants follows from them.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from prakerja.api.auth import Role, roles
from prakerja.api.bounds import WavePath
from prakerja.api.deps import principal_of
from prakerja.api.problem_docs import raises
from prakerja.api.refusals import CLOSE, DECREE, DRAWN, NAMED, OPEN, PRIORITY, SCHEDULE, WAVE
from prakerja.api.routes.waves.requests import (
    GROUP_NAME,
    CloseIn,
    DecreeIn,
    PriorityMembersIn,
    WaveIn,
)
from prakerja.api.routes.waves.responses import (
    CandidateOut,
    DrawOut,
    DrawRecordOut,
    DrawVerificationOut,
    NamedOut,
    PriorityListingOut,
    RecomputedOut,
    WaveOut,
    draw_out,
    wave_out,
)
from prakerja.api.text import for_parameters
from prakerja.application.programme import Programme
from prakerja.domain.errors import TransitionNotAllowed
from prakerja.domain.wave import WaveSpec
from prakerja.settings import Settings

_OPS = roles(Role.OPS)
_WAVE_READERS = roles(Role.APPLICANT, Role.REVIEWER, Role.AUDITOR, Role.OPS, Role.FINANCE)
_DRAW_READERS = roles(Role.OPS, Role.AUDITOR, Role.FINANCE)


def _staff(request: Request[Any, Any, Any]) -> str:
    return f"staff:{principal_of(request).subject}"


class WaveRoutes(Controller):
    path = "/v1/waves"
    tags = ["waves"]

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
        settings: NamedDependency[Settings],
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
            partitions=data.partitions or settings.programme.roster_partitions,
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
            recorded=draw_out(record),
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
