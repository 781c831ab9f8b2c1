"""The applicant's case: identity, selfie, phone, status, history and state as of a moment."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody, QueryParameter

from prakerja.api.access_log import record_read
from prakerja.api.auth import Role, public, roles
from prakerja.api.bounds import MAX_VERSION
from prakerja.api.deps import principal_of
from prakerja.api.presenters import history_entry, status_of
from prakerja.api.problem_docs import raises
from prakerja.api.problems import ProblemError
from prakerja.api.refusals import (
    APPLICANT,
    IDENTITY,
    REQUEST_OTP,
    SELFIE,
    STATE,
    VERIFY_EMAIL,
    VERIFY_OTP,
)
from prakerja.api.schemas import (
    Accepted,
    EmailToken,
    HistoryOut,
    IdentityIn,
    OtpIn,
    PhoneIn,
    SelfieForm,
    StatusOut,
    token,
)
from prakerja.application.applicants import Applicants
from prakerja.domain.reasons import message_for
from prakerja.face.errors import ImageRejected, ImageTooLarge
from prakerja.face.images import inspect_upload
from prakerja.security.access_log import PERSONAL_FIELDS, AccessLog
from prakerja.settings import Settings
from prakerja.storage.photos import PhotoStore

_CASE_READERS = roles(Role.APPLICANT, Role.REVIEWER, Role.AUDITOR, Role.OPS)
_HISTORY_READERS = roles(Role.APPLICANT, Role.AUDITOR)
_PERSONAL_DATA_ROLES = frozenset({Role.APPLICANT, Role.AUDITOR})


class ApplicantRoutes(Controller):
    path = "/v1/applicants/{applicant_id:uuid}"
    tags = ["applicants"]

    @post(
        "/email/verification",
        opt=public() | raises(VERIFY_EMAIL),
        sync_to_thread=True,
        status_code=200,
        summary="Verify the email address with the token from the email",
    )
    def verify_email(
        self,
        applicant_id: FromPath[UUID],
        data: JSONBody[EmailToken],
        applicants: NamedDependency[Applicants],
    ) -> Accepted:
        written = applicants.verify_email(applicant_id, data.token)
        return Accepted(applicant_id=applicant_id, position=token(written.position))

    @put(
        "/identity",
        opt=roles(Role.APPLICANT) | raises(IDENTITY),
        sync_to_thread=True,
        status_code=202,
        summary="Submit, or correct after a failed check, the identity data",
    )
    def submit_identity(
        self,
        applicant_id: FromPath[UUID],
        data: JSONBody[IdentityIn],
        applicants: NamedDependency[Applicants],
    ) -> Accepted:
        accepted = applicants.submit_identity(
            applicant_id,
            nik=data.nik,
            kk_number=data.kk_number,
            full_name=data.full_name,
            birth_date=data.birth_date,
            mother_maiden_name=data.mother_maiden_name,
        )
        warnings = [
            {"code": code, "message": vars(message_for(code))} for code in accepted.warnings
        ]
        return Accepted(
            applicant_id=applicant_id, position=token(accepted.position), warnings=warnings
        )

    @put(
        "/selfie",
        opt=roles(Role.APPLICANT) | raises(SELFIE),
        sync_to_thread=True,
        status_code=202,
        summary="Upload a selfie holding the ID card (a new one re-runs the face check only)",
        request_max_body_size=16 * 1024 * 1024,
    )
    def upload_selfie(
        self,
        applicant_id: FromPath[UUID],
        data: Annotated[SelfieForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        applicants: NamedDependency[Applicants],
        photos: NamedDependency[PhotoStore],
        settings: NamedDependency[Settings],
    ) -> Accepted:
        content = data.data.file.read(settings.selfie_max_bytes + 1)
        if len(content) > settings.selfie_max_bytes:
            raise ProblemError(
                413,
                "payload_too_large",
                f"A selfie may be at most {settings.selfie_max_bytes} bytes.",
            )
        try:
            info = inspect_upload(content, settings.selfie_max_pixels)
        except ImageTooLarge as error:
            raise ProblemError(413, error.code, str(error)) from None
        except ImageRejected as error:
            raise ProblemError(415, error.code, str(error)) from None
        applicants.check_selfie_allowed(applicant_id)  # 404 or 409 before storing anything
        stored = photos.put(applicant_id, content, f"image/{info.format.lower()}")
        written = applicants.record_selfie(
            applicant_id,
            photo_ref=stored.ref,
            sha256=stored.sha256,
            content_type=f"image/{info.format.lower()}",
            width=info.width,
            height=info.height,
        )
        return Accepted(applicant_id=applicant_id, position=token(written.position))

    @post(
        "/phone/otp",
        opt=roles(Role.APPLICANT) | raises(REQUEST_OTP),
        sync_to_thread=True,
        status_code=202,
        summary="Send a one-time code to a phone number (replaces any earlier code)",
    )
    def request_otp(
        self,
        applicant_id: FromPath[UUID],
        data: JSONBody[PhoneIn],
        applicants: NamedDependency[Applicants],
    ) -> Accepted:
        written = applicants.request_otp(applicant_id, data.phone)
        return Accepted(applicant_id=applicant_id, position=token(written.position))

    @post(
        "/phone/verification",
        opt=roles(Role.APPLICANT) | raises(VERIFY_OTP),
        sync_to_thread=True,
        status_code=200,
        summary="Verify the phone number with the code received by SMS",
    )
    def verify_otp(
        self,
        applicant_id: FromPath[UUID],
        data: JSONBody[OtpIn],
        applicants: NamedDependency[Applicants],
    ) -> Accepted:
        written = applicants.verify_otp(applicant_id, data.code)
        return Accepted(applicant_id=applicant_id, position=token(written.position))

    @get(
        "/status",
        opt=_CASE_READERS | raises(APPLICANT),
        sync_to_thread=True,
        summary="Current status, with the reason for any failure in Indonesian and English",
    )
    def status(
        self, applicant_id: FromPath[UUID], applicants: NamedDependency[Applicants]
    ) -> StatusOut:
        return status_of(applicants.get(applicant_id))

    @get(
        "/history",
        opt=_HISTORY_READERS | raises(APPLICANT),
        sync_to_thread=True,
        summary="Every event: when, what decided it, under which rule, on what evidence",
    )
    def history(
        self,
        applicant_id: FromPath[UUID],
        applicants: NamedDependency[Applicants],
        access_log: NamedDependency[AccessLog],
        request: Request[Any, Any, Any],
    ) -> HistoryOut:
        show = principal_of(request).role in _PERSONAL_DATA_ROLES
        entries = [
            history_entry(e, show_personal_data=show) for e in applicants.history(applicant_id)
        ]
        if show:  # staff reading personal data in clear leave a trace first
            shown = {k for e in entries for k, v in e.data.items() if k in PERSONAL_FIELDS and v}
            record_read(access_log, request, applicant_id, shown, applicants.clock)
        return HistoryOut(applicant_id=applicant_id, events=entries)

    @get(
        "/state",
        opt=_HISTORY_READERS | raises(STATE),
        sync_to_thread=True,
        summary="The case as it stood at a version or a moment (what did we know then?)",
    )
    def state(
        self,
        applicant_id: FromPath[UUID],
        applicants: NamedDependency[Applicants],
        version: Annotated[int | None, QueryParameter(ge=1, le=MAX_VERSION)] = None,
        at: FromQuery[dt.datetime | None] = None,
    ) -> StatusOut:
        if version is not None and at is not None:
            raise ProblemError(400, "ambiguous_query", "Give either version or at, not both.")
        if at is not None:
            moment = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
            version = applicants.version_at(applicant_id, moment)
            if version == 0:
                raise ProblemError(
                    404, "not_yet_registered", "The applicant had not registered at that moment."
                )
        return status_of(applicants.get(applicant_id, version=version))
