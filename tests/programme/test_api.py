"""The programme over HTTP: who may do what, and a wave from scheduling to decree."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from litestar.testing import TestClient

from prakerja.api.auth import Role, TokenIssuer, build_jwt_auth
from prakerja.application.programme import Programme
from prakerja.container import Container
from tests.helpers import staff_headers
from tests.programme.conftest import (
    START,
    SimulatedClock,
    nik_of,
    save_verified,
    trained_participants,
)

WAVE = {
    "number": 1,
    "opens_at": START.isoformat(),
    "closes_at": (START + dt.timedelta(days=4)).isoformat(),
    "quota": 3,
    "priority_groups": [{"name": "laid_off", "rank": 1}],
    "partitions": 4,
}


def as_applicant(container: Container, applicant_id: UUID) -> dict[str, str]:
    issuer = TokenIssuer(build_jwt_auth(container.keys.token_secret, dt.timedelta(hours=1)))
    return {"Authorization": f"Bearer {issuer.issue(str(applicant_id), Role.APPLICANT)}"}


def test_only_ops_run_waves_and_everyone_signed_in_can_read_them(
    api: TestClient[Any], container: Container, programme: Programme
) -> None:
    [applicant_id] = save_verified(programme.applicants, [1])
    applicant = as_applicant(container, applicant_id)
    assert api.post("/v1/waves", json=WAVE, headers=applicant).status_code == 403
    assert api.post("/v1/waves", json=WAVE).status_code == 401
    created = api.post("/v1/waves", json=WAVE, headers=staff_headers(api, "bayu"))
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "scheduled"
    assert api.post("/v1/waves", json=WAVE, headers=staff_headers(api, "bayu")).status_code == 409
    finance = staff_headers(api, "sari")
    assert api.post("/v1/waves/1/open", headers=finance).status_code == 403
    assert api.post("/v1/waves/1/close", headers=finance).status_code == 403
    assert [w["number"] for w in api.get("/v1/waves", headers=applicant).json()] == [1]
    assert api.get("/v1/waves/1/draw", headers=applicant).status_code == 403
    assert api.get("/v1/waves/9", headers=applicant).json()["code"] == "wave_not_found"


def test_a_wave_from_schedule_to_decree_over_http(
    api: TestClient[Any], container: Container, programme: Programme, clock: SimulatedClock
) -> None:
    ids = save_verified(programme.applicants, range(8))
    ops = staff_headers(api, "bayu")
    auditor = staff_headers(api, "agus")
    assert api.post("/v1/waves", json=WAVE, headers=ops).status_code == 201
    listed = api.post(
        "/v1/waves/1/priority-groups/laid_off/members",
        json={"niks": [nik_of(0), nik_of(1)]},
        headers=ops,
    )
    assert listed.json() == {"added": 2, "already_listed": 0}
    assert api.post("/v1/waves/1/open", headers=ops).json()["status"] == "open"

    joins = [
        api.post(
            f"/v1/applicants/{applicant_id}/wave",
            json={"wave_number": 1, "skills_test_score": 81},
            headers=as_applicant(container, applicant_id),
        )
        for applicant_id in ids
    ]
    assert {j.status_code for j in joins} == {201}
    someone_else = api.post(
        f"/v1/applicants/{ids[0]}/wave",
        json={"wave_number": 1, "skills_test_score": 81},
        headers=as_applicant(container, ids[1]),
    )
    assert someone_else.status_code == 403
    assert api.get("/v1/waves/1", headers=ops).json()["joined"] == 8

    seed = "5e" * 32
    closed = api.post("/v1/waves/1/close", json={"seed": seed}, headers=ops)
    assert closed.status_code == 200, closed.text
    draw = closed.json()["draw"]
    assert (draw["seed"], draw["candidates"], draw["selected"]) == (seed, 8, 3)
    assert draw["priority_selected"] == 2
    assert api.post("/v1/waves/1/close", headers=ops).json()["draw"] == draw

    record = api.get("/v1/waves/1/draw", headers=auditor).json()
    assert len(record["candidates"]) == 8
    assert set(record["selected"][:2]) == {str(ids[0]), str(ids[1])}
    verified = api.get("/v1/waves/1/draw/verification", headers=auditor).json()
    assert verified["matches"] is True
    assert verified["recomputed"]["selected_sha256"] == draw["selected_sha256"]

    assert api.get("/v1/waves/1/decree", headers=auditor).json()["code"] == "no_decree"
    decree = {"sk_number": "SK-1/KP/2020", "sk_date": clock.now.date().isoformat()}
    decreed = api.post("/v1/waves/1/decree", json=decree, headers=ops)
    assert decreed.status_code == 202, decreed.text
    named = api.get("/v1/waves/1/decree", headers=auditor).json()
    assert named["named"] == record["selected"]
    assert named["decree"]["sk_number"] == "SK-1/KP/2020"

    programme.deliver_sks(1)
    first = UUID(record["selected"][0])
    status = api.get(f"/v1/applicants/{first}/status", headers=as_applicant(container, first))
    membership = status.json()["membership"]
    assert (membership["status"], membership["sk_number"]) == ("participant", "SK-1/KP/2020")
    assert membership["training_balance"] == 1_000_000
    history = api.get(f"/v1/applicants/{first}/history", headers=as_applicant(container, first))
    assert "SKIssued" in [entry["event"] for entry in history.json()["events"]]


def test_surveys_are_answered_in_order_once_each(
    api: TestClient[Any], container: Container, programme: Programme
) -> None:
    [applicant_id] = trained_participants(programme, 1, surveys=0)
    headers = as_applicant(container, applicant_id)
    url = f"/v1/applicants/{applicant_id}/surveys"
    assert api.post(f"{url}/2", json={"answers": {"q1": 3}}, headers=headers).status_code == 409
    assert api.post(f"{url}/1", json={"answers": {"q1": 3}}, headers=headers).status_code == 201
    again = api.post(f"{url}/1", json={"answers": {"q1": 3}}, headers=headers)
    assert again.json()["code"] == "unexpected_survey"


def test_finance_needs_the_ledger_of_postgresql(api: TestClient[Any]) -> None:
    summary = api.get("/v1/finance/summary", headers=staff_headers(api, "sari"))
    assert summary.status_code == 503
    assert summary.json()["code"] == "ledger_unavailable"
