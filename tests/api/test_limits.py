"""Abuse limits: rate limits per client, email, account and phone answered with 429 and
Retry-After; OTP codes that expire, are replaced, and lock after a few guesses; counters
in PostgreSQL shared by processes and kept across restarts."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient
from psycopg_pool import ConnectionPool

from prakerja.api.app import create_app
from prakerja.api.limits import ENDPOINT_LIMITS, RequestLimits
from prakerja.application.applicants import Applicants
from prakerja.bootstrap import bootstrap
from prakerja.container import Container
from prakerja.domain.applicant import Applicant
from prakerja.domain.errors import DomainError
from prakerja.security.counters import InMemoryCounters, Limit, LimitExceeded, PostgresCounters
from prakerja.settings import LimitSettings, Mode, Settings
from tests.api.documented import DocumentedClient
from tests.api.test_registration_api import assert_problem
from tests.helpers import register, staff_headers, verified_email
from tests.review.support import Clock

PHONE = "+6281234567890"
WIDE = (100_000, 3600)


def limited(settings: Settings, **limits: Any) -> Settings:
    return settings.model_copy(update={"limits": LimitSettings(**limits)})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@contextmanager
def serve(settings: Settings, clock: Clock) -> Iterator[tuple[TestClient[Any], Container]]:
    container = bootstrap(settings, in_memory=True)
    container.applicants.clock = clock
    with DocumentedClient(app=create_app(container), raise_server_exceptions=False) as client:
        yield client, container
    container.close()


def assert_limited(response: Any, code: str, seconds: int) -> dict[str, Any]:
    body = assert_problem(response, 429, code)
    assert response.headers["retry-after"] == str(seconds) == str(body["retry_after"])
    return body


def test_registration_is_limited_per_client_address_then_free_again(
    settings: Settings, clock: Clock
) -> None:
    with serve(limited(settings, register_per_client=(3, 60)), clock) as (client, _):
        for i in range(3):
            register(client, f"p{i}@example.com")
        refused = client.post(
            "/v1/applicants", json={"email": "p4@example.com", "password": "rahasia-123"}
        )
        body = assert_limited(refused, "rate_limited", 60)
        assert body["limit"] == "register_per_client"
        clock.advance(seconds=30)
        assert_limited(
            client.post("/v1/applicants", json={"email": "p4@example.com", "password": "x" * 9}),
            "rate_limited",
            30,
        )
        clock.advance(seconds=31)
        register(client, "p4@example.com")


def test_registration_and_login_are_limited_per_email_and_account(
    settings: Settings, clock: Clock
) -> None:
    config = limited(settings, register_per_email=(2, 3600), login_per_account=(3, 900))
    with serve(config, clock) as (client, _):
        register(client, "budi@example.com")
        again = {"email": "BUDI@example.com", "password": "rahasia-123"}
        assert_problem(client.post("/v1/applicants", json=again), 409, "email_taken")
        assert_limited(client.post("/v1/applicants", json=again), "rate_limited", 3600)
        register(client, "ani@example.com")  # another email is not affected

        wrong = {"email": "ani@example.com", "password": "wrong-password"}
        for _ in range(3):
            assert_problem(client.post("/v1/auth/token", json=wrong), 401, "invalid_credentials")
        right = {"email": "ani@example.com", "password": "rahasia-123"}
        body = assert_limited(client.post("/v1/auth/token", json=right), "rate_limited", 900)
        assert body["limit"] == "login_per_account"
        budi = {"email": "budi@example.com", "password": "rahasia-123"}
        assert client.post("/v1/auth/token", json=budi).status_code == 200
        for _ in range(3):
            client.post("/v1/staff/token", json={"username": "rina", "password": "guess"})
        assert_limited(
            client.post("/v1/staff/token", json={"username": "rina", "password": "guess"}),
            "rate_limited",
            900,
        )
        staff_headers(client, "dewi")


def test_otp_requests_are_limited_per_phone_across_accounts(
    settings: Settings, clock: Clock
) -> None:
    with serve(limited(settings, otp_request_per_phone=(2, 3600)), clock) as (client, container):
        first, first_headers = verified_email(client, container.applicants, "a@example.com")
        second, second_headers = verified_email(client, container.applicants, "b@example.com")
        body = {"phone": "0812 3456 7890"}
        sent = client.post(f"/v1/applicants/{first}/phone/otp", json=body, headers=first_headers)
        assert sent.status_code == 202
        # A caller refused by authorisation does not count against the account or phone.
        refused = client.post(
            f"/v1/applicants/{first}/phone/otp", json=body, headers=second_headers
        )
        assert_problem(refused, 403, "forbidden")
        sent = client.post(f"/v1/applicants/{second}/phone/otp", json=body, headers=second_headers)
        assert sent.status_code == 202
        pumped = client.post(
            f"/v1/applicants/{first}/phone/otp", json={"phone": PHONE}, headers=first_headers
        )
        assert assert_limited(pumped, "rate_limited", 3600)["limit"] == "otp_request_per_phone"
        other = client.post(
            f"/v1/applicants/{first}/phone/otp",
            json={"phone": "0813 1111 2222"},
            headers=first_headers,
        )
        assert other.status_code == 202


def test_a_new_code_replaces_the_old_one_and_codes_expire(settings: Settings, clock: Clock) -> None:
    with serve(settings, clock) as (client, container):
        applicant_id, headers = verified_email(client, container.applicants)
        phone = f"/v1/applicants/{applicant_id}/phone"
        client.post(f"{phone}/otp", json={"phone": PHONE}, headers=headers)
        old = container.applicants.codes.otp(applicant_id, PHONE, 1)
        client.post(f"{phone}/otp", json={"phone": PHONE}, headers=headers)
        assert_problem(
            client.post(f"{phone}/verification", json={"code": old}, headers=headers),
            422,
            "otp_incorrect",
        )
        clock.advance(seconds=settings.otp_ttl_seconds)
        new = container.applicants.codes.otp(applicant_id, PHONE, 2)
        assert_problem(
            client.post(f"{phone}/verification", json={"code": new}, headers=headers),
            409,
            "otp_expired",
        )


def failures(applicants: Applicants, applicant_id: UUID) -> int:
    return sum(
        isinstance(e, Applicant.OtpVerificationFailed) for e in applicants.history(applicant_id)
    )


def test_a_thousand_wrong_guesses_never_hit_and_the_owner_verifies_after_the_lock(
    settings: Settings, clock: Clock
) -> None:
    """Done when: 1,000 wrong guesses against one phone; the lock holds; the owner gets in.

    Even with per-client limits out of the way (as if the guesser had many addresses),
    only five guesses are ever compared with the code.
    """
    config = limited(settings, otp_verify_per_client=WIDE, otp_request_per_client=WIDE)
    with serve(config, clock) as (client, container):
        guesser, guesser_headers = verified_email(client, container.applicants, "x@example.com")
        owner, owner_headers = verified_email(client, container.applicants, "owner@example.com")
        url = f"/v1/applicants/{guesser}/phone"
        client.post(f"{url}/otp", json={"phone": PHONE}, headers=guesser_headers)
        right = container.applicants.codes.otp(guesser, PHONE, 1)
        guesses = [f"{n:06d}" for n in range(1001) if f"{n:06d}" != right][:1000]

        statuses: dict[tuple[int, str], int] = {}
        for guess in guesses:
            answer = client.post(
                f"{url}/verification", json={"code": guess}, headers=guesser_headers
            )
            key = (answer.status_code, answer.json()["code"])
            statuses[key] = statuses.get(key, 0) + 1
            clock.advance(seconds=0.5)  # 1,000 guesses over about eight minutes
        assert statuses == {(422, "otp_incorrect"): 5, (429, "otp_locked"): 995}
        assert failures(container.applicants, guesser) == 5
        # Locked means not even compared: the right code is refused too.
        locked = client.post(f"{url}/verification", json={"code": right}, headers=guesser_headers)
        assert_problem(locked, 429, "otp_locked")
        assert container.applicants.get(guesser).phone is None

        # The phone's owner, from their own account, waits for the lock to end.
        mine = f"/v1/applicants/{owner}/phone"
        wait = client.post(f"{mine}/otp", json={"phone": PHONE}, headers=owner_headers)
        seconds = int(assert_problem(wait, 429, "otp_locked")["retry_after"])
        assert 0 < seconds <= config.limits.otp_lock_seconds
        clock.advance(seconds=seconds)
        assert (
            client.post(f"{mine}/otp", json={"phone": PHONE}, headers=owner_headers).status_code
            == 202
        )
        code = container.applicants.codes.otp(owner, PHONE, 1)
        verified = client.post(f"{mine}/verification", json={"code": code}, headers=owner_headers)
        assert verified.status_code == 200, verified.text
        assert container.applicants.get(owner).phone == PHONE


def test_the_guard_trusts_loopback_in_development_only() -> None:
    counters = InMemoryCounters(b"k" * 32)
    now = Clock()
    development = RequestLimits(counters, LimitSettings(), Mode.DEVELOPMENT, now)
    production = RequestLimits(counters, LimitSettings(), Mode.PRODUCTION, now)
    configured = RequestLimits(
        counters, LimitSettings(trusted_clients=["10.1.0.0/16"]), Mode.PRODUCTION, now
    )
    assert development._is_trusted("127.0.0.1") and not production._is_trusted("127.0.0.1")
    assert configured._is_trusted("10.1.2.3") and not configured._is_trusted("10.2.0.1")
    assert not development._is_trusted("testclient")


def test_every_limited_endpoint_names_real_settings() -> None:
    fields = set(LimitSettings.model_fields)
    assert {name for rules in ENDPOINT_LIMITS.values() for name, _ in rules} <= fields


# ------------------------------------------------------------------ PostgreSQL


@pytest.mark.postgres
def test_postgres_counters_are_atomic_across_processes_and_survive_restarts(
    pg_container: Container,
) -> None:
    assert pg_container.pool is not None
    conninfo = pg_container.pool.conninfo
    secret = pg_container.keys.derive("limits")
    now = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)
    limit = Limit("otp-guess", f"phone:{PHONE}", 5, dt.timedelta(minutes=15))
    # Two pools stand for two API processes.
    pools = [ConnectionPool(conninfo, min_size=1, max_size=4, open=True) for _ in range(2)]
    try:
        stores = [PostgresCounters(pool, secret) for pool in pools]
        with ThreadPoolExecutor(16) as workers:
            verdicts = list(workers.map(lambda i: stores[i % 2].hit([limit], now)[0], range(40)))
        assert sum(v.allowed for v in verdicts) == 5
        assert sorted(v.hits for v in verdicts if v.allowed) == [1, 2, 3, 4, 5]
    finally:
        for pool in pools:
            pool.close()
    # A restarted process sees the same counts.
    with ConnectionPool(conninfo, min_size=1, open=True) as pool:
        restarted = PostgresCounters(pool, secret)
        [peeked] = restarted.peek([limit], now + dt.timedelta(minutes=1))
        assert peeked.exhausted and peeked.hits == 5  # refused hits are not counted
        later = now + dt.timedelta(minutes=16)
        assert restarted.hit([limit], later)[0].allowed
        with pool.connection() as conn:
            keys = [row[0] for row in conn.execute("SELECT key FROM limit_counters")]
        assert len(keys) == 1 and PHONE not in keys[0] and len(keys[0]) == 64
        assert restarted.purge(later + dt.timedelta(hours=1)) == 1


@pytest.mark.postgres
def test_the_otp_lock_holds_on_postgres(pg_container: Container) -> None:
    applicants = pg_container.applicants
    clock = Clock()
    applicants.clock = clock
    written = applicants.register("siti@example.com", "rahasia-123")
    applicant_id = written.applicant_id
    applicant = applicants.get(applicant_id)
    applicant.record_email_sent(1, "m-1")
    applicants.save(applicant)
    applicants.verify_email(
        applicant_id, applicants.codes.email_token(applicant_id, "siti@example.com", 1)
    )
    applicants.request_otp(applicant_id, PHONE)
    right = applicants.codes.otp(applicant_id, PHONE, 1)

    def attempt(guess: str) -> str:
        try:
            applicants.verify_otp(applicant_id, guess)
        except DomainError as refused:
            return refused.code
        return "verified"

    guesses = [f"{n:06d}" for n in range(1001) if f"{n:06d}" != right][:1000]
    assert Counter(attempt(guess) for guess in guesses) == {"otp_incorrect": 5, "otp_locked": 995}
    assert failures(applicants, applicant_id) == 5
    with pytest.raises(LimitExceeded):
        applicants.verify_otp(applicant_id, right)
    clock.advance(minutes=15)
    applicants.request_otp(applicant_id, PHONE)
    applicants.verify_otp(applicant_id, applicants.codes.otp(applicant_id, PHONE, 2))
    assert applicants.get(applicant_id).phone == PHONE
