"""Every number a request carries has bounds: an absurd one is a 400 validation problem,
never an OverflowError in a date computation or an out-of-range error from PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api.openapi import request_schemas, unbounded_integers
from tests.api.test_registration_api import assert_problem
from tests.helpers import register, staff_headers

HUGE = "9" * 13


def test_every_integer_a_request_carries_is_bounded(client: TestClient[Any]) -> None:
    doc = client.get("/schema/openapi.json").json()
    unbounded = [
        where
        for place, schema in request_schemas(doc)
        for where in unbounded_integers(doc, schema, place)
    ]
    assert unbounded == []


@pytest.mark.parametrize(
    ("role", "method", "url", "body"),
    [
        ("bayu", "GET", f"/v1/reports/pending?older_than_minutes={HUGE}", None),
        ("bayu", "GET", f"/v1/reports/cases?after={HUGE}{HUGE}", None),
        ("bayu", "GET", f"/v1/reports/waves/{HUGE}/roster", None),
        ("bayu", "GET", f"/v1/reviews/queue?offset={HUGE}", None),
        ("bayu", "GET", f"/v1/reviews/queue?after={HUGE}{HUGE}", None),
        ("bayu", "GET", f"/v1/waves/{HUGE}", None),
        ("bayu", "GET", "/v1/waves/-1", None),
        ("bayu", "POST", f"/v1/waves/{HUGE}/open", None),
        ("sari", "GET", f"/v1/finance/reconciliation?wave={HUGE}", None),
        ("agus", "GET", f"/v1/applicants/{{applicant}}/state?version={HUGE}", None),
        ("applicant", "POST", "/v1/applicants/{applicant}/wave", {"wave_number": int(HUGE)}),
        ("applicant", "POST", f"/v1/applicants/{{applicant}}/surveys/{HUGE}", {"answers": {}}),
        (
            "bayu",
            "POST",
            "/v1/waves",
            {
                "number": 1,
                "opens_at": "2020-04-11T00:00:00Z",
                "closes_at": "2020-04-15T00:00:00Z",
                "quota": 10,
                "province_quotas": {"32": int(HUGE)},
            },
        ),
        ("bayu", "POST", "/v1/reports/rule-preview", {"minimum_age": int(HUGE)}),
    ],
)
def test_a_thirteen_digit_number_is_a_400_problem(
    client: TestClient[Any], role: str, method: str, url: str, body: Any
) -> None:
    applicant_id, headers = register(client)
    if role != "applicant":
        headers = staff_headers(client, role)
    response = client.request(
        method, url.format(applicant=applicant_id), json=body, headers=headers
    )
    assert_problem(response, 400, "invalid_request")


@pytest.mark.parametrize("report", ["funnel", "rejections", "rejections/events"])
@pytest.mark.parametrize("day", ["day_from=9999-12-31", "day_to=9999-12-31", "day_to=0001-01-01"])
def test_a_report_day_outside_the_programme_calendar_is_a_400_problem(
    client: TestClient[Any], report: str, day: str
) -> None:
    response = client.get(f"/v1/reports/{report}?{day}", headers=staff_headers(client, "bayu"))
    body = assert_problem(response, 400, "invalid_request")
    assert body["errors"][0]["key"] == day.split("=")[0]
