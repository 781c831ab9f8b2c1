"""Registration and logins: the only routes callable without a token."""

from __future__ import annotations

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from prakerja.api.auth import Role, TokenIssuer, public
from prakerja.api.problem_docs import raises
from prakerja.api.refusals import LOGIN, REGISTER
from prakerja.api.schemas import Login, Registered, Registration, StaffLogin, TokenOut, token
from prakerja.application.applicants import Applicants
from prakerja.domain.errors import InvalidCredentials
from prakerja.security.passwords import Passwords
from prakerja.settings import StaffAccount


class SessionRoutes(Controller):
    path = "/v1"
    tags = ["sessions"]

    @post(
        "/applicants",
        opt=public() | raises(REGISTER),
        sync_to_thread=True,
        status_code=201,
        summary="Register with email and password",
    )
    def register(
        self,
        data: JSONBody[Registration],
        applicants: NamedDependency[Applicants],
        tokens: NamedDependency[TokenIssuer],
    ) -> Registered:
        written = applicants.register(data.email, data.password, data.language)
        subject = str(written.applicant_id)
        return Registered(
            applicant_id=written.applicant_id,
            position=token(written.position),
            role=Role.APPLICANT,
            subject=subject,
            access_token=tokens.issue(subject, Role.APPLICANT),
        )

    @post(
        "/auth/token",
        opt=public() | raises(LOGIN),
        sync_to_thread=True,
        status_code=200,
        summary="Applicant login",
    )
    def login(
        self,
        data: JSONBody[Login],
        applicants: NamedDependency[Applicants],
        tokens: NamedDependency[TokenIssuer],
    ) -> TokenOut:
        subject = str(applicants.authenticate(data.email, data.password))
        return TokenOut(
            access_token=tokens.issue(subject, Role.APPLICANT), role=Role.APPLICANT, subject=subject
        )

    @post(
        "/staff/token",
        opt=public() | raises(LOGIN),
        sync_to_thread=True,
        status_code=200,
        summary="Staff login (configured accounts)",
    )
    def staff_login(
        self,
        data: JSONBody[StaffLogin],
        staff: NamedDependency[dict[str, StaffAccount]],
        passwords: NamedDependency[Passwords],
        tokens: NamedDependency[TokenIssuer],
    ) -> TokenOut:
        account = staff.get(data.username)
        if not passwords.verify(account.password_hash if account else None, data.password):
            raise InvalidCredentials("Wrong username or password.", code="invalid_credentials")
        assert account is not None
        role = Role(account.role.value)
        return TokenOut(
            access_token=tokens.issue(data.username, role), role=role, subject=data.username
        )
