"""Manual review: the queue, taking a case, deciding, four-eyes approval, and disputes.

Lists show masked data only. The single-case view shows in clear the personal data the
case needs (:data:`prakerja.application.review_case.NEEDED_FIELDS`), and only to whoever
needs it now: the reviewer holding the case, any reviewer while a proposal awaits a
second pair of eyes, and auditors. Every such view, and every photo shown, is written to
the access log first.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from prakerja.api.access_log import record_read
from prakerja.api.auth import Role, roles
from prakerja.api.bounds import Offset
from prakerja.api.deps import principal_of
from prakerja.api.positions import After, wanted
from prakerja.api.problem_docs import raises
from prakerja.api.refusals import (
    APPROVE,
    DECIDE,
    DISPUTE,
    PHOTO,
    POSITION,
    REFUSE,
    REGISTRY_PHOTO,
    RELEASE,
    REVIEW,
    TAKE,
)
from prakerja.api.review_schemas import (
    CaseOut,
    DecisionIn,
    DisputeIn,
    Justification,
    QueueOut,
    ReviewOut,
    TakeIn,
    case_out,
)
from prakerja.api.schemas import Accepted, token
from prakerja.application.applicants import Applicants
from prakerja.application.review import ReviewDesk
from prakerja.application.review_case import Case
from prakerja.domain.errors import TransitionNotAllowed
from prakerja.domain.review import ReviewStatus, SeparationOfDuties
from prakerja.domain.review_flags import FlagKind
from prakerja.domain.stages import Stage
from prakerja.projections.review_queue import QueueFilter, ReviewQueue
from prakerja.security.access_log import AccessLog

_READ_YOUR_WRITES_S = 2.0


class ReviewRoutes(Controller):
    path = "/v1/reviews"
    tags = ["reviews"]

    @get(
        "/queue",
        opt=roles(Role.REVIEWER, Role.OPS) | raises(POSITION),
        sync_to_thread=True,
        summary="Cases waiting for a reviewer, oldest first (masked data only)",
    )
    def queue(
        self,
        review_queue: NamedDependency[ReviewQueue],
        applicants: NamedDependency[Applicants],
        status: FromQuery[Literal["open", "taken", "pending_approval"] | None] = None,
        kind: FromQuery[FlagKind | None] = None,
        stage: FromQuery[Stage | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Offset = 0,
        after: After = None,
    ) -> QueueOut:
        if after is not None:
            review_queue.wait_for(wanted(applicants, after), _READ_YOUR_WRITES_S)
        query = QueueFilter(
            status, kind.value if kind else None, stage.value if stage else None, limit, offset
        )
        return QueueOut(position=str(review_queue.position()), entries=review_queue.entries(query))

    @get(
        "/pending-overrides",
        opt=roles(Role.REVIEWER, Role.AUDITOR),
        sync_to_thread=True,
        summary="Acceptances proposed by one reviewer and waiting for a second",
    )
    def pending_overrides(
        self,
        review_queue: NamedDependency[ReviewQueue],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Offset = 0,
    ) -> QueueOut:
        query = QueueFilter(status=ReviewStatus.PENDING_APPROVAL.value, limit=limit, offset=offset)
        return QueueOut(position=str(review_queue.position()), entries=review_queue.entries(query))

    @post(
        "/",
        opt=roles(Role.REVIEWER) | raises(TAKE),
        sync_to_thread=True,
        status_code=201,
        summary="Take a flagged case (or one left untouched by its holder for a day)",
    )
    def take(
        self,
        data: JSONBody[TakeIn],
        reviews: NamedDependency[ReviewDesk],
        request: Request[Any, Any, Any],
    ) -> ReviewOut:
        reviewer = principal_of(request).subject
        return ReviewOut.of(reviews.take(data.applicant_id, Stage(data.stage), reviewer))

    @get(
        "/{review_id:uuid}",
        opt=roles(Role.REVIEWER, Role.AUDITOR) | raises(REVIEW),
        sync_to_thread=True,
        summary="One case: the flag, the automated decision's evidence, the data needed, the trail",
    )
    def case(
        self,
        review_id: FromPath[UUID],
        reviews: NamedDependency[ReviewDesk],
        access_log: NamedDependency[AccessLog],
        request: Request[Any, Any, Any],
    ) -> CaseOut:
        case = reviews.case(review_id)
        clear = _may_see_personal_data(request, case)
        personal = case.personal_data()
        statement = case.flag.statement if case.flag else None
        if clear:
            shown = [*personal, *(["statement"] if statement else [])]
            record_read(access_log, request, case.review.applicant_id, shown, reviews.clock)
        return case_out(case, personal, statement, clear)

    @post(
        "/{review_id:uuid}/release",
        opt=roles(Role.REVIEWER) | raises(RELEASE),
        sync_to_thread=True,
        status_code=200,
        summary="Give a taken case back to the queue, undecided",
    )
    def release(
        self,
        review_id: FromPath[UUID],
        reviews: NamedDependency[ReviewDesk],
        request: Request[Any, Any, Any],
    ) -> ReviewOut:
        return ReviewOut.of(reviews.release(review_id, principal_of(request).subject))

    @post(
        "/{review_id:uuid}/decision",
        opt=roles(Role.REVIEWER) | raises(DECIDE),
        sync_to_thread=True,
        status_code=200,
        summary="Decide with a written justification (an acceptance becomes a proposal)",
    )
    def decide(
        self,
        review_id: FromPath[UUID],
        data: JSONBody[DecisionIn],
        reviews: NamedDependency[ReviewDesk],
        request: Request[Any, Any, Any],
    ) -> ReviewOut:
        reviewer = principal_of(request).subject
        written = reviews.decide(review_id, reviewer, data.outcome, data.justification)
        return ReviewOut.of(written)

    @post(
        "/{review_id:uuid}/approval",
        opt=roles(Role.REVIEWER) | raises(APPROVE),
        sync_to_thread=True,
        status_code=200,
        summary="Approve another reviewer's proposal (four eyes): the override is applied",
    )
    def approve(
        self,
        review_id: FromPath[UUID],
        data: JSONBody[Justification],
        reviews: NamedDependency[ReviewDesk],
        request: Request[Any, Any, Any],
    ) -> ReviewOut:
        approver = principal_of(request).subject
        return ReviewOut.of(reviews.approve(review_id, approver, data.justification))

    @post(
        "/{review_id:uuid}/refusal",
        opt=roles(Role.REVIEWER) | raises(REFUSE),
        sync_to_thread=True,
        status_code=200,
        summary="Refuse another reviewer's proposal: the case goes back to its proposer",
    )
    def refuse(
        self,
        review_id: FromPath[UUID],
        data: JSONBody[Justification],
        reviews: NamedDependency[ReviewDesk],
        request: Request[Any, Any, Any],
    ) -> ReviewOut:
        refuser = principal_of(request).subject
        return ReviewOut.of(reviews.refuse(review_id, refuser, data.justification))

    @get(
        "/{review_id:uuid}/selfie",
        opt=roles(Role.REVIEWER, Role.AUDITOR) | raises(PHOTO),
        sync_to_thread=True,
        summary="The applicant's selfie, for whoever reviews the case (logged)",
    )
    def selfie(
        self,
        review_id: FromPath[UUID],
        reviews: NamedDependency[ReviewDesk],
        access_log: NamedDependency[AccessLog],
        request: Request[Any, Any, Any],
    ) -> Response[bytes]:
        case = _photo_case(reviews, review_id, request)
        content = reviews.selfie(review_id)
        record_read(access_log, request, case.review.applicant_id, ["selfie"], reviews.clock)
        return _image(content)

    @get(
        "/{review_id:uuid}/registry-photo",
        opt=roles(Role.REVIEWER, Role.AUDITOR) | raises(REGISTRY_PHOTO),
        sync_to_thread=True,
        summary="The civil registry's photo of the applicant, for the same (logged)",
    )
    def registry_photo(
        self,
        review_id: FromPath[UUID],
        reviews: NamedDependency[ReviewDesk],
        access_log: NamedDependency[AccessLog],
        request: Request[Any, Any, Any],
    ) -> Response[bytes]:
        case = _photo_case(reviews, review_id, request)
        content = reviews.registry_photo(review_id)
        record_read(
            access_log, request, case.review.applicant_id, ["registry_photo"], reviews.clock
        )
        return _image(content)


class DisputeRoutes(Controller):
    path = "/v1/applicants/{applicant_id:uuid}"
    tags = ["applicants"]

    @post(
        "/disputes",
        opt=roles(Role.APPLICANT) | raises(DISPUTE),
        sync_to_thread=True,
        status_code=202,
        summary="Dispute a registry's rejection (the data is right, the registry is not)",
    )
    def dispute(
        self,
        applicant_id: FromPath[UUID],
        data: JSONBody[DisputeIn],
        reviews: NamedDependency[ReviewDesk],
    ) -> Accepted:
        written = reviews.dispute(applicant_id, Stage(data.stage), data.statement)
        return Accepted(applicant_id=applicant_id, position=token(written.position))


def _may_see_personal_data(request: Request[Any, Any, Any], case: Case) -> bool:
    """Need to know: auditors, the holder, and any reviewer while a proposal waits."""
    principal = principal_of(request)
    review = case.review
    if principal.role is Role.AUDITOR:
        return True
    return principal.subject == review.holder or review.status is ReviewStatus.PENDING_APPROVAL


def _photo_case(reviews: ReviewDesk, review_id: UUID, request: Request[Any, Any, Any]) -> Case:
    case = reviews.case(review_id)
    if case.review.kind != FlagKind.FACE_REVIEW.value:
        raise TransitionNotAllowed(
            "Photos are evidence in face reviews only.", code="not_a_face_review"
        )
    if not _may_see_personal_data(request, case):
        raise SeparationOfDuties(
            "Only the reviewer holding the case (or approving it) sees its photos.",
            code="need_to_know",
        )
    return case


def _image(content: bytes) -> Response[bytes]:
    media = "image/png" if content.startswith(b"\x89PNG") else "image/jpeg"
    if not content.startswith((b"\x89PNG", b"\xff\xd8")):
        media = "application/octet-stream"
    return Response(content, media_type=media, headers={"Cache-Control": "no-store"})
