"""The same review on PostgreSQL: the queue kept by its follower, read-your-writes, and a
durable, append-only access log."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from prakerja.api.app import create_app
from prakerja.bootstrap import bootstrap
from prakerja.container import Container
from prakerja.eventstore.position import Position
from prakerja.projections.review_queue import review_queue_follower
from prakerja.settings import Settings
from tests.api.documented import DocumentedClient
from tests.helpers import IDENTITY, staff_headers
from tests.review.support import JUSTIFICATION, face_band_case

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_client(pg_container: Container) -> Iterator[TestClient[Any]]:
    with DocumentedClient(app=create_app(pg_container), raise_server_exceptions=False) as client:
        yield client


def test_the_queue_follows_the_log_and_the_access_log_is_durable(
    pg_client: TestClient[Any], pg_container: Container, pg_settings: Settings
) -> None:
    applicant_id, _ = face_band_case(pg_client, pg_container)
    assert pg_container.pool is not None
    follower = review_queue_follower(pg_container.applicants, pg_container.pool)
    rina, dewi = staff_headers(pg_client, "rina"), staff_headers(pg_client, "dewi")
    assert pg_client.get("/v1/reviews/queue", headers=rina).json()["entries"] == []
    follower.catch_up()
    [entry] = pg_client.get("/v1/reviews/queue", headers=rina).json()["entries"]
    assert (entry["kind"], entry["masked_nik"]) == ("face_review", "3201********0001")

    stop = threading.Event()
    running = threading.Thread(target=follower.run, args=(stop, 0.02), daemon=True)
    running.start()
    try:
        taken = pg_client.post(
            "/v1/reviews", json={"applicant_id": str(applicant_id), "stage": "face"}, headers=rina
        ).json()
        review = taken["review_id"]
        # Read-your-writes: the list waits for the follower to pass the write's position.
        after = {"after": taken["position"]}
        [held] = pg_client.get("/v1/reviews/queue", params=after, headers=rina).json()["entries"]
        assert (held["review_status"], held["holder"]) == ("taken", "rina")
        assert pg_client.get(f"/v1/reviews/{review}", headers=rina).status_code == 200
        proposed = pg_client.post(
            f"/v1/reviews/{review}/decision",
            json={"outcome": "accept", "justification": JUSTIFICATION},
            headers=rina,
        ).json()
        pending = pg_client.get(
            "/v1/reviews/queue",
            params={"after": proposed["position"], "status": "pending_approval"},
            headers=dewi,
        ).json()["entries"]
        assert [p["proposed_by"] for p in pending] == ["rina"]
        assert (
            pg_client.post(
                f"/v1/reviews/{review}/approval",
                json={"justification": "Agreed, same person."},
                headers=rina,
            ).status_code
            == 403
        )
        approved = pg_client.post(
            f"/v1/reviews/{review}/approval",
            json={"justification": "Agreed, same person."},
            headers=dewi,
        ).json()
        done = pg_client.get(
            "/v1/reviews/queue", params={"after": approved["position"]}, headers=rina
        ).json()
        assert done["entries"] == []
        assert Position.parse(done["position"]) >= Position.parse(approved["position"])
    finally:
        stop.set()
        running.join(5)

    pg_client.get(f"/v1/reviews/{review}", headers=dewi)  # decided: shown masked, not logged
    # A restart (a new service on the same database) still knows who saw the NIK.
    again = bootstrap(pg_settings)
    try:
        with DocumentedClient(app=create_app(again)) as fresh:
            seen = fresh.get(
                f"/v1/audit/access/applicants/{applicant_id}",
                params={"field": "nik"},
                headers=staff_headers(fresh, "agus"),
            ).json()["entries"]
    finally:
        again.close()
    assert [(e["staff"], e["fields"]) for e in seen] == [("rina", ["full_name", "nik"])]
    assert IDENTITY["nik"] not in str(seen)

    assert pg_container.database is not None
    with psycopg.connect(pg_container.database.conninfo, autocommit=True) as conn:
        for statement in (
            "DELETE FROM personal_data_access",
            "UPDATE personal_data_access SET staff = 'nobody'",
            "TRUNCATE personal_data_access",
        ):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(statement)
        masked = conn.execute("SELECT masked_nik FROM review_queue").fetchall()
        assert masked == []
