"""Every text a request carries has a maximum length and refuses NUL and control
characters at validation (a 400 problem): none reaches PostgreSQL, which refuses NUL in
text, nor a read model, which would stop on the event that holds it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from litestar.testing import TestClient

from prakerja.container import Container
from tests.api.openapi import request_schemas, strings
from tests.api.test_registration_api import assert_problem
from tests.helpers import IDENTITY, register, staff_headers, verified_email

REFUSED_EVERYWHERE = ["a\x00b", "a\x1bb", "a\x7fb", "a\x85b"]


def test_every_text_a_request_carries_is_bounded_and_refuses_control_characters(
    client: TestClient[Any],
) -> None:
    doc = client.get("/schema/openapi.json").json()
    faults = []
    for place, schema in request_schemas(doc):
        for where, text in strings(doc, schema, place):
            if "maxLength" not in text:
                faults.append(f"{where}: no maxLength")
            pattern = text.get("pattern")
            if pattern is None or any(re.fullmatch(pattern, v) for v in REFUSED_EVERYWHERE):
                faults.append(f"{where}: control characters pass ({pattern!r})")
    assert faults == []


def q(value: str) -> str:
    return quote(value, safe="")


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("bayu", "/v1/reports/rejections?reason={}"),
        ("bayu", "/v1/reports/rejections?stage={}"),
        ("bayu", "/v1/reports/rejections/events?reason={}"),
        ("bayu", "/v1/reports/cases?status={}"),
        ("bayu", "/v1/reports/cases?cursor={}"),
        ("bayu", "/v1/reports/pending?stage={}"),
        ("agus", "/v1/audit/access/staff/{}"),
    ],
)
def test_a_control_character_in_a_parameter_is_a_400_problem(
    client: TestClient[Any], role: str, url: str
) -> None:
    headers = staff_headers(client, role)
    for value in ("a\x00b", "a\x01b", "abc\n", "\x1b[31m"):
        response = client.get(url.format(q(value)), headers=headers)
        assert_problem(response, 400, "invalid_request")


def test_a_newline_in_a_path_parameter_is_a_400_problem(client: TestClient[Any]) -> None:
    url = "/v1/waves/1/priority-groups/" + q("workers\n") + "/members"
    response = client.post(
        url, json={"niks": ["3201015507900001"]}, headers=staff_headers(client, "bayu")
    )
    assert_problem(response, 400, "invalid_request")


def test_a_control_character_in_a_body_is_a_400_problem(
    client: TestClient[Any], container: Container
) -> None:
    applicant_id, headers = verified_email(client, container.applicants)
    url = f"/v1/applicants/{applicant_id}/identity"
    for name in ("Siti\x00Aminah", "Siti\x07", "Siti\nAminah"):
        identity = {**IDENTITY, "full_name": name}
        assert_problem(client.put(url, json=identity, headers=headers), 400, "invalid_request")


def test_a_statement_may_span_lines_but_holds_no_nul(client: TestClient[Any]) -> None:
    applicant_id, headers = register(client)
    url = f"/v1/applicants/{applicant_id}/disputes"
    statement = "The registry has my name wrong;\nthe card says otherwise."
    lines = client.post(url, json={"stage": "identity", "statement": statement}, headers=headers)
    assert lines.status_code != 400, lines.text
    nul = client.post(
        url, json={"stage": "identity", "statement": statement + "\x00"}, headers=headers
    )
    assert_problem(nul, 400, "invalid_request")
