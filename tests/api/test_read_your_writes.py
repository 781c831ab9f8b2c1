"""Read-your-writes on the reports: ``after`` beyond the log's end is a client's mistake
(a 400 problem at once), and only a position the log holds is worth waiting and retrying for."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from prakerja.api.app import create_app
from prakerja.bootstrap import bootstrap
from prakerja.container import Container
from prakerja.settings import ProjectionSettings, Settings
from tests.api.documented import DocumentedClient
from tests.api.test_registration_api import assert_problem
from tests.helpers import register, staff_headers

pytestmark = pytest.mark.postgres

WAIT_S = 1.0
REPORTS = [
    ("GET", "/v1/reports/funnel"),
    ("GET", "/v1/reports/rejections"),
    ("GET", "/v1/reports/rejections/events"),
    ("GET", "/v1/reports/waves"),
    ("GET", "/v1/reports/waves/1/roster"),
    ("GET", "/v1/reports/cases"),
    ("GET", "/v1/reports/pending"),
    ("POST", "/v1/reports/rule-preview"),
]


@pytest.fixture
def service(pg_settings: Settings) -> Iterator[Container]:
    """PostgreSQL without followers running: the read models stay where they are."""
    settings = pg_settings.model_copy(
        update={"projections": ProjectionSettings(read_wait_s=WAIT_S)}
    )
    built = bootstrap(settings)
    yield built
    built.close()


@pytest.fixture
def api(service: Container) -> Iterator[TestClient[Any]]:
    with DocumentedClient(app=create_app(service), raise_server_exceptions=False) as client:
        yield client


def read(api: TestClient[Any], method: str, path: str, after: int, ops: dict[str, str]) -> Any:
    body: dict[str, Any] | None = {} if method == "POST" else None
    return api.request(method, f"{path}?after={after}", json=body, headers=ops)


def test_a_position_beyond_the_log_is_refused_at_once_on_every_report(
    api: TestClient[Any],
) -> None:
    register(api)
    ops = staff_headers(api, "bayu")
    for method, path in REPORTS:
        started = time.monotonic()
        beyond = read(api, method, path, 10**12, ops)
        assert time.monotonic() - started < WAIT_S, path
        body = assert_problem(beyond, 400, "position_not_in_log")
        assert "retry-after" not in beyond.headers
        assert body["log_head"] >= 1


def test_a_position_the_log_holds_is_waited_for_then_retryable(api: TestClient[Any]) -> None:
    written = api.post(
        "/v1/applicants", json={"email": "fresh@example.com", "password": "rahasia-123"}
    ).json()["position"]
    ops = staff_headers(api, "bayu")
    behind = read(api, "GET", "/v1/reports/cases", written, ops)
    assert_problem(behind, 503, "read_model_behind")
    assert behind.headers["retry-after"] == "1"
    assert read(api, "GET", "/v1/reports/cases", 0, ops).status_code == 200
