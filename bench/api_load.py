"""HTTP writes (identity submission) and reads (status) against the application layer,
and HTTP registration against the password hash that bounds it.

The API runs as deployed with a broker: ``prakerja serve --workers N`` processes with no
verification workers in them (and none running, so the measurement is the API's).
Fresh, email-verified applicants are prepared in-process beforehand (one per write);
bearer tokens are signed with the run's secret. Each measurement runs the same
operation through HTTP and through the application layer called directly, in the same
run: at a fixed offered rate (latency counted from when each request was due), then as
fast as it goes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher

from bench.common import Loaded, container_for
from bench.fixtures import email_verified
from bench.measure import Run, closed_loop, closed_loop_async, open_loop, open_loop_async
from bench.report import Measurement, Target
from prakerja.api.auth import Role, TokenIssuer, build_jwt_auth
from prakerja.api.presenters import status_of
from prakerja.container import Container
from prakerja.security.passwords import Passwords
from prakerja.settings import PasswordHashing
from prakerja.simulation.client import Client
from prakerja.simulation.stack import Stack, StackOptions
from prakerja.simulators.population import Population
from prakerja.simulators.rates import PopulationRates

_READY_RATE = 50.0

_CLEAN = PopulationRates(
    mailbox_unreachable=0.0,
    nik_typo=0.0,
    nik_not_in_registry=0.0,
    data_mismatch=0.0,
    minor=0.0,
)


@dataclass(frozen=True)
class LoadPlan:
    rate: float = 300.0
    seconds: float = 5.0
    http_concurrency: int = 64
    app_threads: int = 8
    api_processes: int = 2


@dataclass
class Prepared:
    """Email-verified applicants waiting for their identity, with their tokens."""

    ids: list[uuid.UUID]
    tokens: dict[uuid.UUID, str]
    people: Population
    next_index: Iterator[int]

    def take(self) -> tuple[uuid.UUID, int]:
        index = next(self.next_index)
        return self.ids[index], index


def measure(loaded: Loaded, plan: LoadPlan) -> list[Measurement]:
    container = container_for(loaded, pool=plan.app_threads + 4)
    try:
        # One applicant per write: both open loops, and both saturated loops at up to
        # 3,000 writes/s.
        writes_needed = int(plan.rate * plan.seconds) * 2 + int(3_000 * plan.seconds) * 2
        prepared = _prepare(container, loaded, writes_needed)
        options = StackOptions(
            api_processes=plan.api_processes,
            password_hashing=PasswordHashing(),
            read_models=False,
        )
        with Stack(
            loaded.database, loaded.work_dir / "api", options, parts={"api"}, keys=loaded.keys
        ) as stack:
            return asyncio.run(_measure(stack.api_url, container, prepared, plan, loaded))
    finally:
        container.close()


async def _measure(
    api: str, container: Container, prepared: Prepared, plan: LoadPlan, loaded: Loaded
) -> list[Measurement]:
    applicants = container.applicants
    size = loaded.applicants
    async with Client(max_connections=max(plan.http_concurrency, 256)) as http:

        async def http_write(_: int) -> bool:
            applicant_id, index = prepared.take()
            reply = await http.request(
                "PUT",
                f"{api}/v1/applicants/{applicant_id}/identity",
                json_body=_identity(prepared.people, index),
                headers={"Authorization": f"Bearer {prepared.tokens[applicant_id]}"},
            )
            return reply.status == 202

        def app_write(_: int) -> None:
            applicant_id, index = prepared.take()
            applicants.submit_identity(applicant_id, **_identity_args(prepared.people, index))

        readable = prepared.ids[:2_000]

        async def http_read(number: int) -> bool:
            applicant_id = readable[number % len(readable)]
            reply = await http.request(
                "GET",
                f"{api}/v1/applicants/{applicant_id}/status",
                headers={"Authorization": f"Bearer {prepared.tokens[applicant_id]}"},
            )
            return reply.status == 200

        def app_read(number: int) -> None:
            status_of(applicants.get(readable[number % len(readable)])).model_dump_json()

        async def http_ready(_: int) -> bool:
            reply = await http.request("GET", f"{api}/ready")
            return reply.status == 200

        async def http_health(_: int) -> bool:
            reply = await http.request("GET", f"{api}/health")
            return reply.status == 200

        run_id = uuid.uuid4().hex[:8]

        async def http_register(number: int) -> bool:
            body = {"email": f"http-{run_id}-{number}@example.com", "password": "a-password-1"}
            reply = await http.request("POST", f"{api}/v1/applicants", json_body=body)
            return reply.status == 201

        rate, seconds = plan.rate, plan.seconds
        # Writes at the offered rate, then saturated; the application layer after each.
        write_open = await open_loop_async(http_write, rate, seconds)
        app_write_open = await asyncio.to_thread(
            open_loop, app_write, rate, seconds, plan.app_threads
        )
        write_max = await closed_loop_async(http_write, plan.http_concurrency, seconds)
        app_write_max = await asyncio.to_thread(closed_loop, app_write, plan.app_threads, seconds)
        read_open = await open_loop_async(http_read, rate, seconds)
        app_read_open = await asyncio.to_thread(
            open_loop, app_read, rate, seconds, plan.app_threads
        )
        read_max = await closed_loop_async(http_read, plan.http_concurrency, seconds)
        app_read_max = await asyncio.to_thread(closed_loop, app_read, plan.app_threads, seconds)
        hash_limit = await asyncio.to_thread(_hash_limit, plan.api_processes, seconds)
        register_max = await closed_loop_async(http_register, 32, seconds)
        ready_open = await open_loop_async(http_ready, _READY_RATE, seconds)
        health_open = await open_loop_async(http_health, _READY_RATE, seconds)

    common = {"rate_offered": rate, "seconds": seconds, "api_processes": plan.api_processes}
    return [
        _latency_row(
            "http.identity.open",
            "HTTP identity submission (write) at 300/s offered: p99",
            write_open,
            app_write_open,
            size,
            Target("p99 ≤ 25 ms at 300/s offered", "value_max", 25.0),
            common,
        ),
        _throughput_row(
            "http.identity.max",
            "HTTP identity submission (write), saturated",
            write_max,
            app_write_max,
            size,
            Target("≥ 0.9 of the application layer", "ratio_min", 0.9),
            {**common, "http_concurrency": plan.http_concurrency, "app_threads": plan.app_threads},
        ),
        _latency_row(
            "http.status.open",
            "HTTP status (read) at 300/s offered: p99",
            read_open,
            app_read_open,
            size,
            None,
            common,
        ),
        _throughput_row(
            "http.status.max",
            "HTTP status (read), saturated",
            read_max,
            app_read_max,
            size,
            None,
            {**common, "http_concurrency": plan.http_concurrency, "app_threads": plan.app_threads},
        ),
        Measurement(
            id="http.ready.open",
            title=f"/ready at {_READY_RATE}/s offered (probes of a load balancer): p99",
            unit="ms",
            value=ready_open.p99_ms,
            baseline_title="/health (answers without any work), same rate",
            baseline=health_open.p99_ms,
            size=size,
            target=Target("p99 ≤ 10 ms", "value_max", 10.0),
            details={
                "rate_offered": _READY_RATE,
                "http": ready_open.as_dict(),
                "health": health_open.as_dict(),
            },
            note=f"p50 {ready_open.p50_ms} ms, errors {ready_open.errors}",
        ),
        Measurement(
            id="http.registration",
            title="HTTP registration with the production argon2id cost, saturated",
            unit="registrations/s",
            value=round(register_max.per_second, 1),
            baseline_title=(
                f"argon2id hashes/s alone, {plan.api_processes} threads on the same cores"
            ),
            baseline=round(hash_limit.per_second, 1),
            size=size,
            target=Target("≥ 0.8 of the hash's own limit", "ratio_min", 0.8),
            details={
                "http": register_max.as_dict(),
                "hash": hash_limit.as_dict(),
                "argon2id": PasswordHashing().model_dump(),
                "http_concurrency": 32,
            },
        ),
    ]


def _latency_row(
    id_: str,
    title: str,
    http: Run,
    app: Run,
    size: int,
    target: Target | None,
    common: dict[str, Any],
) -> Measurement:
    return Measurement(
        id=id_,
        title=title,
        unit="ms",
        value=http.p99_ms,
        baseline_title="application layer called directly, same offered rate",
        baseline=app.p99_ms,
        size=size,
        target=target,
        details={**common, "http": http.as_dict(), "application": app.as_dict()},
        note=(
            f"HTTP achieved {http.per_second:,.0f}/s, p50 {http.p50_ms} ms, errors"
            f" {http.errors}; application layer p50 {app.p50_ms} ms"
        ),
    )


def _throughput_row(
    id_: str,
    title: str,
    http: Run,
    app: Run,
    size: int,
    target: Target | None,
    details: dict[str, Any],
) -> Measurement:
    return Measurement(
        id=id_,
        title=title,
        unit="requests/s",
        value=round(http.per_second, 1),
        baseline_title="application layer called directly, as fast as it goes",
        baseline=round(app.per_second, 1),
        size=size,
        target=target,
        details={**details, "http": http.as_dict(), "application": app.as_dict()},
        note=f"HTTP p50 {http.p50_ms} ms, p99 {http.p99_ms} ms, errors {http.errors}",
    )


def _hash_limit(threads: int, seconds: float) -> Run:
    """argon2id at the production cost, one hasher per thread (argon2 releases the GIL)."""
    costs = PasswordHashing()
    hasher = PasswordHasher(
        time_cost=costs.time_cost, memory_cost=costs.memory_cost_kib, parallelism=costs.parallelism
    )

    def hash_one(_: int) -> None:
        hasher.hash("a-password-1")

    return closed_loop(hash_one, threads, seconds)


def _prepare(container: Container, loaded: Loaded, count: int) -> Prepared:
    """``count`` fresh applicants with a verified email, and a token for each."""
    password_hash = Passwords(PasswordHashing()).hash("a-password-1")
    ids = email_verified(container.applicants, count, password_hash)
    issuer = TokenIssuer(build_jwt_auth(loaded.keys.token_secret, dt.timedelta(hours=6)))
    tokens = {i: issuer.issue(str(i), Role.APPLICANT) for i in ids}
    people = Population(8_008, count, rates=_CLEAN)
    return Prepared(ids, tokens, people, itertools.count())


def _identity_args(people: Population, index: int) -> dict[str, Any]:
    typed = people.person(index).as_typed(2)
    return {
        "nik": typed.nik,
        "kk_number": typed.kk_number,
        "full_name": typed.full_name,
        "birth_date": typed.birth_date,
        "mother_maiden_name": typed.mother_maiden_name,
    }


def _identity(people: Population, index: int) -> dict[str, Any]:
    args = _identity_args(people, index)
    return {**args, "birth_date": args["birth_date"].isoformat()}
