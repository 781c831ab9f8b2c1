"""``/metrics``: open to the scraper only, labelled by route template, counting what happens."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from typing import Any

import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from prakerja.api.app import create_app
from prakerja.container import Container
from prakerja.metrics import families as families_module
from prakerja.settings import LimitSettings, Mode, Settings
from tests.helpers import register

Samples = dict[str, list[tuple[dict[str, str], float]]]


def scrape(client: TestClient[Any]) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def value(samples: Samples, name: str, **labels: str) -> float:
    return sum(v for found, v in samples.get(name, []) if labels.items() <= found.items())


def test_metrics_need_no_token_count_no_limit_and_are_not_documented(
    settings: Settings, container: Container
) -> None:
    strict = settings.model_copy(
        update={"mode": Mode.DEVELOPMENT, "limits": LimitSettings(trusted_clients=[])}
    )
    container.settings = strict
    with TestClient(app=create_app(container)) as client:
        for _ in range(50):
            assert client.get("/metrics", headers={"authorization": "Bearer junk"}).status_code == (
                200
            )
        assert "/metrics" not in client.get("/schema/openapi.json").json()["paths"]


def test_requests_are_counted_by_route_template_never_by_path(client: TestClient[Any]) -> None:
    template = "/v1/applicants/{applicant_id}/status"
    requests = "prakerja_http_requests_total"
    durations = "prakerja_http_request_duration_seconds_count"
    before = scrape(client)
    applicant_id, headers = register(client)
    assert client.get(f"/v1/applicants/{applicant_id}/status", headers=headers).status_code == 200
    other = uuid.uuid4()
    assert client.get(f"/v1/applicants/{other}/status", headers=headers).status_code == 403
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew(requests, path=template, status_code="200", method="GET") == 1
    assert grew(requests, path=template, status_code="403") == 1
    assert grew(requests, path="/v1/applicants", method="POST", status_code="201") == 1
    assert grew(durations, path=template) == 2
    paths = {labels["path"] for labels, _ in after[requests]}
    assert not [p for p in paths if str(applicant_id) in p or str(other) in p]


def test_events_written_are_counted_by_type(client: TestClient[Any]) -> None:
    before = value(scrape(client), "prakerja_events_written_total", type="Applicant.Registered")
    register(client, "rina.events@example.com")
    after = scrape(client)
    assert value(after, "prakerja_events_written_total", type="Applicant.Registered") == before + 1
    assert value(after, "prakerja_events_written_total", type="UniqueKey.Claimed") >= 1


def test_a_refusal_by_rate_limit_is_counted(settings: Settings, container: Container) -> None:
    container.settings = settings.model_copy(
        update={"limits": LimitSettings(trusted_clients=[], register_per_email=(1, 3600))}
    )
    with TestClient(app=create_app(container)) as client:
        refusals = "prakerja_rate_limit_refusals_total"
        before = value(scrape(client), refusals, limit="register_per_email")
        body = {"email": "twice@example.com", "password": "rahasia-123"}
        client.post("/v1/applicants", json=body)
        assert client.post("/v1/applicants", json=body).status_code == 429
        refused = scrape(client)
    assert value(refused, refusals, limit="register_per_email") == before + 1


@pytest.mark.postgres
def test_the_database_state_is_read_at_scrape_time(pg_container: Container) -> None:
    assert pg_container.pool is not None
    now = dt.datetime.now(dt.UTC)
    later = now + dt.timedelta(minutes=5)
    with TestClient(app=create_app(pg_container)) as client:
        register(client, "state@example.com")
        with pg_container.pool.connection() as conn:
            conn.execute(
                "INSERT INTO work_items (applicant_id, step, created_at, due_at) VALUES"
                " (%s, 'validate_nik', %s, %s), (%s, 'validate_nik', %s, %s)",
                (uuid.uuid4(), now, now - dt.timedelta(minutes=5), uuid.uuid4(), now, later),
            )
            conn.execute(
                "INSERT INTO log_positions (name, last_error) VALUES"
                " ('dispatcher', 'ValueError: boom')"
            )
        samples = scrape(client)
        families = {f.name for f in text_string_to_metric_families(client.get("/metrics").text)}
    assert value(samples, "prakerja_state_up") == 1
    assert value(samples, "prakerja_work_items", stage="identity", state="due") == 1
    assert value(samples, "prakerja_work_items", stage="identity", state="waiting") == 1
    assert value(samples, "prakerja_work_items", stage="email", state="due") == 0
    assert 299 <= value(samples, "prakerja_work_oldest_due_seconds", stage="identity") < 400
    assert value(samples, "prakerja_event_log_head") >= 2
    assert value(samples, "prakerja_log_horizon_events_behind") >= 0
    assert value(samples, "prakerja_projection_failed", follower="dispatcher") == 1
    # The applicant's events (registered): the dispatcher's topics, not the key's.
    assert value(samples, "prakerja_projection_lag_events", follower="dispatcher") == 1
    assert value(samples, "prakerja_projection_lag_seconds", follower="dispatcher") > 0
    assert "prakerja_funnel_applicants" in families


@pytest.mark.postgres
def test_an_unreadable_database_says_so_and_the_scrape_still_answers(
    pg_container: Container,
) -> None:
    assert pg_container.pool is not None
    with pg_container.pool.connection() as conn:
        conn.execute("ALTER TABLE work_items RENAME TO work_items_away")
    try:
        with TestClient(app=create_app(pg_container)) as client:
            samples = scrape(client)
    finally:
        with pg_container.pool.connection() as conn:
            conn.execute("ALTER TABLE work_items_away RENAME TO work_items")
    assert value(samples, "prakerja_state_up") == 0


def test_threads_counting_at_once_in_a_fresh_process_register_each_family_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = families_module.families()
    calls: list[int] = []
    start = threading.Barrier(8)

    def slow_registration() -> families_module.Families:
        calls.append(1)
        time.sleep(0.05)  # two threads inside at once would register twice
        return built

    monkeypatch.setattr(families_module, "_built", None)
    monkeypatch.setattr(families_module, "_registered", slow_registration)
    errors: list[BaseException] = []

    def first_count() -> None:
        start.wait()
        try:
            assert families_module.families() is built
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=first_count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(calls) == 1
