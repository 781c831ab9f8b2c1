"""The reports API: staff only, paginated, and able to wait for a client's own write."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from litestar.testing import TestClient

from prakerja.container import Container
from prakerja.domain.nik import mask_nik
from prakerja.eventstore.position import Position
from prakerja.projections.funnel import MILESTONES
from tests.helpers import register, staff_headers
from tests.projections import reference
from tests.projections.conftest import Running
from tests.projections.population import Person
from tests.projections.test_read_models import catch_up

pytestmark = pytest.mark.postgres


def follow(api: TestClient[Any], path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every item of a keyset-paginated list."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        sep = "&" if "?" in path else "?"
        url = path + (f"{sep}cursor={cursor}" if cursor else "")
        response = api.get(url, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_only_staff_read_reports_and_each_role_its_own(api: TestClient[Any]) -> None:
    _, applicant = register(api, "curious@example.com")
    assert api.get("/v1/reports/funnel").status_code == 401
    assert api.get("/v1/reports/funnel", headers=applicant).status_code == 403
    finance = staff_headers(api, "sari")
    assert api.get("/v1/reports/funnel", headers=finance).status_code == 200
    assert api.get("/v1/reports/waves", headers=finance).status_code == 200
    assert api.get("/v1/reports/cases", headers=finance).status_code == 403
    assert api.get("/v1/reports/pending", headers=staff_headers(api, "agus")).status_code == 403


def test_funnel_report_counts_drop_off_and_breaks_down_by_province(
    populated: Container, api: TestClient[Any]
) -> None:
    catch_up(populated)
    ops = staff_headers(api, "bayu")
    body = api.get("/v1/reports/funnel", headers=ops).json()
    expected: Counter[str] = Counter()
    for (milestone, _, _, _), count in reference.funnel(populated).items():
        expected[milestone] += count
    stages = {row["milestone"]: row for row in body["stages"]}
    assert [row["milestone"] for row in body["stages"]][: len(MILESTONES)] == list(MILESTONES)
    for milestone, row in stages.items():
        assert row["applicants"] == expected[milestone], milestone
    assert stages["email_verified"]["drop_off"] == (
        expected["registered"] - expected["email_verified"]
    )
    # Half the population verifies the phone before the identity, so more phones are
    # verified than faces matched: the phone's drop-off counts from the verified email.
    assert expected["phone_verified"] > expected["face_matched"]
    phone = stages["phone_verified"]
    assert phone["after"] == "email_verified"
    assert phone["drop_off"] == expected["email_verified"] - expected["phone_verified"]
    assert stages["not_excluded"]["after"] == "nik_valid"
    assert all(row["drop_off"] is None or row["drop_off"] >= 0 for row in body["stages"])
    first = api.get("/v1/reports/funnel?by=province&limit=2", headers=ops).json()["breakdown"]
    rest = api.get("/v1/reports/funnel?by=province&limit=50&offset=2", headers=ops).json()
    groups = [g["group"] for g in first + rest["breakdown"]]
    assert len(first) == 2 and groups == sorted(groups) and len(set(groups)) == len(groups)
    jakarta = api.get("/v1/reports/funnel?province=31", headers=ops).json()["stages"]
    assert 0 < jakarta[0]["applicants"] < stages["registered"]["applicants"]
    wave = api.get("/v1/reports/funnel?wave=1", headers=ops).json()["stages"]
    assert {s["milestone"] for s in wave if s["applicants"]} <= {
        "joined_wave",
        "selected",
        "not_selected",
        "training_bought",
        "training_completed",
        "paid",
        "revoked",
    }


def test_case_search_pages_through_everyone_once_and_finds_by_masked_nik(
    populated: Container, api: TestClient[Any], people: list[Person]
) -> None:
    catch_up(populated)
    reviewer = staff_headers(api, "rina")
    everyone = follow(api, "/v1/reports/cases?limit=7", reviewer)
    assert len(everyone) == len(people)
    assert {c["applicant_id"] for c in everyone} == {str(p.applicant_id) for p in people}
    assert [c["registered_at"] for c in everyone] == sorted(c["registered_at"] for c in everyone)
    person = next(p for p in people if p.nik)
    assert person.nik is not None
    for query in (person.nik, mask_nik(person.nik)):
        found = api.get(f"/v1/reports/cases?nik={query}", headers=reviewer).json()["items"]
        assert str(person.applicant_id) in {c["applicant_id"] for c in found}
        assert all(c["nik_masked"] == mask_nik(person.nik) for c in found)
    assert person.nik not in str(everyone)
    rejected = follow(api, "/v1/reports/cases?status=rejected&limit=3", reviewer)
    assert rejected and {c["status"] for c in rejected} == {"rejected"}
    dtks = api.get("/v1/reports/cases?reason=on_exclusion_list", headers=reviewer).json()
    assert dtks["items"] and all("on_exclusion_list" in c["reasons"] for c in dtks["items"])
    province = api.get("/v1/reports/cases?province=73&wave=1", headers=reviewer).json()
    assert all(c["province"] == "73" and c["wave_number"] == 1 for c in province["items"])
    bad = api.get("/v1/reports/cases?cursor=bm90LWEtY3Vyc29y", headers=reviewer)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"


def test_rejections_rosters_and_pending_work(populated: Container, api: TestClient[Any]) -> None:
    catch_up(populated)
    ops = staff_headers(api, "bayu")
    report = api.get("/v1/reports/rejections?stage=face", headers=ops).json()
    decided = {(d["stage"], d["kind"]): d["decisions"] for d in report["decisions"]}
    reasons = {(r["kind"], r["reason"]): r["events"] for r in report["reasons"]}
    assert decided[("face", "rejected")] == reasons[("rejected", "blurry")] + reasons.get(
        ("rejected", "mismatch"), 0
    )
    events = follow(api, "/v1/reports/rejections/events?stage=face&limit=4", ops)
    assert len(events) == sum(reasons.values())
    assert [e["position"] for e in events] == sorted((e["position"] for e in events), reverse=True)

    waves = api.get("/v1/reports/waves", headers=ops).json()["items"]
    assert [w["wave_number"] for w in waves] == [1, 2]
    roster = follow(api, "/v1/reports/waves/1/roster?limit=5", ops)
    assert len(roster) == waves[0]["joined"]
    selected = follow(api, "/v1/reports/waves/1/roster?outcome=selected&limit=5", ops)
    assert len(selected) == waves[0]["selected"]
    assert all(r["sk_number"] == "SK-1/2026" and r["nik_masked"] for r in selected)

    pending = api.get("/v1/reports/pending?limit=3", headers=ops).json()
    total = sum(group["applicants"] for group in pending["summary"])
    assert total == len(follow(api, "/v1/reports/pending?limit=3", ops))
    assert all(group["oldest_since"] for group in pending["summary"])
    waits = follow(api, "/v1/reports/pending?waiting_on=applicant&limit=2", ops)
    assert {w["step"] for w in waits} <= {"verify_email", "enter_otp"}


def test_a_client_reads_its_own_write_by_waiting_for_its_position(
    populated: Container, api: TestClient[Any]
) -> None:
    catch_up(populated)
    response = api.post(
        "/v1/applicants", json={"email": "fresh@example.com", "password": "rahasia-123"}
    )
    position = response.json()["position"]
    reviewer = staff_headers(api, "rina")
    behind = api.get(f"/v1/reports/cases?after={position}", headers=reviewer)
    assert behind.status_code == 503 and behind.json()["code"] == "read_model_behind"
    assert behind.headers["retry-after"] == "1"
    followers = Running(populated)
    try:
        answer = api.get(f"/v1/reports/cases?after={position}&limit=500", headers=reviewer)
    finally:
        followers.close()
    assert answer.status_code == 200
    assert Position.parse(answer.json()["position"]) >= Position.parse(position)
    assert response.json()["applicant_id"] in {c["applicant_id"] for c in answer.json()["items"]}


def test_after_takes_a_pair_or_a_bare_event_id_and_refuses_anything_else(
    populated: Container, api: TestClient[Any]
) -> None:
    catch_up(populated)
    reviewer = staff_headers(api, "rina")
    pair = api.get("/v1/reports/cases", headers=reviewer).json()["position"]
    assert api.get(f"/v1/reports/cases?after={pair}", headers=reviewer).status_code == 200
    # A bare notification id (what commands answered before positions were pairs).
    event_id = follow(api, "/v1/reports/rejections/events?limit=50", reviewer)[0]["position"]
    assert api.get(f"/v1/reports/funnel?after={event_id}", headers=reviewer).status_code == 200
    unknown = api.get("/v1/reports/funnel?after=987654321", headers=reviewer)
    assert unknown.status_code == 400 and unknown.json()["code"] == "position_not_in_log"
    for bad in ("abc", "1.2.3", "-4", "1.", ""):
        refused = api.get(f"/v1/reports/funnel?after={bad}", headers=reviewer)
        assert refused.status_code == 400, bad
        assert refused.headers["content-type"].startswith("application/problem+json")


def test_without_postgresql_reports_say_so(client: TestClient[Any]) -> None:
    response = client.get("/v1/reports/funnel", headers=staff_headers(client, "bayu"))
    assert response.status_code == 503 and response.json()["code"] == "read_models_unavailable"
