"""Schemathesis against the live app (in process, over ASGI), on PostgreSQL with the
simulated government services: every operation's answers conform to the document
(status, content type, headers, the response schema) and none is a 5xx.

A short run, bounded for CI: ``PRAKERJA_SCHEMATHESIS_EXAMPLES`` examples per operation
(default 6, derandomized). A long one: ``PRAKERJA_SCHEMATHESIS_EXAMPLES=500`` (docs/api.md).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from litestar import Litestar
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from prakerja.api.app import create_app
from prakerja.api.auth import PUBLIC, Role
from prakerja.api.endpoints_doc import endpoints
from prakerja.bootstrap import bootstrap
from prakerja.container import Container
from prakerja.db.migrations import upgrade
from prakerja.db.server import DatabaseAddress
from prakerja.settings import LimitSettings, ServiceUrls, Settings
from prakerja.simulators import RunningSimulators
from prakerja.workers.pipeline import InProcessPipeline
from tests.api.documented import DocumentedClient
from tests.conftest import staff_accounts
from tests.helpers import FAST_HASHING, register, staff_headers

pytestmark = pytest.mark.postgres

EXAMPLES = int(os.environ.get("PRAKERJA_SCHEMATHESIS_EXAMPLES", "6"))
STAFF = {Role.OPS: "bayu", Role.REVIEWER: "rina", Role.AUDITOR: "agus", Role.FINANCE: "sari"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
UNLIMITED = LimitSettings.model_validate(
    {
        name: (10**9, 1)
        for name, f in LimitSettings.model_fields.items()
        if f.annotation == tuple[int, int]
    }
)


@dataclass
class Live:
    app: Litestar
    applicant_id: uuid.UUID
    headers: dict[str, dict[str, str]]
    """Credentials by operation (``METHOD /path``): a role the operation allows."""
    client: DocumentedClient
    """The app, started."""


def _settings(data_dir: Path, url: str, simulators: RunningSimulators) -> Settings:
    urls = simulators.urls
    return Settings(
        data_dir=data_dir,
        database_url=url,
        password_hashing=FAST_HASHING,
        staff=staff_accounts(),
        limits=UNLIMITED,
        services=ServiceUrls(
            civil_registry=urls.dukcapil,
            education=urls.education,
            exclusions=urls.exclusions,
            sms=urls.sms,
            email=urls.email,
            payments=urls.payments,
            retry_attempts=0,
        ),
    )


@pytest.fixture(scope="module")
def live(
    postgres_server: DatabaseAddress,
    simulators: RunningSimulators,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Live]:
    name = f"prakerja_schemathesis_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.conninfo, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    server = postgres_server
    address = DatabaseAddress(server.host, server.port, name, server.user, server.password)
    container: Container | None = None
    stack = contextlib.ExitStack()
    try:
        upgrade(address)
        url = (
            f"postgresql://{address.user}:{address.password}@/{address.dbname}"
            f"?host={address.host}&port={address.port}"
        )
        data_dir = tmp_path_factory.mktemp("schemathesis") / "var"
        container = bootstrap(_settings(data_dir, url, simulators))
        app = create_app(container)
        # The read models, dispatcher and workers, as `prakerja serve` runs them without a
        # broker: a read asking for ?after= a position gets an answer, not a 503.
        # Started once, here: Schemathesis runs the app's own startup again.
        pipeline = InProcessPipeline(container)
        pipeline.start()
        stack.callback(pipeline.stop)
        with DocumentedClient(app=app) as client:
            applicant_id, applicant = register(client, "schemathesis@example.com")
            staff = {role: staff_headers(client, user) for role, user in STAFF.items()}
            headers: dict[str, dict[str, str]] = {}
            for endpoint in endpoints(app):
                roles = endpoint.roles
                key = f"{endpoint.method} {endpoint.path}"
                if roles == PUBLIC:
                    headers[key] = {}
                elif Role.APPLICANT in roles:
                    headers[key] = applicant
                else:
                    headers[key] = next(staff[role] for role in STAFF if role in roles)
            yield Live(app, applicant_id, headers, client)
    finally:
        stack.close()
        if container is not None:
            container.close()
        with psycopg.connect(postgres_server.conninfo, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_live_api_answers_as_its_document_says(live: Live) -> None:
    """Each operation of the document, with examples generated from it (explicit ones
    first); every answer goes through the conformance checks."""
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", live.app)
    faults: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) == len(live.headers)
    for operation in operations:
        key = f"{operation.method.upper()} {operation.path}"
        try:
            _examine(operation, live, live.headers[key])
        except BaseExceptionGroup as error:  # schemathesis' failures, one group an operation
            faults[key] = str(error)[:3000]
    assert faults == {}, "\n\n".join(f"{k}\n{v}" for k, v in faults.items())


def _examine(operation: Any, live: Live, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: Any) -> None:
        if case.path_parameters and "applicant_id" in case.path_parameters:
            # Mostly their own case: with a stranger's id an applicant gets only a 403.
            case.path_parameters["applicant_id"] = str(live.applicant_id)
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
