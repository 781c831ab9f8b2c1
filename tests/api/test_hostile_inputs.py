"""Hostile inputs through every operation of the app's own OpenAPI document.

The table (:mod:`tests.api.hostile`) drives wrong types, numbers of 20 and 5,000 digits,
negative numbers, NUL and control characters, bytes that are not UTF-8, nesting 10,000
levels deep, 1 MB strings, wrong content types, hostile multipart fields and headers
into every path, query and body parameter of every operation, with valid tokens of a
role each operation allows. The answer is never a 5xx; a case the service must refuse
gets a 4xx problem (``application/problem+json`` with a ``code``), and every problem
answered is one the operation's OpenAPI responses document, with that code. The one 5xx allowed
is a 503 saying a part the service depends on is absent (the in-memory service has no
read models or ledger; no payment provider runs here; the readiness probe's own answer),
and only for an input that is otherwise acceptable.

The operations driven are compared with the document's, so a new endpoint is covered
without a change here. It runs on the in-memory service and on PostgreSQL (where a NUL
in text, or a number out of a column's range, would fail a query).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from prakerja.api.app import create_app
from prakerja.api.auth import PUBLIC, Role
from prakerja.api.endpoints_doc import endpoints
from prakerja.api.routes.training_webhooks import TrainingEventIn
from prakerja.bootstrap import bootstrap
from prakerja.clients.training import DEVELOPMENT_SECRET, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from prakerja.container import Container
from prakerja.db.migrations import upgrade
from prakerja.db.server import DatabaseAddress
from prakerja.settings import LimitSettings, ServiceUrls, Settings
from tests.api import hostile
from tests.api.documented import Documented, DocumentedClient
from tests.api.hostile import Case, Target
from tests.api.openapi import operations
from tests.conftest import staff_accounts
from tests.helpers import FAST_HASHING, register, staff_headers

STAFF = {Role.OPS: "bayu", Role.REVIEWER: "rina", Role.AUDITOR: "agus", Role.FINANCE: "sari"}
WEBHOOK = "POST /v1/training/webhooks/{platform}"
SELF_READ_BODIES = {WEBHOOK: TrainingEventIn.model_json_schema()}
"""Operations that read their body themselves (a signed webhook is checked as bytes
first), so the document shows no body: the model they parse it with."""
PATH_SAMPLES = {"platform": "skillhub", "username": "rina", "group": "laid_off_workers"}
DEPENDENCY_ABSENT = {"read_models_unavailable", "ledger_unavailable", "service_unavailable"}
PROBE = "GET /ready"
"""Its 503 is its answer when the database is out of reach (a busy shared server that
refuses new connections is), not a problem document."""
NOWHERE = "http://127.0.0.1:9"
"""Where the external services are (nothing listens): no call reaches anyone's simulator."""
UNLIMITED = LimitSettings.model_validate(
    {
        name: (10**9, 1)
        for name, f in LimitSettings.model_fields.items()
        if f.annotation == tuple[int, int]
    }
)
"""The abuse limits would soon answer 429 to everything, hiding what lies behind them."""


class Hostile:
    """The service under attack, its document, and who may call what."""

    def __init__(self, client: TestClient[Any], container: Container) -> None:
        self.client = client
        self.container = container
        self.doc: dict[str, Any] = client.get("/schema/openapi.json").json()
        self.documented = Documented(self.doc)
        self.applicant_id, self.applicant = register(client, "hostile@example.com")
        self.staff = {role: staff_headers(client, name) for role, name in STAFF.items()}
        self.roles = {f"{e.method} {e.path}": e.roles for e in endpoints(client.app)}

    def targets(self) -> list[Target]:
        found = []
        for operation in operations(self.doc):
            path_values = {p["name"]: self._path_sample(p) for p in operation.parameters("path")}
            media: str | None = next(iter(operation.body_media_types()), None)
            schema = operation.body_schema()
            if operation.key in SELF_READ_BODIES:
                schema, media = SELF_READ_BODIES[operation.key], "application/json"
            found.append(Target(operation, path_values, schema, media, self.applicant_id))
        return found

    def _path_sample(self, parameter: dict[str, Any]) -> str:
        name = parameter["name"]
        if name == "applicant_id":
            return str(self.applicant_id)
        if name in PATH_SAMPLES:
            return PATH_SAMPLES[name]
        value = hostile.example(self.doc, parameter["schema"], uuid.uuid4())
        return str(value)

    def credentials(self, operation: str) -> dict[str, str]:
        allowed = self.roles[operation]
        if allowed == PUBLIC:
            return {}
        if Role.APPLICANT in allowed:
            return self.applicant
        return next(self.staff[role] for role in STAFF if role in allowed)

    def send(self, case: Case) -> Any:
        headers: dict[str, str | bytes] = {**self.credentials(case.operation)}
        if case.operation == WEBHOOK:
            headers.update(self._signature(case.content or b""))
        headers.update(case.headers)
        raw = [(k.encode(), v if isinstance(v, bytes) else v.encode()) for k, v in headers.items()]
        return self.client.request(case.method, case.url, content=case.content, headers=raw)

    def _signature(self, body: bytes) -> dict[str, str]:
        stamp = int(self.container.applicants.clock().timestamp())
        signature = sign(DEVELOPMENT_SECRET.encode(), stamp, body)
        return {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: signature}

    def fault(self, case: Case) -> str | None:
        """What is wrong with the service's answer to ``case``, if anything."""
        response = self.send(case)
        status = response.status_code
        problem = response.headers.get("content-type", "").startswith("application/problem+json")
        code = response.json().get("code") if problem else None
        said = f"{status} {code or response.text[:120]!r}"
        documented = self.documented.fault(case.method, case.url, response)
        if documented is not None:
            return f"{case.describe()}: the document lies: {documented}"
        if case.family == "baseline" and status == 400:
            return f"{case.describe()}: refused ({said}); the baseline needs a valid sample"
        if status >= 500:
            absent = (
                status == 503
                and not case.must_refuse
                and (code in DEPENDENCY_ABSENT or case.operation == PROBE)
            )
            return None if absent else f"{case.describe()}: {said}"
        if case.must_refuse and not 400 <= status < 500:
            return f"{case.describe()}: accepted ({said})"
        if 400 <= status < 500 and not (problem and isinstance(code, str) and code):
            return f"{case.describe()}: {status} without a problem code"
        return None


def _webhook_headers(target: Target) -> Iterator[Case]:
    """The webhook's own headers: its timestamp and signature."""
    if target.operation.key != WEBHOOK:
        return
    content = hostile.encode(hostile.example({}, SELF_READ_BODIES[WEBHOOK], uuid.uuid4()))
    values = [
        ("20 digits", TIMESTAMP_HEADER, b"9" * 20),
        ("minus 20 digits", TIMESTAMP_HEADER, b"-" + b"9" * 20),
        ("Arabic-Indic digits", TIMESTAMP_HEADER, "\u0661\u0662".encode()),
        ("NUL", TIMESTAMP_HEADER, b"1\x00"),
        ("not ASCII", SIGNATURE_HEADER, "v1=\u00e9".encode()),
        ("NUL", SIGNATURE_HEADER, b"v1=\x00"),
        ("10,000 bytes", SIGNATURE_HEADER, b"v1=" + b"a," * 5_000),
    ]
    for label, name, value in values:
        yield Case(
            target.operation.key,
            "header",
            label,
            True,
            target.method,
            target.url(),
            content,
            {"content-type": "application/json", name: value},
            name,
        )


FAMILIES: dict[str, Callable[[Hostile, Target], Iterator[Case]]] = {
    "baseline": lambda h, t: hostile.baseline(h.doc, t),
    "path": lambda h, t: hostile.parameters(h.doc, t, "path"),
    "query": lambda h, t: hostile.parameters(h.doc, t, "query"),
    "body field": lambda h, t: hostile.body_fields(h.doc, t),
    "whole body": lambda h, t: hostile.whole_bodies(h.doc, t),
    "multipart": lambda h, t: hostile.multipart(h.doc, t),
    "header": lambda h, t: itertools.chain(
        hostile.headers(h.doc, t, h.roles[t.operation.key] == PUBLIC), _webhook_headers(t)
    ),
}


def _settings(data_dir: Path, database_url: str | None = None) -> Settings:
    return Settings(
        data_dir=data_dir,
        password_hashing=FAST_HASHING,
        staff=staff_accounts(),
        limits=UNLIMITED,
        services=ServiceUrls(
            civil_registry=NOWHERE,
            education=NOWHERE,
            exclusions=NOWHERE,
            sms=NOWHERE,
            email=NOWHERE,
            payments=NOWHERE,
            connect_timeout_s=0.2,
            retry_attempts=0,
        ),
        database_url=database_url,
    )


@pytest.fixture(
    scope="module", params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def attacked(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hostile]:
    data_dir = tmp_path_factory.mktemp(f"hostile-{request.param}") / "var"
    if request.param == "memory":
        container = bootstrap(_settings(data_dir), in_memory=True)
        yield from _attack(container)
        return
    server: DatabaseAddress = request.getfixturevalue("postgres_server")
    name = f"prakerja_hostile_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.conninfo, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    address = DatabaseAddress(server.host, server.port, name, server.user, server.password)
    try:
        upgrade(address)
        url = (
            f"postgresql://{address.user}:{address.password}@/{address.dbname}"
            f"?host={address.host}&port={address.port}"
        )
        yield from _attack(bootstrap(_settings(data_dir, url)))
    finally:
        _drop(server, name)


def _drop(server: DatabaseAddress, name: str) -> None:
    """Drop the database; on the embedded server the connection doing it has been seen to
    close as the drop finishes, so a second try makes sure it is gone."""
    for attempt in range(3):
        try:
            with psycopg.connect(server.conninfo, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.OperationalError:
            if attempt == 2:
                raise


def _attack(container: Container) -> Iterator[Hostile]:
    try:
        app = create_app(container)
        with DocumentedClient(app=app, raise_server_exceptions=False, strict=False) as client:
            yield Hostile(client, container)
    finally:
        container.close()


@pytest.mark.parametrize("family", list(FAMILIES))
def test_no_hostile_input_gets_a_5xx_and_each_refusal_is_a_problem(
    attacked: Hostile, family: str
) -> None:
    cases = [case for target in attacked.targets() for case in FAMILIES[family](attacked, target)]
    faults = [fault for case in cases if (fault := attacked.fault(case))]
    assert faults == [], f"{len(faults)} of {len(cases)}:\n" + "\n".join(faults[:60])


def test_every_operation_and_parameter_of_the_document_is_driven(attacked: Hostile) -> None:
    documented = {operation.key for operation in operations(attacked.doc)}
    assert documented == set(attacked.roles), "the document and the routes served differ"
    targets = attacked.targets()
    cases = [
        case
        for target in targets
        for build in FAMILIES.values()
        for case in build(attacked, target)
    ]
    assert {case.operation for case in cases} == documented
    assert {(c.operation, c.target) for c in cases if c.family in ("path", "query")} == {
        (t.operation.key, f"{p['in']} {p['name']}")
        for t in targets
        for p in t.operation.spec.get("parameters", [])
    }
    with_json = {t.operation.key for t in targets if t.media_type == "application/json"}
    assert {c.operation for c in cases if c.family == "body field"} == with_json
    multipart = {t.operation.key for t in targets if t.media_type == "multipart/form-data"}
    assert {c.operation for c in cases if c.family == "multipart"} == multipart
    for family in ("baseline", "whole body", "header"):
        assert {c.operation for c in cases if c.family == family} == documented
