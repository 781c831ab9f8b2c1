"""Issue 7, over HTTP: a face-review-band case through the queue with four eyes, disputes,
refusals, stale reviews, need-to-know and the access log (in-memory event store)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.testing import TestClient

from prakerja.clients.fakes import FakeEducationRegistry
from prakerja.container import Container
from prakerja.domain.stages import Stage, StageStatus, Step
from tests.api.test_registration_api import assert_problem
from tests.helpers import IDENTITY, staff_headers, verified_email
from tests.review.support import JUSTIFICATION, face_band_case, run_all, runner_for


def take(client: TestClient[Any], who: dict[str, str], applicant_id: UUID, stage: str) -> str:
    response = client.post(
        "/v1/reviews", json={"applicant_id": str(applicant_id), "stage": stage}, headers=who
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "taken"
    return str(response.json()["review_id"])


def test_a_face_review_band_case_goes_through_the_queue_with_four_eyes(
    client: TestClient[Any], container: Container
) -> None:
    applicant_id, applicant = face_band_case(client, container)
    rina, dewi, agus = (staff_headers(client, name) for name in ("rina", "dewi", "agus"))

    queue = client.get("/v1/reviews/queue", headers=rina).json()
    [entry] = queue["entries"]
    assert entry["applicant_id"] == str(applicant_id)
    assert (entry["stage"], entry["kind"], entry["review_status"]) == (
        "face",
        "face_review",
        "open",
    )
    assert entry["decision_event"] == "FaceReviewRequested"
    assert entry["reasons"] == [{"code": "review_band", "measured": 0.55, "threshold": 0.5}]
    assert entry["masked_nik"] == "3201********0001"
    assert IDENTITY["nik"] not in str(queue) and IDENTITY["full_name"] not in str(queue)

    review = take(client, rina, applicant_id, "face")
    case = client.get(f"/v1/reviews/{review}", headers=rina).json()
    assert case["personal_data_shown"] is True
    assert case["personal_data"] == {"nik": IDENTITY["nik"], "full_name": IDENTITY["full_name"]}
    assert case["decision"]["evidence"]["distance"] == 0.55
    assert "timings_ms" not in case["decision"]["evidence"]
    # Dewi does not hold the case: she sees it masked (and leaves no trace in the log).
    masked = client.get(f"/v1/reviews/{review}", headers=dewi).json()
    assert masked["personal_data_shown"] is False
    assert masked["personal_data"]["nik"] == "3201********0001"
    assert client.get(f"/v1/reviews/{review}/selfie", headers=rina).status_code == 200
    assert_problem(client.get(f"/v1/reviews/{review}/selfie", headers=dewi), 403, "need_to_know")
    photo = client.get(f"/v1/reviews/{review}/registry-photo", headers=rina)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"

    # 1. Rina proposes acceptance: turning a non-acceptance into one needs a second person.
    proposed = client.post(
        f"/v1/reviews/{review}/decision",
        json={"outcome": "accept", "justification": JUSTIFICATION},
        headers=rina,
    )
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["status"] == "pending_approval"
    pending = client.get("/v1/reviews/pending-overrides", headers=agus).json()["entries"]
    assert [(p["review_id"], p["proposed_by"], p["proposed_outcome"]) for p in pending] == [
        (review, "rina", "accept")
    ]
    still = client.get(f"/v1/applicants/{applicant_id}/status", headers=applicant).json()
    assert still["stages"][4]["status"] == "in_review"

    # 2. Rina cannot approve her own proposal; nothing is recorded.
    own = client.post(
        f"/v1/reviews/{review}/approval",
        json={"justification": "I checked it twice myself."},
        headers=rina,
    )
    assert_problem(own, 403, "own_proposal")

    # 3. Dewi approves: the override is applied to the applicant in the same save.
    approved = client.post(
        f"/v1/reviews/{review}/approval",
        json={"justification": "Agree: same person, dark photo, KTP matches."},
        headers=dewi,
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "decided"
    status = client.get(f"/v1/applicants/{applicant_id}/status", headers=applicant).json()
    face = status["stages"][4]
    assert face["status"] == "passed" and face["rule"] == "manual-override"
    assert face["detail"] == {"reviewer": "rina", "approved_by": "dewi"}

    # The history shows every step with names and justifications.
    trail = client.get(f"/v1/reviews/{review}", headers=agus).json()["trail"]
    assert [(t["step"], t["by"], t["justification"]) for t in trail] == [
        ("taken", "rina", None),
        ("proposed", "rina", JUSTIFICATION),
        ("approved", "dewi", "Agree: same person, dark photo, KTP matches."),
    ]
    assert trail[2]["effect"] == "replaces" and trail[2]["outcome"] == "accept"
    history = client.get(f"/v1/applicants/{applicant_id}/history", headers=agus).json()["events"]
    overridden = [e for e in history if e["event"] == "DecisionOverridden"]
    assert len(overridden) == 1
    assert overridden[0]["decided_by"] == "reviewer:rina+dewi"
    flagged = next(e for e in history if e["event"] == "FaceReviewRequested")
    assert overridden[0]["data"]["overrides_version"] == flagged["version"]
    assert overridden[0]["data"]["justification"] == JUSTIFICATION
    assert client.get("/v1/reviews/queue", headers=rina).json()["entries"] == []

    # Who saw this applicant's NIK, and when: rina (holding) and agus (auditing history).
    log = client.get(
        f"/v1/audit/access/applicants/{applicant_id}", params={"field": "nik"}, headers=agus
    ).json()["entries"]
    seen = sorted((e["staff"], e["endpoint"]) for e in log)
    assert seen == [
        ("agus", "GET /v1/applicants/{applicant_id}/history"),
        ("agus", "GET /v1/reviews/{review_id}"),
        ("rina", "GET /v1/reviews/{review_id}"),
    ]
    photos = client.get(
        "/v1/audit/access/staff/rina", params={"field": "selfie"}, headers=agus
    ).json()["entries"]
    assert [(e["applicant_id"], e["fields"]) for e in photos] == [(str(applicant_id), ["selfie"])]


def test_a_dispute_confirmed_by_one_reviewer_stays_rejected(
    client: TestClient[Any], container: Container
) -> None:
    applicant_id, applicant = verified_email(client, container.applicants)
    typo = {**IDENTITY, "mother_maiden_name": "Sri Wahyu"}
    assert (
        client.put(
            f"/v1/applicants/{applicant_id}/identity", json=typo, headers=applicant
        ).status_code
        == 202
    )
    run_all(runner_for(container), applicant_id)
    case = f"/v1/applicants/{applicant_id}"
    assert client.get(f"{case}/status", headers=applicant).json()["stages"][1]["status"] == "failed"
    statement = "My mother's name is Sri Wahyu; the registry has it wrong."
    disputed = client.post(
        f"{case}/disputes", json={"stage": "identity", "statement": statement}, headers=applicant
    )
    assert disputed.status_code == 202, disputed.text
    assert_problem(
        client.post(
            f"{case}/disputes",
            json={"stage": "identity", "statement": statement},
            headers=applicant,
        ),
        409,
        "nothing_to_dispute",
    )

    rina = staff_headers(client, "rina")
    [entry] = client.get("/v1/reviews/queue", params={"kind": "dispute"}, headers=rina).json()[
        "entries"
    ]
    assert entry["decision_event"] == "NikRejected"
    assert entry["reasons"] == [{"code": "mother_maiden_name_mismatch"}]
    review = take(client, rina, applicant_id, "identity")
    view = client.get(f"/v1/reviews/{review}", headers=rina).json()
    assert view["statement"] == statement
    assert view["personal_data"]["mother_maiden_name"] == "Sri Wahyu"

    decided = client.post(
        f"/v1/reviews/{review}/decision",
        json={"outcome": "reject", "justification": "The registry record is recent and signed."},
        headers=rina,
    )
    assert decided.json()["status"] == "decided"  # a rejection needs no second reviewer
    identity = client.get(f"{case}/status", headers=applicant).json()["stages"][1]
    assert identity["status"] == "failed" and identity["detail"]["approved_by"] is None
    trail = client.get(f"/v1/reviews/{review}", headers=rina).json()["trail"]
    assert trail[-1]["effect"] == "confirms"
    # Decided by a person: not disputable again (but still correctable by the applicant).
    assert_problem(
        client.post(
            f"{case}/disputes",
            json={"stage": "identity", "statement": statement},
            headers=applicant,
        ),
        409,
        "already_reviewed",
    )


def test_an_accepted_identity_dispute_claims_the_nik_again(
    client: TestClient[Any], container: Container
) -> None:
    applicant_id, applicant = verified_email(client, container.applicants)
    typo = {**IDENTITY, "full_name": "Siti Aminah Binti Usman"}
    assert (
        client.put(
            f"/v1/applicants/{applicant_id}/identity", json=typo, headers=applicant
        ).status_code
        == 202
    )
    run_all(runner_for(container), applicant_id)
    client.post(
        f"/v1/applicants/{applicant_id}/disputes",
        json={"stage": "identity", "statement": "Binti Usman is part of my name on my KTP."},
        headers=applicant,
    )
    rina, dewi = staff_headers(client, "rina"), staff_headers(client, "dewi")
    review = take(client, rina, applicant_id, "identity")
    client.post(
        f"/v1/reviews/{review}/decision",
        json={"outcome": "accept", "justification": "The KTP scan shows the full name."},
        headers=rina,
    )
    refused = client.post(
        f"/v1/reviews/{review}/refusal",
        json={"justification": "Ask for the family card first."},
        headers=dewi,
    )
    assert refused.json()["status"] == "taken"  # back to rina, undecided
    client.post(
        f"/v1/reviews/{review}/decision",
        json={"outcome": "accept", "justification": "Family card seen: the full name matches."},
        headers=rina,
    )
    approved = client.post(
        f"/v1/reviews/{review}/approval",
        json={"justification": "Family card confirms the full name."},
        headers=dewi,
    )
    assert approved.status_code == 200, approved.text
    applicant_now = container.applicants.get(applicant_id)
    assert applicant_now.stage(Stage.IDENTITY).status is StageStatus.PASSED
    assert applicant_now.stage(Stage.EDUCATION).status is StageStatus.PENDING
    # The NIK is held again: nobody else can register it now.
    other, other_headers = verified_email(client, container.applicants, "other@example.com")
    taken = client.put(f"/v1/applicants/{other}/identity", json=IDENTITY, headers=other_headers)
    assert_problem(taken, 409, "nik_taken")
    steps = [t["step"] for t in client.get(f"/v1/reviews/{review}", headers=rina).json()["trail"]]
    assert steps == ["taken", "proposed", "refused", "proposed", "approved"]


def test_taking_a_held_case_and_acting_on_a_stale_review(
    client: TestClient[Any], container: Container
) -> None:
    applicant_id, _ = face_band_case(client, container)
    rina, dewi = staff_headers(client, "rina"), staff_headers(client, "dewi")
    review = take(client, rina, applicant_id, "face")
    held = client.post(
        "/v1/reviews", json={"applicant_id": str(applicant_id), "stage": "face"}, headers=dewi
    )
    assert_problem(held, 409, "review_held")
    assert_problem(
        client.post(
            f"/v1/reviews/{review}/decision",
            json={"outcome": "reject", "justification": "Not the same person at all."},
            headers=dewi,
        ),
        409,
        "review_held",
    )
    assert client.post(f"/v1/reviews/{review}/release", headers=rina).status_code == 200
    assert take(client, dewi, applicant_id, "face") == review
    not_flagged = client.post(
        "/v1/reviews", json={"applicant_id": str(applicant_id), "stage": "education"}, headers=dewi
    )
    assert_problem(not_flagged, 409, "not_flagged")
    short = client.post(
        f"/v1/reviews/{review}/decision",
        json={"outcome": "reject", "justification": "no"},
        headers=dewi,
    )
    assert_problem(short, 400, "invalid_request")


def test_repeated_delays_are_flagged_and_a_recovered_case_makes_the_review_stale(
    client: TestClient[Any], container: Container
) -> None:
    applicant_id, applicant = verified_email(client, container.applicants)
    assert (
        client.put(
            f"/v1/applicants/{applicant_id}/identity", json=IDENTITY, headers=applicant
        ).status_code
        == 202
    )
    education = FakeEducationRegistry()
    runner = runner_for(container, education=education)
    runner.run(Step.VALIDATE_NIK, applicant_id)
    rina = staff_headers(client, "rina")
    for delay in range(1, 4):
        education.fail_next()  # the ministry's service is down: retried, never a rejection
        runner.run(Step.CHECK_EDUCATION, applicant_id, last_try=True)
        entries = client.get("/v1/reviews/queue", headers=rina).json()["entries"]
        assert len(entries) == (1 if delay >= 3 else 0)
    [entry] = entries
    assert (entry["kind"], entry["stage"], entry["automated_status"]) == (
        "repeated_delay",
        "education",
        "delayed",
    )
    assert entry["reasons"] == [{"code": "repeated_delay", "measured": 3, "threshold": 3}]
    review = take(client, rina, applicant_id, "education")
    # A fourth delay updates the evidence but keeps the same flag and review.
    education.fail_next()
    runner.run(Step.CHECK_EDUCATION, applicant_id, last_try=True)
    view = client.get(f"/v1/reviews/{review}", headers=rina).json()
    assert set(view["personal_data"]) == {"nik"} and view["stale"] is False
    assert view["decision"]["evidence"]["attempts"] == 4
    # The ministry answers again: automation decides, the flag (and the review) lapse.
    runner.run(Step.CHECK_EDUCATION, applicant_id)
    assert client.get("/v1/reviews/queue", headers=rina).json()["entries"] == []
    stale = client.post(
        f"/v1/reviews/{review}/decision",
        json={"outcome": "accept", "justification": "Checked by phone with the ministry."},
        headers=rina,
    )
    assert_problem(stale, 409, "review_stale")
    assert client.get(f"/v1/reviews/{review}", headers=rina).json()["stale"] is True
