"""Steps that workers perform, done directly so API tests can reach later stages."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from litestar.testing import TestClient

from prakerja.application.applicants import Applicants
from prakerja.db.server import DatabaseAddress
from prakerja.settings import PasswordHashing

T = TypeVar("T")

FAST_HASHING = PasswordHashing(time_cost=1, memory_cost_kib=1024, parallelism=1)
STAFF_PASSWORD = "staff-password-1"

IDENTITY: dict[str, Any] = {
    "nik": "3201015507900001",
    "kk_number": "3201010101010001",
    "full_name": "Siti Aminah",
    "birth_date": "1990-07-15",
    "mother_maiden_name": "Sri Wahyuni",
}


def send_verification_email(applicants: Applicants, applicant_id: UUID) -> str:
    """What the email worker does; returns the token the email carries."""
    applicant = applicants.get(applicant_id)
    attempt = applicant.emails_sent + 1
    applicant.record_email_sent(attempt, f"msg-{attempt}")
    applicants.save(applicant)
    return applicants.codes.email_token(applicant.id, applicant.email, attempt)


def register(
    client: TestClient[Any], email: str = "budi@example.com", password: str = "rahasia-123"
) -> tuple[UUID, dict[str, str]]:
    response = client.post("/v1/applicants", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    body = response.json()
    return UUID(body["applicant_id"]), {"Authorization": f"Bearer {body['access_token']}"}


def verified_email(
    client: TestClient[Any], applicants: Applicants, email: str = "budi@example.com"
) -> tuple[UUID, dict[str, str]]:
    applicant_id, headers = register(client, email)
    token = send_verification_email(applicants, applicant_id)
    response = client.post(
        f"/v1/applicants/{applicant_id}/email/verification", json={"token": token}
    )
    assert response.status_code == 200, response.text
    return applicant_id, headers


def staff_headers(client: TestClient[Any], username: str) -> dict[str, str]:
    response = client.post(
        "/v1/staff/token", json={"username": username, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


def reset_logging() -> None:
    """Undo ``configure_logging``: its handler writes to a stream the test's capture closes."""
    import logging

    import structlog

    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    structlog.reset_defaults()


def wait_until(condition: Callable[[], T | None], what: str, timeout_s: float = 30.0) -> T:
    """Poll ``condition`` until it returns something true, and return that; fail saying
    ``what`` was awaited if ``timeout_s`` passes first. A test waits for a state, never
    for a fixed time: a sleep is too long on a quiet machine and too short on a busy one."""
    deadline = time.monotonic() + timeout_s
    while not (found := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.02)
    return found


def admin_session(server: DatabaseAddress, wait_s: float = 60.0) -> psycopg.Connection[Any]:
    """A session for creating and dropping databases. When the server has no connection
    left (other tests' services hold them, on every core), wait for one, for a while."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return psycopg.connect(server.conninfo, autocommit=True)
        except psycopg.OperationalError as error:
            if "too many clients" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def create_database(
    server: DatabaseAddress, name: str, template: str | None = None
) -> DatabaseAddress:
    """A new database on the test server, copied from ``template`` if given."""
    suffix = f' TEMPLATE "{template}"' if template else ""
    with admin_session(server) as admin:
        for attempt in range(50):
            try:
                admin.execute(f'CREATE DATABASE "{name}"{suffix}')
                break
            except psycopg.errors.ObjectInUse:
                # The template's last sessions (a migration's, a closed pool's) can
                # linger: the template is ours, end them.
                if attempt == 49:
                    raise
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (template,),
                )
                time.sleep(0.1)
    return DatabaseAddress(server.host, server.port, name, server.user, server.password)
