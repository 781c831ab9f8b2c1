"""The simulators over HTTP, as the clients and the demo driver see them."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient
from tests.simulator_fixtures import STARTUP_S

from prakerja.simulators import (
    EducationLevel,
    ExclusionList,
    FaultConfig,
    IdentityIssue,
    OutageWindow,
    Person,
    RunningSimulators,
    ServiceFaults,
    SimulatorAdmin,
    SimulatorConfig,
    build_simulators,
    start_in_background,
)

AS_OF = dt.date(2020, 4, 11)  # as in conftest.py
Find = Callable[[Callable[[Person], bool]], Person]


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10.0) as client:
        yield client


def _claim(person: Person, **changes: Any) -> dict[str, Any]:
    claim = {
        "nik": person.nik,
        "kk_number": person.kk_number,
        "full_name": person.full_name,
        "birth_date": person.birth_date.isoformat(),
        "mother_maiden_name": person.mother_maiden_name,
    }
    return {**claim, **changes}


def _verify(http: httpx.Client, sims: RunningSimulators, claim: dict[str, Any]) -> Any:
    response = http.post(f"{sims.urls.dukcapil}/identity/verify", json=claim)
    assert response.status_code == 200
    return response.json()


def test_dukcapil_matches_a_registered_person_ignoring_case_and_spaces(
    http: httpx.Client, simulators: RunningSimulators, find: Find
) -> None:
    person = find(lambda p: p.identity_issue is None)
    shouted = "  " + person.full_name.upper().replace(" ", "   ") + " "

    answer = _verify(http, simulators, _claim(person, full_name=shouted))

    assert answer == {
        "found": True,
        "matches": {
            "kk_number": True,
            "full_name": True,
            "birth_date": True,
            "mother_maiden_name": True,
        },
        "age_years": person.age_on(AS_OF),
        "photo_ref": person.photo_ref,
    }


def test_dukcapil_says_which_fields_do_not_match(
    http: httpx.Client, simulators: RunningSimulators, find: Find
) -> None:
    person = find(lambda p: p.identity_issue is IdentityIssue.DATA_MISMATCH)

    answer = _verify(
        http,
        simulators,
        _claim(person, **{"mother_maiden_name": person.as_typed().mother_maiden_name}),
    )

    assert answer["found"] is True
    assert answer["matches"] == {
        "kk_number": True,
        "full_name": True,
        "birth_date": True,
        "mother_maiden_name": False,
    }


def test_dukcapil_does_not_know_strangers_nor_unregistered_niks(
    http: httpx.Client, simulators: RunningSimulators, find: Find
) -> None:
    unregistered = find(lambda p: p.identity_issue is IdentityIssue.NOT_IN_REGISTRY)
    typo = find(lambda p: p.typo is not None and p.typo.field == "nik")

    for nik in (unregistered.nik, typo.as_typed(1).nik, "3201010101900001"):
        answer = _verify(http, simulators, _claim(unregistered, nik=nik))
        assert answer == {"found": False, "matches": None, "age_years": None, "photo_ref": None}


def test_dukcapil_reports_a_minors_age(
    http: httpx.Client, simulators: RunningSimulators, find: Find
) -> None:
    minor = find(lambda p: p.identity_issue is IdentityIssue.MINOR)

    assert _verify(http, simulators, _claim(minor))["age_years"] < 18


def test_a_malformed_query_gets_a_problem_document(
    http: httpx.Client, simulators: RunningSimulators
) -> None:
    response = http.post(f"{simulators.urls.dukcapil}/identity/verify", json={"nik": "12"})

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_registry_photos_need_a_folder_or_a_photo_set_by_a_test(
    http: httpx.Client, simulators: RunningSimulators, admin: SimulatorAdmin, find: Find
) -> None:
    person = find(lambda p: p.identity_issue is None)
    url = f"{simulators.urls.dukcapil}/photos/{person.photo_ref}"

    missing = http.get(url)
    assert missing.status_code == 404
    assert missing.json()["code"] == "no_photos_configured"
    assert "photos_dir" in missing.json()["detail"]

    assert admin.set_photo(person.nik, b"\x89PNG fake", "image/png") == person.photo_ref
    photo = http.get(url)
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/png"
    assert photo.content == b"\x89PNG fake"


def test_an_unknown_photo_reference_is_a_404(
    http: httpx.Client, simulators: RunningSimulators
) -> None:
    response = http.get(f"{simulators.urls.dukcapil}/photos/nonsense")

    assert response.status_code == 404
    assert response.json()["code"] == "unknown_photo"


def test_photos_come_from_the_configured_folder_deterministically(tmp_path: Path) -> None:
    for n in range(3):
        (tmp_path / f"face_{n}.jpg").write_bytes(f"jpeg {n}".encode())
    (tmp_path / "notes.txt").write_text("not a photo")
    config = SimulatorConfig(population_size=50, as_of=AS_OF, photos_dir=tmp_path)
    with start_in_background(config, timeout_s=STARTUP_S) as sims, httpx.Client() as http:
        people = list(sims.population)[:12]
        first = [http.get(f"{sims.urls.dukcapil}/photos/{p.photo_ref}") for p in people]
        again = [http.get(f"{sims.urls.dukcapil}/photos/{p.photo_ref}") for p in people]

    registered = [r for r, p in zip(first, people, strict=True) if p.in_registry]
    assert all(r.status_code == 200 for r in registered)
    assert all(r.headers["content-type"] == "image/jpeg" for r in registered)
    assert {r.content for r in registered} <= {b"jpeg 0", b"jpeg 1", b"jpeg 2"}
    assert [r.content for r in first] == [r.content for r in again]


def test_education_knows_students(
    http: httpx.Client, simulators: RunningSimulators, find: Find
) -> None:
    url = f"{simulators.urls.education}/enrollment/check"
    student = find(lambda p: p.education is EducationLevel.UNIVERSITY)
    pupil = find(lambda p: p.education is EducationLevel.SCHOOL)
    worker = find(lambda p: p.education is None)

    assert http.post(url, json={"nik": student.nik}).json() == {
        "enrolled": True,
        "level": "university",
    }
    assert http.post(url, json={"nik": pupil.nik}).json() == {"enrolled": True, "level": "school"}
    assert http.post(url, json={"nik": worker.nik}).json() == {"enrolled": False, "level": None}


def test_exclusions_list_the_person_and_their_family_card(
    http: httpx.Client, simulators: RunningSimulators, find: Find
) -> None:
    url = f"{simulators.urls.exclusions}/exclusions/check"
    servant = find(lambda p: ExclusionList.CIVIL_SERVANT in p.exclusions)
    on_dtks = find(lambda p: ExclusionList.DTKS in p.exclusions)
    clear = find(lambda p: not p.exclusions)

    servant_lists = http.post(url, json={"nik": servant.nik, "kk_number": servant.kk_number}).json()
    assert "civil_servant" in servant_lists["lists"]
    dtks = http.post(url, json={"nik": clear.nik, "kk_number": on_dtks.kk_number}).json()
    assert dtks == {"lists": ["dtks"]}
    assert http.post(url, json={"nik": clear.nik, "kk_number": clear.kk_number}).json() == {
        "lists": []
    }


def test_sms_sends_are_idempotent_and_can_be_read_back(
    http: httpx.Client, simulators: RunningSimulators, admin: SimulatorAdmin
) -> None:
    url = f"{simulators.urls.sms}/messages"
    message = {"to": "0812 3456 7001", "text": "Kode OTP: 123456", "idempotency_key": "otp-1"}

    first = http.post(url, json=message)
    again = http.post(url, json=message)
    other = http.post(url, json={**message, "idempotency_key": "otp-2"})

    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert other.json() != first.json()
    sent = admin.sms_sent_to("+6281234567001")
    assert [m["message_id"] for m in sent] == [
        first.json()["message_id"],
        other.json()["message_id"],
    ]
    assert sent[0]["text"] == "Kode OTP: 123456"


def test_an_sms_key_reused_for_another_text_is_a_conflict(
    http: httpx.Client, simulators: RunningSimulators
) -> None:
    url = f"{simulators.urls.sms}/messages"
    http.post(url, json={"to": "081234567002", "text": "one", "idempotency_key": "k-conflict"})

    response = http.post(
        url, json={"to": "081234567002", "text": "two", "idempotency_key": "k-conflict"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"


def test_an_sms_to_a_non_mobile_number_is_refused(
    http: httpx.Client, simulators: RunningSimulators
) -> None:
    response = http.post(
        f"{simulators.urls.sms}/messages",
        json={"to": "021 555", "text": "x", "idempotency_key": "k"},
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_phone"


def test_mail_to_unreachable_mailboxes_bounces(
    http: httpx.Client, simulators: RunningSimulators, admin: SimulatorAdmin, find: Find
) -> None:
    url = f"{simulators.urls.email}/messages"
    unreachable = find(lambda p: p.mailbox_unreachable)
    reachable = find(lambda p: not p.mailbox_unreachable)

    def send(to: str, key: str) -> Any:
        mail = {"to": to, "subject": "Verifikasi", "body": "Kode: 1", "idempotency_key": key}
        return http.post(url, json=mail).json()

    bounced = send(unreachable.email, "verify-a")
    assert bounced["status"] == "bounced"
    assert send(unreachable.email, "verify-a") == bounced
    assert send(reachable.email, "verify-b")["status"] == "delivered"
    assert send("stranger@example.org", "verify-c")["status"] == "delivered"
    assert [m["status"] for m in admin.emails_sent_to(unreachable.email.upper())] == ["bounced"]


def test_faults_can_be_read_and_replaced_at_run_time(
    http: httpx.Client, simulators: RunningSimulators, admin: SimulatorAdmin
) -> None:
    faults = FaultConfig(error_rate=1.0, outages=(OutageWindow(start_s=60, duration_s=5),))
    admin.set_faults("education", faults)

    read = http.get(f"{simulators.urls.education}/_admin/faults").json()
    failing = http.post(
        f"{simulators.urls.education}/enrollment/check", json={"nik": "3201010101900001"}
    )
    health = http.get(f"{simulators.urls.education}/health")

    assert FaultConfig.model_validate(read) == faults
    assert failing.status_code == 503
    assert failing.json()["code"] == "injected_error"
    assert health.status_code == 200  # admin and health endpoints never fail


def test_an_outage_window_fails_every_call_until_it_ends(
    http: httpx.Client, simulators: RunningSimulators, admin: SimulatorAdmin, find: Find
) -> None:
    person = find(lambda p: p.identity_issue is None)
    set_at = time.monotonic()
    admin.set_faults("dukcapil", FaultConfig(outages=(OutageWindow(start_s=0, duration_s=1.0),)))
    url = f"{simulators.urls.dukcapil}/identity/verify"

    # Call until an answer comes (not for a fixed time: a loaded machine is slow to call).
    during: list[httpx.Response] = []
    deadline = set_at + 30
    while (answer := http.post(url, json=_claim(person))).status_code != 200:
        assert time.monotonic() < deadline, "the outage did not end"
        during.append(answer)
        time.sleep(0.05)

    assert time.monotonic() - set_at >= 1.0  # not before the window ended
    assert during and {r.status_code for r in during} == {503}
    assert {r.json()["code"] for r in during} == {"outage"}


def test_injected_latency_and_hangs_delay_the_answer(
    http: httpx.Client, simulators: RunningSimulators, admin: SimulatorAdmin
) -> None:
    url = f"{simulators.urls.education}/enrollment/check"
    admin.set_faults("education", FaultConfig(latency_mean_ms=150, latency_jitter_ms=20))
    started = time.perf_counter()
    assert http.post(url, json={"nik": "3201010101900001"}).status_code == 200
    assert time.perf_counter() - started >= 0.12

    admin.set_faults("education", FaultConfig(timeout_rate=1.0, hang_s=0.3))
    started = time.perf_counter()
    with pytest.raises(httpx.ReadTimeout):
        http.post(url, json={"nik": "3201010101900001"}, timeout=0.1)
    hung = http.post(url, json={"nik": "3201010101900001"})
    assert hung.status_code == 504
    assert time.perf_counter() - started >= 0.3


def test_faults_never_change_an_answer(
    http: httpx.Client, simulators: RunningSimulators, admin: SimulatorAdmin, find: Find
) -> None:
    person = find(lambda p: p.identity_issue is IdentityIssue.DATA_MISMATCH)
    claim = _claim(person, mother_maiden_name=person.as_typed().mother_maiden_name)
    url = f"{simulators.urls.dukcapil}/identity/verify"
    calm = http.post(url, json=claim).json()
    admin.set_faults("dukcapil", FaultConfig(error_rate=0.5, latency_mean_ms=2))

    answers = [http.post(url, json=claim) for _ in range(30)]

    statuses = {r.status_code for r in answers}
    assert statuses == {200, 503}
    assert all(r.json() == calm for r in answers if r.status_code == 200)


def _statuses(seed: int) -> list[int]:
    config = SimulatorConfig(
        seed=seed,
        population_size=10,
        as_of=AS_OF,
        faults=ServiceFaults(education=FaultConfig(error_rate=0.5)),
    )
    app = build_simulators(config).apps["education"]
    with TestClient(app) as http:
        body = {"nik": "3201010101900001"}
        return [http.post("/enrollment/check", json=body).status_code for _ in range(24)]


def test_fault_decisions_follow_the_seed() -> None:
    assert _statuses(7) == _statuses(7)
    assert _statuses(7) != _statuses(8)


def test_reading_messages_can_wait_for_the_first_one(
    http: httpx.Client, simulators: RunningSimulators
) -> None:
    url = f"{simulators.urls.sms}/messages"
    to = "0812 3456 7003"
    sender = threading.Timer(
        0.3, lambda: httpx.post(url, json={"to": to, "text": "late", "idempotency_key": "late"})
    )
    sender.start()
    began = time.monotonic()
    waited = http.get(url, params={"to": to, "wait": 60}, timeout=90).json()
    sender.join()

    assert [m["text"] for m in waited["messages"]] == ["late"]
    # Answered when the message came (0.3 s), not when the wait ran out: the margin
    # is wide enough for any load, this is not a speed limit.
    assert time.monotonic() - began < 30
    nobody = http.get(url, params={"to": "0812 3456 7004", "wait": 0.2}).json()
    assert nobody == {"messages": []}
    too_long = http.get(url, params={"to": to, "wait": 121})
    assert too_long.status_code == 400
