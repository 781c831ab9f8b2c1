"""The access log: who saw an applicant's personal data, when, which fields, through what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from litestar.testing import TestClient

from prakerja.api import presenters
from prakerja.container import Container
from prakerja.security.access_log import (
    PERSONAL_FIELDS,
    AccessEntry,
    AccessLog,
    AccessQuery,
    InMemoryAccessLog,
    PostgresAccessLog,
)
from tests.helpers import IDENTITY, staff_headers, verified_email

T0 = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)


def test_every_field_the_presenters_mask_counts_as_personal_data() -> None:
    assert set(presenters._PERSONAL) <= PERSONAL_FIELDS


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def log(request: pytest.FixtureRequest) -> Iterator[AccessLog]:
    if request.param == "memory":
        yield InMemoryAccessLog()
        return
    container: Container = request.getfixturevalue("pg_container")
    assert container.pool is not None
    yield PostgresAccessLog(container.pool)


def test_who_saw_this_nik_and_when(log: AccessLog) -> None:
    siti, budi = uuid4(), uuid4()
    entries = [
        AccessEntry(T0, "rina", "reviewer", siti, ("full_name", "nik"), "GET /v1/reviews/{id}"),
        AccessEntry(T0 + dt.timedelta(hours=1), "agus", "auditor", siti, ("email",), "GET /h"),
        AccessEntry(T0 + dt.timedelta(hours=2), "dewi", "reviewer", budi, ("nik",), "GET /r"),
        AccessEntry(T0 + dt.timedelta(hours=3), "agus", "auditor", siti, ("nik",), "GET /h", "r1"),
    ]
    for entry in entries:
        log.record(entry)
    nik = log.for_applicant(siti, AccessQuery(field="nik"))
    assert [(e.staff, e.at) for e in nik] == [("agus", entries[3].at), ("rina", T0)]
    assert nik[0].request_id == "r1" and nik[1].fields == ("full_name", "nik")
    window = AccessQuery(since=T0 + dt.timedelta(minutes=30), until=T0 + dt.timedelta(hours=2))
    assert [e.staff for e in log.for_applicant(siti, window)] == ["agus"]
    assert [e.applicant_id for e in log.by_staff("agus", AccessQuery())] == [siti, siti]
    assert len(log.by_staff("agus", AccessQuery(limit=1))) == 1
    assert log.by_staff("bayu", AccessQuery()) == []


def test_staff_reads_in_clear_are_logged_and_nothing_else_is(
    client: TestClient[Any], container: Container
) -> None:
    applicant_id, own = verified_email(client, container.applicants)
    assert (
        client.put(
            f"/v1/applicants/{applicant_id}/identity", json=IDENTITY, headers=own
        ).status_code
        == 202
    )
    auditor, reviewer = staff_headers(client, "agus"), staff_headers(client, "rina")
    case = f"/v1/applicants/{applicant_id}"
    assert client.get(f"{case}/history", headers=own).status_code == 200  # own case: no trace
    assert client.get(f"{case}/status", headers=reviewer).status_code == 200  # no personal data
    history = client.get(f"{case}/history", headers=auditor, params={}).json()
    assert history["events"][-1]["data"]["nik"] == IDENTITY["nik"]
    audit = f"/v1/audit/access/applicants/{applicant_id}"
    [entry] = client.get(audit, headers=auditor).json()["entries"]
    assert entry["staff"] == "agus" and entry["role"] == "auditor"
    assert entry["endpoint"] == "GET /v1/applicants/{applicant_id}/history"
    assert set(entry["fields"]) == {
        "email",
        "nik",
        "kk_number",
        "full_name",
        "birth_date",
        "mother_maiden_name",
    }
    assert entry["request_id"]
    at = dt.datetime.fromisoformat(entry["at"])
    assert abs(at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert client.get(audit, headers=reviewer).status_code == 403
    assert client.get(audit, params={"field": "phone"}, headers=auditor).json()["entries"] == []
    mine = client.get("/v1/audit/access/staff/agus", headers=auditor).json()["entries"]
    assert [e["applicant_id"] for e in mine] == [str(applicant_id)]
