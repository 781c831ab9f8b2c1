"""Read-model catch-up and rebuild speed, against the library's stock runner, on one log.

    .venv/bin/python bench/projections.py --applicants 1000000 \\
        --server postgresql://postgres@127.0.0.1:5432/postgres

1. Generates N synthetic applicants' events into a fresh database: real ``Applicant``
   aggregates driven through their command methods with decisions from the real policy
   functions, uniqueness keys and family cards as the application saves them, encoded
   and encrypted by the application's own mapper (AES on), written with COPY under the
   event store's table lock. Applicants progress in cohorts, step by step, so their
   events interleave in the log as they would in production. The stored events are
   the ones ``Applicants.save`` would write; only the timestamps are synthetic.
2. Measures, on that log: a raw ``COPY`` read of all events; reading and decoding only
   (no read model); catch-up of each read model from position 0 (live follower,
   batches upserted), folded in one process and as deployed (worker processes fold
   each batch, ``projections.catch_up_processes``); a full rebuild of each
   (``prakerja projections rebuild``); the
   library's stock ``ProjectionRunner`` (one event per transaction) running the same
   ``cases`` fold on a sample, extrapolated to the whole log (said so in the output).
3. Writes ``bench/results/projections-<N>.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import multiprocessing
import os
import platform
import pstats
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Mapper, Tracking
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.utils import get_topic
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from prakerja.application.transcodings import DateAsISO
from prakerja.bootstrap import bootstrap, event_store_env
from prakerja.clients.civil_registry import FieldMatches, IdentityCheck
from prakerja.clients.education import EducationLevel, Enrollment
from prakerja.clients.exclusions import ExclusionCheck
from prakerja.db.migrations import upgrade
from prakerja.db.server import DatabaseAddress
from prakerja.domain.applicant import Applicant
from prakerja.domain.decisions import Decision, Reason
from prakerja.domain.family_card import FamilyCard
from prakerja.domain.identity import Identity
from prakerja.domain.nik import PROVINCES_2020, Sex, compose_nik
from prakerja.domain.programme import programme_day
from prakerja.domain.rules import EMAIL_OWNERSHIP, MINIMUM_AGE_YEARS, PHONE_OTP
from prakerja.domain.stages import Stage, StageStatus
from prakerja.domain.uniqueness import KeyKind, UniqueKey, unique_key_id
from prakerja.eventstore.position import START as LOG_START
from prakerja.eventstore.position import Position
from prakerja.face.matching import FacePolicy
from prakerja.projections.base import schema_name
from prakerja.projections.catalogue import READ_MODELS
from prakerja.projections.decoding import EventTable, PayloadDecoder
from prakerja.projections.folding import FoldingSource
from prakerja.projections.follower import Logged
from prakerja.projections.live import ReadModelFollower, event_table
from prakerja.projections.rebuild import Rebuild
from prakerja.security.keys import new_cipher_key
from prakerja.settings import Settings
from prakerja.verification.face import FaceCheck, face_decision
from prakerja.verification.policies import decide_education, decide_exclusions, decide_identity

START = dt.datetime(2020, 4, 11, 1, 0, tzinfo=dt.UTC)
DAY = programme_day(START)
QUALITY = ("blurry", "glasses", "not_frontal", "tilted", "dark", "hat")
COHORT = 5_000

# --------------------------------------------------------------------- the log


class Journeys:
    """Synthetic applicants as the application would record them, step by step."""

    def __init__(self, mapper: Mapper[Any], index_secret: bytes, seed: int) -> None:
        self.mapper = mapper
        self.secret = index_secret
        self.seed = seed
        self.policy = FacePolicy()
        self.waves = {n: uuid.uuid5(uuid.NAMESPACE_URL, f"wave:{n}") for n in range(1, 9)}

    def cohort(self, number: int, size: int = COHORT) -> list[tuple[Any, int, str, bytes]]:
        """Stored events of one cohort of applicants, interleaved step by step."""
        base = START + dt.timedelta(hours=12 * number)
        self.cards: dict[uuid.UUID, FamilyCard] = {}  # two applicants share each card
        journeys = [
            self._journey(
                number * size + i,
                random.Random(self.seed * 7_919 + number * size + i),  # noqa: S311 - not secret
            )
            for i in range(size)
        ]
        rows: list[tuple[Any, int, str, bytes]] = []
        step = 0
        while journeys:
            moment = base + dt.timedelta(minutes=37 * step)
            alive = []
            for journey in journeys:
                try:
                    aggregates = next(journey)
                except StopIteration:
                    continue
                alive.append(journey)
                for aggregate in aggregates:
                    for event in aggregate.collect_events():
                        object.__setattr__(event, "timestamp", moment)
                        stored = self.mapper.to_stored_event(event)
                        rows.append(
                            (
                                stored.originator_id,
                                stored.originator_version,
                                stored.topic,
                                stored.state,
                            )
                        )
            journeys = alive
            step += 1
        return rows

    def _key(self, kind: KeyKind, value: str, owner: uuid.UUID) -> UniqueKey:
        return UniqueKey(kind.value, owner, key=unique_key_id(self.secret, kind, value))

    def _journey(self, index: int, rng: random.Random) -> Iterator[list[Aggregate]]:
        email = f"applicant{index}@example.com"
        a = Applicant(email, "argon2-hash", "id")
        yield [a, self._key(KeyKind.EMAIL, email, a.id)]
        if rng.random() < 0.05:
            bounce = Decision(
                False, (EMAIL_OWNERSHIP,), {"message_id": "m"}, (Reason("email_bounced"),)
            )
            a.record_email_bounce(1, bounce)
            yield [a]
            return
        a.record_email_sent(1, f"email-{index}")
        yield [a]
        if rng.random() < 0.22:
            return
        a.verify_email(
            1, Decision(True, (EMAIL_OWNERSHIP,), {"method": "link-token", "attempt": 1})
        )
        yield [a]
        if rng.random() < 0.08:
            return
        province = rng.choice(PROVINCES_2020)
        born = (
            dt.date(2010, 3, 3)
            if rng.random() < 0.02
            else dt.date(rng.randint(1965, 2001), rng.randint(1, 12), rng.randint(1, 28))
        )
        block, _ = divmod(index, 9_999)  # regency and district make each NIK unique
        nik = compose_nik(
            regency_code=f"{province}{block % 90 + 10:02d}",
            district=f"{block // 90 % 99 + 1:02d}",
            birth_date=born,
            sex=Sex.MALE if index % 2 else Sex.FEMALE,
            serial=index % 9_999 + 1,
        )
        kk = f"{province}01{index // 2:012d}"[:16]
        identity = Identity(nik.value, kk, "Nama Sintetis", born, "Ibu")
        if identity.age_on(DAY) < MINIMUM_AGE_YEARS:
            return  # a minor is refused as they submit: nothing is recorded
        key = self._key(KeyKind.NIK, nik.value, a.id)
        if rng.random() < 0.1:  # a typo first: the registry does not know the NIK
            a.submit_identity(identity, True, today=DAY)
            yield [a, key]
            a.record_identity_check(1, decide_identity(IdentityCheck(found=False)), None)
            key.release(a.id)  # a refused NIK is not held (as the step runner does)
            yield [a, key]
            if rng.random() < 0.15:
                return
            key.claim(a.id)
        a.submit_identity(identity, True, today=DAY)
        yield [a, key]
        age = 2020 - born.year
        check = IdentityCheck(True, FieldMatches(True, True, True, True), age, f"photo-{index}")
        decision = decide_identity(check)
        a.record_identity_check(a.identity_submissions, decision, check.photo_ref)
        if not decision.passed:
            key.release(a.id)
            yield [a, key]
            return
        yield [a]
        enrolled = rng.random() < 0.04
        education = Enrollment(enrolled, EducationLevel.UNIVERSITY if enrolled else None)
        a.record_education_check(decide_education(education))
        yield [a]
        if rng.random() < 0.01:
            a.delay_verification(Stage.EXCLUSION, "exclusions", 1, START)
            yield [a]
        lists = ("dtks",) if rng.random() < 0.08 else ()
        exclusion = decide_exclusions(ExclusionCheck(lists), family_has_room=True)
        a.record_exclusion_check(exclusion)
        if exclusion.passed:
            card_id = unique_key_id(self.secret, KeyKind.FAMILY_CARD, kk)
            card = self.cards.get(card_id) or self.cards.setdefault(
                card_id, FamilyCard(key=card_id)
            )
            card.admit(a.id)
            yield [a, card]
        else:
            yield [a]
        if enrolled or not exclusion.passed:
            return
        for attempt in (1, 2, 3):
            if rng.random() < 0.05:
                return
            a.upload_selfie(uuid.uuid4(), "0" * 64, "image/jpeg", 640, 480)
            yield [a]
            face = self._face(rng)
            decision, review = face_decision(face)
            a.record_face_check(attempt, decision, review=review)
            yield [a]
            status = a.stages[Stage.FACE].status
            if status is StageStatus.IN_REVIEW:
                if rng.random() < 0.5:
                    a.override_decision(
                        Stage.FACE, StageStatus.PASSED, a.version, "rina", "same person", None
                    )
                    yield [a]
                break
            if status is StageStatus.PASSED or rng.random() < 0.4:
                break
        if rng.random() < 0.08:
            return
        phone = f"+62812{index:08d}"
        a.request_otp(phone, START + dt.timedelta(days=3650))
        yield [a]
        a.record_otp_sent(1, f"sms-{index}")
        yield [a]
        a.verify_phone(START, 5, Decision(True, (PHONE_OTP,), {"sequence": 1, "method": "sms-otp"}))
        yield [a, self._key(KeyKind.PHONE, phone, a.id)]
        if not a.is_verified or rng.random() < 0.15:
            return
        yield from self._programme(a, rng, index)

    def _programme(self, a: Applicant, rng: random.Random, index: int) -> Iterator[list[Aggregate]]:
        for number in range(1, 9):
            wave = self.waves[number]
            a.join_wave(wave, number, rng.randint(40, 100))
            yield [a]
            if rng.random() < 0.3:
                a.issue_sk(wave, f"SK-{number}/2020", START.date(), 1_000_000)
                yield [a]
                break
            a.mark_not_selected(wave, {"draw": "seeded"})
            yield [a]
            if rng.random() < 0.5:
                return
        else:
            return
        if rng.random() < 0.06:
            a.revoke_membership(
                "no_training_within_30_days", "programme.first-training@1", {}, START
            )
            yield [a]
            return
        a.purchase_training(f"order-{index}", "skillhub", "t-1", 500_000, START)
        yield [a]
        if rng.random() < 0.2:
            return
        a.complete_training(f"order-{index}", True, START)
        yield [a]
        if rng.random() < 0.3:
            return
        key = a.initiate_incentive_payment("monthly", 1, "bank", START)
        yield [a]
        a.record_incentive_paid("monthly", 1, 600_000, key, f"ref-{index}", START)
        yield [a]

    def _face(self, rng: random.Random) -> FaceCheck:
        thresholds = {"accept_max_distance": 0.5, "review_max_distance": 0.6}
        evidence: dict[str, Any]
        if rng.random() < 0.16:
            reasons = rng.sample(QUALITY, rng.choice((1, 1, 2)))
            findings = tuple(
                {"code": r, "measure": r, "measured": 0.1, "threshold": 0.2} for r in reasons
            )
            evidence = {
                "outcome": "failed",
                "distance": None,
                "reasons": list(reasons),
                "findings": list(findings),
                "policy_version": self.policy.version,
                "thresholds": thresholds,
            }
            return FaceCheck("failed", findings, self.policy.version, evidence)
        distance = round(rng.uniform(0.25, 0.7), 4)
        outcome, reason, threshold = self.policy.decide(distance)
        findings = (
            ()
            if reason is None
            else (
                {
                    "code": str(reason),
                    "measure": "distance",
                    "measured": distance,
                    "threshold": threshold,
                },
            )
        )
        evidence = {
            "outcome": str(outcome),
            "distance": distance,
            "reasons": [f["code"] for f in findings],
            "findings": list(findings),
            "policy_version": self.policy.version,
            "thresholds": thresholds,
        }
        return FaceCheck(str(outcome), findings, self.policy.version, evidence)


_WORKER: Journeys | None = None


def _start_worker(cipher_key: str, seed: int) -> None:
    global _WORKER
    secret = SecretStr(cipher_key)
    settings = Settings(
        cipher_key=secret, token_secret=secret, data_dir=Path(tempfile.gettempdir())
    )
    container = bootstrap(settings, in_memory=True)
    _WORKER = Journeys(container.applicants.mapper, container.keys.derive("unique-keys"), seed)


def _cohort(number: int) -> list[tuple[uuid.UUID, int, str, bytes]]:
    assert _WORKER is not None
    return _WORKER.cohort(number)


def generate(
    address: DatabaseAddress, applicants: int, cipher_key: str, seed: int, processes: int
) -> dict[str, Any]:
    """Write cohorts of applicants, each in one transaction; an interrupted run resumes
    after the last cohort written (cohorts are deterministic)."""
    cohorts = (applicants + COHORT - 1) // COHORT
    started = time.monotonic()
    events = 0
    with psycopg.connect(address.conninfo) as conn:
        row = conn.execute(
            "SELECT count(*) FROM prakerja_events WHERE topic LIKE '%%Applicant.Registered'"
        ).fetchone()
        conn.commit()
    done = int(row[0]) // COHORT if row else 0
    with (
        psycopg.connect(address.conninfo) as conn,
        multiprocessing.Pool(processes, _start_worker, (cipher_key, seed)) as pool,
    ):
        for rows in pool.imap(_cohort, range(done, cohorts)):
            with conn.transaction(), conn.cursor() as cursor:
                cursor.execute("LOCK TABLE prakerja_events IN EXCLUSIVE MODE")
                with cursor.copy(
                    "COPY prakerja_events (originator_id, originator_version, topic, state)"
                    " FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.set_types(["uuid", "int8", "text", "bytea"])
                    for row in rows:
                        copy.write_row(row)
            events += len(rows)
        conn.execute("ANALYZE prakerja_events")
        conn.commit()
    seconds = time.monotonic() - started
    return {"applicants": cohorts * COHORT, "events": events, "seconds": seconds}


# ----------------------------------------------------------------- measuring


def measured(events: int, started: float, cpu: float, load: float) -> dict[str, Any]:
    """Wall time, events/s, this process's CPU per event, and the machine's load meanwhile
    (the machine is shared: a load above its cores means every figure is depressed)."""
    seconds = time.monotonic() - started
    return {
        "events": events,
        "seconds": seconds,
        "events_per_s": events / seconds,
        "client_cpu_us_per_event": (time.process_time() - cpu) / max(events, 1) * 1e6,
        "load_before": load,
        "load_after": os.getloadavg()[0],
    }


def start() -> tuple[float, float, float]:
    return os.getloadavg()[0], time.process_time(), time.monotonic()


def raw_copy_read(address: DatabaseAddress) -> dict[str, Any]:
    """Every event, as the server can hand them out: the floor no reader goes below."""
    size = 0
    with psycopg.connect(address.conninfo) as conn, conn.cursor() as cursor:
        row = cursor.execute("SELECT count(*) FROM prakerja_events").fetchone()
        assert row is not None
        load, cpu, started = start()
        with cursor.copy(
            "COPY (SELECT notification_id, originator_id, originator_version, topic, state"
            " FROM prakerja_events ORDER BY notification_id) TO STDOUT (FORMAT BINARY)"
        ) as copy:
            for block in copy:
                size += len(block)
    return {**measured(int(row[0]), started, cpu, load), "mb": size / 1e6}


def decode_only(source: EventTable, topics: list[str], page_size: int) -> dict[str, Any]:
    """Read and decode every event of these topics, folding nothing."""
    load, cpu, started = start()
    events = 0
    for rows, _ in source.pages(LOG_START, page_size, topics):
        events += len(source.decode_rows(rows))
    return measured(events, started, cpu, load)


def reset(container: Any, kind: str) -> None:
    """Empty the live version of a read model and move its follower back to the start."""
    model = READ_MODELS[kind]
    with container.pool.connection() as conn:
        row = conn.execute("SELECT version FROM read_models WHERE name = %s", (kind,)).fetchone()
        schema = schema_name(kind, row[0])
        conn.execute(f"TRUNCATE {', '.join(f'{schema}.{t.name}' for t in model.tables)}")
        conn.execute(
            "UPDATE log_positions SET transaction_id = '0', notification_id = 0 WHERE name = %s",
            (f"{kind}@{row[0]}",),
        )


def catch_up(
    container: Any,
    kind: str,
    page_size: int,
    batch_events: int,
    processes: int = 1,
    folding: FoldingSource | None = None,
) -> dict[str, Any]:
    """The live follower from position 0: batches folded and upserted (indexes in place);
    with ``processes`` above 1, each batch folded by that many worker processes."""
    reset(container, kind)
    follower = ReadModelFollower(
        container.applicants,
        container.pool,
        READ_MODELS[kind],
        page_size=page_size,
        batch_events=batch_events,
        folding=folding,
        processes=processes,
    )
    follower.start_workers()  # once per follower's life: not catch-up work
    load, cpu, started = start()
    try:
        events = follower.catch_up()
    finally:
        follower.close()
    result = measured(events, started, cpu, load)
    return {**result, "processes": processes, "parallel_batches": follower.parallel_batches}


def rebuild(
    container: Any, kind: str, page_size: int, workers: int, folding: FoldingSource | None
) -> dict[str, Any]:
    """``prakerja projections rebuild``: a new version from the whole log, then the switch."""
    model = READ_MODELS[kind]
    load, cpu, started = start()
    done = Rebuild(
        model,
        container.database.conninfo,
        container.pool,
        event_table(container.applicants, container.pool, model),
        page_size=page_size,
        folding=folding,
        workers=workers,
    ).run()
    result = measured(done.events, started, cpu, load)
    return {**result, "workers": workers, "phases": done.phases, "version": done.version}


# ------------------------------------------------------------- stock runner


class LogApplication(Application[uuid.UUID]):
    """The event store as the library's runner subscribes to it (same name, cipher, types)."""

    name = "prakerja"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


class StockCasesView(PostgresTrackingRecorder):
    """The ``cases`` read model written the stock way: one event, one transaction."""

    schema = "rm_cases_stock"

    def apply(self, event: Any, tracking: Tracking) -> None:
        fold = READ_MODELS["cases"].fold(self.schema, fresh=False)
        with self.datastore.transaction(commit=True) as cursor:
            conn = cursor.connection
            factory, conn.row_factory = conn.row_factory, psycopg.rows.tuple_row
            try:
                fold.apply([Logged(Position(0, tracking.notification_id), event)], conn)
                with conn.cursor() as plain:
                    fold.flush(plain)
            finally:
                conn.row_factory = factory
            self._insert_tracking(cursor, tracking)


class StockCases(Projection[StockCasesView]):
    name = "stock_cases"
    topics = tuple(READ_MODELS["cases"].topics)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.apply(domain_event, tracking)


def stock_runner(container: Any, settings: Settings, sample: int) -> dict[str, Any]:
    address = container.database
    with psycopg.connect(address.conninfo, autocommit=True) as conn:
        version = conn.execute("SELECT version FROM read_models WHERE name = 'cases'").fetchone()[0]  # type: ignore[index]
        live = schema_name("cases", version)
        conn.execute("DROP SCHEMA IF EXISTS rm_cases_stock CASCADE")
        conn.execute("CREATE SCHEMA rm_cases_stock")
        for table in READ_MODELS["cases"].tables:
            conn.execute(
                f"CREATE TABLE rm_cases_stock.{table.name} (LIKE {live}.{table.name} INCLUDING ALL)"
            )
        conn.execute("DROP TABLE IF EXISTS stock_cases_tracking")
        last = conn.execute(
            "SELECT notification_id FROM prakerja_events WHERE topic = ANY(%s)"
            " ORDER BY notification_id OFFSET %s LIMIT 1",
            (list(StockCases.topics), sample - 1),
        ).fetchone()[0]  # type: ignore[index]
    env = event_store_env(settings, container.keys, address)
    env.update({key.removeprefix("PRAKERJA_"): value for key, value in env.items()})
    env["CREATE_TABLE"] = "y"
    # The library's runner follows the log by id, through a subscription (LISTEN/NOTIFY):
    # its own recorder, on a log that is all written before it starts.
    stock = get_topic(PostgresApplicationRecorder)
    env["APPLICATION_RECORDER_TOPIC"] = env["PRAKERJA_APPLICATION_RECORDER_TOPIC"] = stock
    runner = ProjectionRunner(
        application_class=LogApplication,
        projection_class=StockCases,
        view_class=StockCasesView,
        env=env,
    )
    with runner:
        load, cpu, started = start()
        runner.wait(last, timeout=3600)
        return measured(sample, started, cpu, load)


def profile(container: Any, kind: str, page_size: int, batch_events: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    catch_up(container, kind, page_size, batch_events)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(18)
    return out.getvalue()


# ---------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=100_000)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", help="reuse this database (made by a run with --keep)")
    parser.add_argument("--processes", type=int, default=2, help="generator processes")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--page-size", type=int, default=10_000)
    parser.add_argument("--batch-events", type=int, default=200_000)
    parser.add_argument("--rebuild-page-size", type=int, default=20_000)
    parser.add_argument("--rebuild-workers", default="1,2", help="process counts to measure")
    parser.add_argument(
        "--parallel-models", default=",".join(READ_MODELS), help="read models rebuilt by >1 process"
    )
    parser.add_argument("--stock-sample", type=int, default=3_000)
    parser.add_argument("--models", default=",".join(READ_MODELS))
    parser.add_argument("--profile", action="store_true", help="cProfile one catch-up of cases")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--resume", action="store_true", help="with --database: skip what --out already has"
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    console = Console()
    server = DatabaseAddress.from_url(args.server)
    name = args.database or f"prakerja_bench_rm_{args.applicants}_{uuid.uuid4().hex[:6]}"
    address = DatabaseAddress(server.host, server.port, name, server.user, server.password)
    keys = Path(f"bench/results/.{name}.key")
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": multiprocessing.cpu_count(),
            "load_at_start": os.getloadavg(),
        },
        "database": name,
        "page_size": args.page_size,
        "batch_events": args.batch_events,
        "command": "bench/projections.py "
        + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if v not in (None, False)
        ),
    }
    out = args.out or Path(f"bench/results/projections-{args.applicants}.json")
    if args.resume and out.exists():
        results = {**json.loads(out.read_text()), **{"machine": results["machine"]}}
        console.print(f"resuming: {sorted(results)}")
    if args.database is None:
        with psycopg.connect(server.conninfo, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        upgrade(address)
        keys.parent.mkdir(parents=True, exist_ok=True)
        keys.write_text(new_cipher_key())
    if "generated" not in results:
        console.print(f"generating {args.applicants:,} applicants into {name} ...")
        results["generated"] = generate(
            address, args.applicants, keys.read_text(), args.seed, args.processes
        )
        console.print(f"  {results['generated']}")
        save(out, results)
    cipher = SecretStr(keys.read_text())
    settings = Settings(
        cipher_key=cipher,
        token_secret=cipher,
        data_dir=Path(tempfile.gettempdir()),
        database_url=f"postgresql://{address.user}:{address.password}@/{address.dbname}"
        f"?host={address.host}&port={address.port}",
        db_pool_size=4,
    )
    container = bootstrap(settings)
    assert container.pool is not None
    with psycopg.connect(address.conninfo) as conn:
        counted = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE topic LIKE '%%Applicant.Registered'),"
            " pg_total_relation_size('prakerja_events') / 1e6 FROM prakerja_events"
        ).fetchone()
        assert counted is not None
    results["log"] = {"events": counted[0], "applicants": counted[1], "mb": float(counted[2])}
    console.print(f"log: {results['log']}")
    models = args.models.split(",")
    if "raw_copy_read" not in results:
        results["raw_copy_read"] = raw_copy_read(address)
        console.print(f"raw COPY read: {results['raw_copy_read']}")
        save(out, results)
    cases = READ_MODELS["cases"]
    source = EventTable(container.pool, PayloadDecoder(container.applicants.mapper, cases.fields))
    if "read_and_decode_cases_topics" not in results:
        decoded = decode_only(source, cases.topics, args.page_size)
        results["read_and_decode_cases_topics"] = decoded
        console.print(f"read+decode: {decoded}")
        save(out, results)
    if args.profile:
        results["profile"] = profile(container, "cases", args.page_size, args.batch_events)
        console.print(results["profile"])
    results.setdefault("catch_up", {})
    results.setdefault("catch_up_one_process", {})
    for kind in models:
        if kind not in results["catch_up_one_process"]:
            measure = catch_up(container, kind, args.page_size, args.batch_events)
            results["catch_up_one_process"][kind] = measure
            console.print(f"catch-up {kind}, one process: {measure}")
            save(out, results)
        if kind not in results["catch_up"]:
            processes = settings.projections.catch_up_processes
            measure = catch_up(
                container, kind, args.page_size, args.batch_events, processes, container.folding
            )
            results["catch_up"][kind] = measure
            console.print(f"catch-up {kind}, {processes} processes: {measure}")
            save(out, results)
    results.setdefault("rebuild", {})
    for workers in (int(w) for w in args.rebuild_workers.split(",")):
        chosen = models if workers == 1 else args.parallel_models.split(",")
        for kind in chosen:
            label = kind if workers == 1 else f"{kind} ({workers} processes)"
            if label not in results["rebuild"]:
                measure = rebuild(
                    container, kind, args.rebuild_page_size, workers, container.folding
                )
                results["rebuild"][label] = measure
                console.print(f"rebuild {label}: {measure}")
                save(out, results)
    stock = stock_runner(container, settings, args.stock_sample)
    relevant = results["read_and_decode_cases_topics"]["events"]
    stock["extrapolated_seconds_for_all_events"] = relevant / stock["events_per_s"]
    stock["note"] = (
        f"measured on the first {args.stock_sample} events of the cases topics;"
        " the time for the whole log is extrapolated from that rate"
    )
    results["stock_runner_cases"] = stock
    console.print(f"stock runner: {stock}")
    if "cases" in results["catch_up"]:
        results["ratio_catch_up_to_stock_cases"] = (
            results["catch_up"]["cases"]["events_per_s"] / stock["events_per_s"]
        )
        best = max(v["events_per_s"] for k, v in results["rebuild"].items() if "cases" in k)
        results["ratio_rebuild_to_stock_cases"] = best / stock["events_per_s"]
    container.close()
    save(out, results)
    print_table(console, results, args.stock_sample)
    console.print(f"results: {out}")
    if not args.keep and args.database is None:
        with psycopg.connect(server.conninfo, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        keys.unlink()


def save(out: Path, results: dict[str, Any]) -> None:
    """After every measurement: a run cut short keeps what it measured (see --resume)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))


def print_table(console: Console, results: dict[str, Any], sample: int) -> None:
    log = results["log"]
    table = Table(
        "measure",
        "events",
        "seconds",
        "events/s",
        "CPU µs/event",
        "load",
        title=f"{log['applicants']:,} applicants, {log['events']:,} events",
    )
    rows = [
        ("raw COPY read (all events)", results["raw_copy_read"]),
        ("read + decrypt + decode (cases topics)", results["read_and_decode_cases_topics"]),
    ]
    rows += [(f"catch-up {k} (1 process)", v) for k, v in results["catch_up_one_process"].items()]
    rows += [
        (f"catch-up {k} ({v.get('processes', 1)} processes)", v)
        for k, v in results["catch_up"].items()
    ]
    rows += [(f"rebuild {k}", v) for k, v in results["rebuild"].items()]
    rows.append((f"stock ProjectionRunner, cases (sample {sample})", results["stock_runner_cases"]))
    for label, row in rows:
        table.add_row(
            label,
            f"{row['events']:,}",
            f"{row['seconds']:,.1f}",
            f"{row['events_per_s']:,.0f}",
            f"{row['client_cpu_us_per_event']:,.1f}",
            f"{row['load_before']:.1f} → {row['load_after']:.1f}",
        )
    console.print(table)
    if "ratio_catch_up_to_stock_cases" in results:
        stock = results["stock_runner_cases"]
        console.print(
            f"cases: catch-up {results['ratio_catch_up_to_stock_cases']:,.0f}x and rebuild"
            f" {results['ratio_rebuild_to_stock_cases']:,.0f}x the stock runner, which would"
            f" need {stock['extrapolated_seconds_for_all_events'] / 3600:,.1f} h for this log"
            " (extrapolated)"
        )


if __name__ == "__main__":
    main()
