"""What an applicant does in the programme on their own case: join a wave, answer surveys."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, PathParameter

from prakerja.api.auth import Role, roles
from prakerja.api.problem_docs import raises
from prakerja.api.refusals import JOIN, SURVEY
from prakerja.api.routes.waves.requests import JoinIn, SurveyIn
from prakerja.api.schemas import Accepted, token
from prakerja.application.programme import Programme
from prakerja.domain.rules import SURVEYS


class ParticipantRoutes(Controller):
    """What an applicant does in the programme on their own case."""

    path = "/v1/applicants/{applicant_id:uuid}"
    tags = ["applicants"]

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
