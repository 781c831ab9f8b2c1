"""Training webhooks: signed, replay-safe, applied once per platform event id."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from prakerja.application.programme import Programme
from prakerja.clients.training import DEVELOPMENT_SECRET, signed_headers
from prakerja.domain.programme import MembershipStatus
from tests.programme.conftest import SimulatedClock, trained_participants

URL = "/v1/training/webhooks/skillhub"
SECRET = DEVELOPMENT_SECRET.encode()


@pytest.fixture
def participant(programme: Programme) -> UUID:
    """A participant named in a decree, who has bought nothing yet."""
    [applicant_id] = trained_participants(programme, 1)
    return applicant_id


def event(
    participant: UUID, event_id: str, kind: str = "training.purchased", **extra: Any
) -> bytes:
    body = {
        "event_id": event_id,
        "type": kind,
        "participant_id": str(participant),
        "order_id": "ord-9",
        "occurred_at": "2020-04-12T03:00:00+00:00",
        "training_id": "course-9",
        "price": 150_000,
        **extra,
    }
    return json.dumps(body).encode()


def post(
    api: TestClient[Any],
    body: bytes,
    clock: SimulatedClock,
    *,
    secret: bytes = SECRET,
    age_s: int = 0,
) -> Any:
    headers = signed_headers(secret, int(clock.now.timestamp()) - age_s, body)
    return api.post(URL, content=body, headers=headers)


def test_a_signed_event_is_applied_once_however_often_it_arrives(
    api: TestClient[Any], programme: Programme, participant: UUID, clock: SimulatedClock
) -> None:
    body = event(participant, "evt-1")
    first = post(api, body, clock)
    assert first.status_code == 200, first.text
    assert first.json() == {"event_id": "evt-1", "status": "recorded"}
    clock.advance(seconds=90)  # a redelivery, freshly signed
    again = post(api, body, clock)
    assert again.json() == {"event_id": "evt-1", "status": "duplicate"}
    purchases = [
        e
        for e in programme.applicants.history(participant)
        if type(e).__name__ == "TrainingPurchased"
    ]
    assert len(purchases) == 2  # the one from trained_participants, and this one


def test_an_event_id_reused_for_other_content_is_refused(
    api: TestClient[Any], participant: UUID, clock: SimulatedClock
) -> None:
    assert post(api, event(participant, "evt-2"), clock).status_code == 200
    other = post(api, event(participant, "evt-2", price=999_000), clock)
    assert other.status_code == 409
    assert other.json()["code"] == "event_id_reused"


@pytest.mark.parametrize(
    ("secret", "age_s", "code"),
    [
        (b"not-the-secret", 0, "invalid_signature"),
        (SECRET, 301, "stale_webhook"),
        (SECRET, -301, "stale_webhook"),
    ],
)
def test_a_wrong_or_stale_signature_is_refused(
    api: TestClient[Any],
    programme: Programme,
    participant: UUID,
    clock: SimulatedClock,
    secret: bytes,
    age_s: int,
    code: str,
) -> None:
    refused = post(api, event(participant, "evt-3"), clock, secret=secret, age_s=age_s)
    assert refused.status_code == 401
    assert refused.json()["code"] == code
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_an_unsigned_event_a_tampered_body_and_an_unknown_platform_are_refused(
    api: TestClient[Any], participant: UUID, clock: SimulatedClock
) -> None:
    body = event(participant, "evt-4")
    unsigned = api.post(URL, content=body, headers={"content-type": "application/json"})
    assert unsigned.json()["code"] == "unsigned_webhook"
    headers = signed_headers(SECRET, int(clock.now.timestamp()), body)
    tampered = api.post(URL, content=body.replace(b"150000", b"950000"), headers=headers)
    assert tampered.json()["code"] == "invalid_signature"
    elsewhere = api.post("/v1/training/webhooks/nowhere", content=body, headers=headers)
    assert elsewhere.status_code == 404


def test_a_signature_with_non_ascii_characters_is_refused_as_wrong(
    api: TestClient[Any], participant: UUID, clock: SimulatedClock
) -> None:
    body = event(participant, "evt-5")
    headers = signed_headers(SECRET, int(clock.now.timestamp()), body)
    headers["X-Prakerja-Signature"] = headers["X-Prakerja-Signature"][:-2] + "é"
    refused = api.post(
        URL, content=body, headers={k.encode(): v.encode() for k, v in headers.items()}
    )
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_signature"


@pytest.mark.parametrize("timestamp", ["9" * 20, "-" + "9" * 20, "1e30", "\u0661\u0662"])
def test_an_absurd_timestamp_is_refused(
    api: TestClient[Any], participant: UUID, clock: SimulatedClock, timestamp: str
) -> None:
    body = event(participant, "evt-6")
    headers = signed_headers(SECRET, int(clock.now.timestamp()), body)
    headers["X-Prakerja-Timestamp"] = timestamp
    refused = api.post(
        URL, content=body, headers={k.encode(): v.encode() for k, v in headers.items()}
    )
    assert refused.status_code == 401
    assert refused.json()["code"] in {"stale_webhook", "invalid_signature"}


def test_an_absurd_price_is_an_invalid_event(
    api: TestClient[Any], participant: UUID, clock: SimulatedClock
) -> None:
    refused = post(api, event(participant, "evt-7", price=10**25), clock)
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_event"


def test_rules_refuse_what_the_platform_should_not_have_sold(
    api: TestClient[Any], programme: Programme, clock: SimulatedClock
) -> None:
    [applicant_id] = trained_participants(programme, 1)
    membership = programme.applicants.get(applicant_id).membership
    too_dear = post(api, event(applicant_id, "evt-5", price=membership.training_balance + 1), clock)
    assert too_dear.status_code == 409
    assert too_dear.json()["code"] == "insufficient_balance"
    malformed = post(api, event(applicant_id, "evt-6", price=-5), clock)
    assert malformed.status_code == 400


def test_completion_and_a_later_review_make_incentives_owed(
    api: TestClient[Any], programme: Programme, clock: SimulatedClock
) -> None:
    [applicant_id] = trained_participants(programme, 1, surveys=0)
    assert post(api, event(applicant_id, "evt-7"), clock).status_code == 200
    completed = event(applicant_id, "evt-8", "training.completed", reviewed=False)
    assert post(api, completed, clock).status_code == 200
    review = event(applicant_id, "evt-9", "training.reviewed")
    assert post(api, review, clock).json()["status"] == "recorded"
    membership = programme.applicants.get(applicant_id).membership
    assert membership.status is MembershipStatus.TRAINED
    assert membership.completed_orders == ("p:0", "skillhub:ord-9")
    assert membership.trained_at is not None
    assert membership.trained_at <= clock.now + dt.timedelta(seconds=1)
