"""Who may call what: every endpoint the app serves, for every kind of caller.

The routes are read from the Litestar app itself, so an endpoint added anywhere is in
the matrix the moment it is registered, and one that declares no roles fails here. For
each endpoint and each caller (anonymous, the applicant whose case it is, another
applicant, and each staff role) a real request is made: the guard must refuse exactly
those the declared roles exclude, and let the others through to the handler (whatever
the handler then answers to an empty body is not this test's business). The table in
``docs/endpoints.md`` is generated from the same enumeration and checked here.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from prakerja.api.auth import OTHER_CASE, PUBLIC, ROLE_REFUSED, Role, build_jwt_auth
from prakerja.api.endpoints_doc import Endpoint, endpoints, render
from prakerja.container import Container
from tests.helpers import IDENTITY, staff_headers, verified_email

DOCS = Path(__file__).resolve().parents[2] / "docs" / "endpoints.md"
STAFF = {"reviewer": "rina", "auditor": "agus", "ops": "bayu", "finance": "sari"}
CALLERS = ("anonymous", "applicant", "other applicant", *STAFF)
_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
_SAMPLES = {
    "int": "1",
    "float": "1.0",
    "decimal": "1",
    "date": "2020-04-11",
    "datetime": "2020-04-11T09:00:00Z",
}


@dataclass
class World:
    client: TestClient[Any]
    container: Container
    owner: UUID
    headers: dict[str, dict[str, str]]


@pytest.fixture
def world(client: TestClient[Any], container: Container) -> World:
    owner, owner_headers = verified_email(client, container.applicants, "owner@example.com")
    _, other_headers = verified_email(client, container.applicants, "other@example.com")
    identity = client.put(f"/v1/applicants/{owner}/identity", json=IDENTITY, headers=owner_headers)
    assert identity.status_code == 202, identity.text
    headers = {"anonymous": {}, "applicant": owner_headers, "other applicant": other_headers}
    headers.update({role: staff_headers(client, name) for role, name in STAFF.items()})
    return World(client, container, owner, headers)


def url_for(endpoint: Endpoint, owner: UUID) -> str:
    def fill(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2) or "str"
        if name == "applicant_id":
            return str(owner)
        if kind == "uuid":
            return str(uuid.uuid4())
        return _SAMPLES.get(kind, "x")

    return _PARAM.sub(fill, endpoint.template)


def expected(endpoint: Endpoint, caller: str) -> str:
    """What the guard must do: ``pass``, ``401``, ``role`` or ``other case``."""
    if endpoint.roles == PUBLIC:
        return "pass"
    if caller == "anonymous":
        return "401"
    role = Role.APPLICANT if caller.endswith("applicant") else Role(caller)
    if role not in endpoint.roles:
        return "role"
    if caller == "other applicant" and endpoint.own_case_only:
        return "other case"
    return "pass"


def observed(response: Any) -> str:
    body = response.json() if response.content else {}
    code = body.get("code") if isinstance(body, dict) else None
    if response.status_code == 401 and code == "unauthorized":
        return "401"
    if response.status_code == 403 and code == "forbidden":
        return {ROLE_REFUSED: "role", OTHER_CASE: "other case"}.get(body["detail"], "forbidden")
    return "pass"


def call(world: World, endpoint: Endpoint, caller: str) -> Any:
    body: dict[str, Any] | None = (
        {} if endpoint.method in ("POST", "PUT", "PATCH", "DELETE") else None
    )
    return world.client.request(
        endpoint.method,
        url_for(endpoint, world.owner),
        json=body,
        headers=world.headers[caller],
    )


def test_every_endpoint_declares_who_may_call_it(client: TestClient[Any]) -> None:
    served = endpoints(client.app)
    assert len(served) >= 20
    undeclared = [f"{e.method} {e.path}" for e in served if e.roles is None]
    assert undeclared == [], "declare opt=roles(...) or opt=public() on these routes"
    for endpoint in served:
        assert endpoint.roles == PUBLIC or (
            isinstance(endpoint.roles, frozenset) and endpoint.roles <= set(Role)
        ), endpoint


def test_routes_open_to_applicants_name_the_case_or_only_read(client: TestClient[Any]) -> None:
    """The guard keeps an applicant to their own ``applicant_id``. A route open to
    applicants without one in its path (the list of waves, say) may only read: a write
    there could reach another applicant's case some other way."""
    loose = [
        f"{e.method} {e.path}"
        for e in endpoints(client.app)
        if e.roles != PUBLIC
        and Role.APPLICANT in e.roles
        and not e.own_case_only
        and e.method != "GET"
    ]
    assert loose == []


def test_every_endpoint_for_every_caller(world: World) -> None:
    mismatches = []
    # The owner's id is in every URL (and echoed as the problem's ``instance``); the
    # case's contents must never reach another applicant.
    secrets = (IDENTITY["nik"], IDENTITY["full_name"], "owner@example.com")
    for endpoint in endpoints(world.client.app):
        for caller in CALLERS:
            want = expected(endpoint, caller)
            response = call(world, endpoint, caller)
            got = observed(response)
            if got != want:
                mismatches.append(f"{endpoint.method} {endpoint.path} as {caller}: {got} != {want}")
            if caller == "other applicant" and any(s in response.text for s in secrets):
                mismatches.append(f"{endpoint.method} {endpoint.path} shows the owner's case")
    assert mismatches == []


def test_an_applicant_never_reads_or_changes_another_applicants_case(world: World) -> None:
    before = world.container.applicants.get(world.owner).version
    case_routes = [
        e
        for e in endpoints(world.client.app)
        if e.own_case_only and e.roles != PUBLIC and Role.APPLICANT in e.roles
    ]
    assert {"GET", "PUT", "POST"} <= {e.method for e in case_routes}
    for endpoint in case_routes:
        response = call(world, endpoint, "other applicant")
        assert response.status_code == 403, (endpoint, response.text)
        assert response.json()["detail"] == OTHER_CASE
        assert IDENTITY["nik"] not in response.text
    # Even with well-formed bodies, nothing about the owner's case changes.
    owner = f"/v1/applicants/{world.owner}"
    other = world.headers["other applicant"]
    for method, path, body in [
        ("PUT", "/identity", {**IDENTITY, "full_name": "Someone Else"}),
        ("POST", "/phone/otp", {"phone": "0812 3456 7890"}),
        ("POST", "/phone/verification", {"code": "123456"}),
        ("POST", "/disputes", {"stage": "identity", "statement": "Not my data, change it."}),
    ]:
        response = world.client.request(method, owner + path, json=body, headers=other)
        assert response.status_code == 403, (path, response.text)
    assert world.container.applicants.get(world.owner).version == before


def test_the_endpoint_table_in_the_docs_is_the_code(client: TestClient[Any]) -> None:
    assert DOCS.read_text() == render(client.app), (
        "docs/endpoints.md is out of date: run `prakerja endpoints --write docs/endpoints.md`"
    )


def test_a_forged_token_or_an_unknown_role_is_refused(world: World) -> None:
    ttl = dt.timedelta(minutes=5)
    forged = build_jwt_auth("not-the-service-secret" * 2, ttl).create_token(
        identifier="rina", token_extras={"role": "auditor"}
    )
    unknown = build_jwt_auth(world.container.keys.token_secret, ttl).create_token(
        identifier="mallory", token_extras={"role": "admin"}
    )
    for token in (forged, unknown):
        response = world.client.get(
            f"/v1/applicants/{world.owner}/history", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, response.text
