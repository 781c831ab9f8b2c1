"""The real service on real PostgreSQL: uniqueness under concurrency, encryption, crashes."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID

import httpx
import psycopg
import pytest

from prakerja.application.applicants import Applicants
from prakerja.bootstrap import bootstrap
from prakerja.container import Container
from prakerja.db.server import DatabaseAddress
from prakerja.settings import Settings
from tests.helpers import IDENTITY, send_verification_email
from tests.integration.server import ServiceProcess

pytestmark = pytest.mark.postgres


@pytest.fixture
def service(database: DatabaseAddress, tmp_path: Path) -> Iterator[ServiceProcess]:
    process = ServiceProcess(database, tmp_path / "var")
    process.start()
    yield process
    process.stop()


def register(http: httpx.Client, email: str) -> httpx.Response:
    return http.post("/v1/applicants", json={"email": email, "password": "rahasia-123"})


def test_fifty_concurrent_registrations_with_one_email(service: ServiceProcess) -> None:
    with httpx.Client(base_url=service.url, timeout=30) as http, ThreadPoolExecutor(50) as pool:
        responses = list(pool.map(lambda _: register(http, "same@example.com"), range(50)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 49
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"email_taken"}


def test_fifty_concurrent_identities_with_one_nik(
    service: ServiceProcess, pg_settings: Settings, database: DatabaseAddress, tmp_path: Path
) -> None:
    # The same data folder as the service, so the same keys.
    settings = pg_settings.model_copy(update={"data_dir": tmp_path / "var"})
    container = bootstrap(settings)
    try:
        with httpx.Client(base_url=service.url, timeout=30) as http:
            applicants = []
            for i in range(50):
                body = register(http, f"person{i}@example.com").json()
                token = send_verification_email(container.applicants, UUID(body["applicant_id"]))
                verified = http.post(
                    f"/v1/applicants/{body['applicant_id']}/email/verification",
                    json={"token": token},
                )
                assert verified.status_code == 200, verified.text
                applicants.append((body["applicant_id"], body["access_token"]))

            barrier = threading.Barrier(50)

            def submit(entry: tuple[str, str]) -> httpx.Response:
                applicant_id, token = entry
                barrier.wait()
                return http.put(
                    f"/v1/applicants/{applicant_id}/identity",
                    json=IDENTITY,
                    headers={"Authorization": f"Bearer {token}"},
                )

            with ThreadPoolExecutor(50) as pool:
                responses = list(pool.map(submit, applicants))
        codes = sorted(r.status_code for r in responses)
        assert codes == [202] + [409] * 49, [r.text for r in responses if r.status_code >= 500]
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {"nik_taken"}
        with psycopg.connect(database.conninfo) as conn:
            submitted = conn.execute(
                "SELECT count(*) FROM prakerja_events WHERE topic LIKE %s",
                ("%Applicant.IdentitySubmitted",),
            ).fetchone()
        assert submitted == (1,)
    finally:
        container.close()


def test_events_table_holds_no_personal_data_in_clear(
    pg_container: Container, database: DatabaseAddress
) -> None:
    applicants: Applicants = pg_container.applicants
    written = applicants.register("siti.aminah@example.com", "rahasia-123")
    send_verification_email(applicants, written.applicant_id)
    applicant = applicants.get(written.applicant_id)
    token = applicants.codes.email_token(applicant.id, applicant.email, 1)
    applicants.verify_email(applicant.id, token)
    applicants.submit_identity(
        applicant.id,
        nik=IDENTITY["nik"],
        kk_number=IDENTITY["kk_number"],
        full_name="Siti Aminah",
        birth_date=dt.date(1990, 7, 15),
        mother_maiden_name="Sri Wahyuni",
    )
    applicants.request_otp(applicant.id, "081234567890")
    with psycopg.connect(database.conninfo) as conn:
        rows = conn.execute("SELECT topic, state FROM prakerja_events").fetchall()
    assert len(rows) >= 6
    blob = b"".join(bytes(state) for _, state in rows)
    for secret in [
        b"3201015507900001",
        b"Siti Aminah",
        b"Sri Wahyuni",
        b"81234567890",
        b"siti.aminah",
        b"3201010101010001",
        b"1990-07-15",
        b"argon2",
    ]:
        assert secret not in blob, secret
    # and the plaintext really is what the application reads back
    assert applicants.get(applicant.id).identity is not None


def test_sigkill_during_a_burst_loses_no_acknowledged_registration(
    database: DatabaseAddress, tmp_path: Path
) -> None:
    process = ServiceProcess(database, tmp_path / "var")
    process.start()
    acknowledged: list[str] = []
    stop = threading.Event()

    def burst(worker: int) -> None:
        with httpx.Client(base_url=process.url, timeout=5) as http:
            for i in range(10_000):
                if stop.is_set():
                    return
                try:
                    response = register(http, f"w{worker}-{i}@example.com")
                except httpx.HTTPError:
                    return
                if response.status_code == 201:
                    acknowledged.append(response.json()["applicant_id"])

    threads = [threading.Thread(target=burst, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    # Kill once 100 registrations are acknowledged; give up (and say so) if the burst
    # stalls or every client has stopped.
    deadline = time.monotonic() + 60
    while len(acknowledged) < 100 and time.monotonic() < deadline:
        if not any(thread.is_alive() for thread in threads):
            break
        stop.wait(0.05)
    process.kill()
    stop.set()
    for thread in threads:
        thread.join(10)
    assert len(acknowledged) >= 100, f"only {len(acknowledged)} registrations before the kill"

    process.start()
    try:
        with psycopg.connect(database.conninfo) as conn:
            stored = {
                str(row[0])
                for row in conn.execute(
                    "SELECT originator_id FROM prakerja_events WHERE topic LIKE %s",
                    ("%Applicant.Registered",),
                )
            }
        missing = set(acknowledged) - stored
        assert not missing, f"{len(missing)} acknowledged registrations lost"
        with httpx.Client(base_url=process.url, timeout=10) as http:
            login = http.post(
                "/v1/auth/token", json={"email": "w0-0@example.com", "password": "rahasia-123"}
            )
            assert login.status_code == 200
    finally:
        process.stop()
