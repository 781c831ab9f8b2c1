"""After a run of synthetic applicants, every read model says what the event store says."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic

from prakerja.api.presenters import overall_status
from prakerja.container import Container
from prakerja.domain.applicant import Applicant
from prakerja.domain.nik import mask_nik
from prakerja.domain.stages import VERIFICATION_ORDER, StageStatus
from prakerja.eventstore.position import Position
from prakerja.projections.base import VersionHandler
from prakerja.projections.catalogue import READ_MODELS
from prakerja.projections.decisions import FACE
from prakerja.projections.follower import ApplicationSource, LogFollower
from prakerja.projections.funnel import Funnel
from prakerja.projections.live import ReadModelFollower, event_table
from prakerja.projections.rebuild import Rebuild
from tests.projections import reference

pytestmark = pytest.mark.postgres


def catch_up(container: Container, batch_events: int = 200_000, page_size: int = 50) -> None:
    assert container.pool is not None
    for model in READ_MODELS.values():
        follower = ReadModelFollower(
            container.applicants,
            container.pool,
            model,
            page_size=page_size,
            batch_events=batch_events,
        )
        follower.catch_up()


def rows(container: Container, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    assert container.pool is not None
    with container.pool.connection() as conn:
        return conn.execute(sql, params or None).fetchall()


def test_every_funnel_count_equals_the_event_store(populated: Container) -> None:
    catch_up(populated, batch_events=120)  # many small batches: state carried across writes
    table = {
        (m, w, p, d): n
        for m, w, p, d, n in rows(
            populated,
            "SELECT milestone, wave, province, day, applicants FROM reports.funnel_counts",
        )
    }
    expected = reference.funnel(populated)
    assert table == dict(expected)
    totals: Counter[tuple[Any, ...]] = Counter()
    for (milestone, wave, province, _), count in expected.items():
        totals[(milestone, wave, province)] += count
    day_less = "SELECT milestone, wave, province, applicants FROM reports.funnel_totals"
    assert {(m, w, p): n for m, w, p, n in rows(populated, day_less)} == {
        key: count for key, count in totals.items() if count
    }
    assert {key[0] for key in expected} >= {"registered", "nik_valid", "verified", "selected"}
    assert len({key[2] for key in expected}) >= 5  # several provinces, and "" (no NIK yet)


def test_cases_and_pending_work_equal_the_aggregates(populated: Container) -> None:
    catch_up(populated)
    cases = {
        row[0]: row
        for row in rows(
            populated,
            "SELECT applicant_id, status, nik_masked, province, membership, wave_number,"
            " email, identity, education, exclusion, face, phone FROM reports.cases",
        )
    }
    pending = Counter(
        (a, s)
        for a, s in rows(
            populated,
            "SELECT applicant_id, step FROM reports.pending_work WHERE waiting_on = 'automation'",
        )
    )
    histories = reference.histories(populated)
    assert set(cases) == set(histories)
    for applicant_id, events in histories.items():
        applicant = reference.final(events)
        row = cases[applicant_id]
        nik = applicant.identity.nik if applicant.identity else None
        assert row[1:6] == (
            overall_status(applicant),
            mask_nik(nik) if nik else None,
            nik[:2] if nik else None,
            applicant.membership.status.value,
            applicant.membership.wave_number,
        )
        assert list(row[6:]) == [applicant.stages[s].status.value for s in VERIFICATION_ORDER]
        for step in applicant.outstanding_work():
            assert pending[(applicant_id, step.value)] == 1
    assert sum(pending.values()) == sum(
        len(reference.final(e).outstanding_work()) for e in histories.values()
    )
    counts = rows(populated, "SELECT sum(applicants) FROM reports.pending_counts")[0][0]
    assert counts == rows(populated, "SELECT count(*) FROM reports.pending_work")[0][0]
    for _, _, nik_masked, *_ in cases.values():
        assert nik_masked is None or "********" in nik_masked  # never a whole NIK


def test_rejection_audit_counts_every_rejection_flag_and_delay(populated: Container) -> None:
    catch_up(populated)
    expected: Counter[tuple[str, str]] = Counter()
    decisions: Counter[tuple[str, str]] = Counter()
    stages = {
        "EmailBounced": "email",
        "NikRejected": "identity",
        "EducationChecked": "education",
        "ExclusionChecked": "exclusion",
        "FaceMatchFailed": "face",
        "FaceReviewRequested": "face",
    }
    for events in reference.histories(populated).values():
        for event in events:
            name = type(event).__name__
            if name in stages and not getattr(event, "passed", False):
                kind = "flagged" if name == "FaceReviewRequested" else "rejected"
                decisions[(stages[name], kind)] += 1
                for reason in event.reasons:
                    expected[(stages[name], reason["code"])] += 1
            elif name == "VerificationDelayed":
                decisions[(event.stage, "delayed")] += 1
                expected[(event.stage, "technical_delay")] += 1
            elif name == "MembershipRevoked":
                decisions[("programme", "revoked")] += 1
                expected[("programme", event.reason)] += 1
    found = Counter(
        {
            (stage, reason): count
            for stage, reason, count in rows(
                populated,
                "SELECT stage, reason, count(*) FROM reports.rejection_events GROUP BY 1, 2",
            )
        }
    )
    assert found == expected
    totals = rows(
        populated,
        "SELECT stage, kind, sum(events) FROM reports.rejection_counts WHERE reason = '*'"
        " GROUP BY 1, 2",
    )
    assert {(s, k): n for s, k, n in totals} == dict(decisions)
    assert expected[("face", "blurry")] > 0 and decisions[("identity", "rejected")] > 0


def test_wave_rosters_follow_joins_selections_and_decrees(populated: Container) -> None:
    catch_up(populated)
    roster = {
        (a, w): (outcome, sk)
        for a, w, outcome, sk in rows(
            populated,
            "SELECT applicant_id, wave_number, outcome, sk_number FROM reports.wave_roster",
        )
    }
    expected: dict[tuple[UUID, int | None], tuple[str, str | None]] = {}
    for applicant_id, events in reference.histories(populated).items():
        for event, applicant in reference.replay(events):
            number = applicant.membership.wave_number
            if isinstance(event, Applicant.JoinedBatch):
                expected[(applicant_id, number)] = ("waiting", None)
            elif isinstance(event, Applicant.SKIssued):
                expected[(applicant_id, number)] = ("selected", event.sk_number)
            elif isinstance(event, Applicant.NotSelected):
                expected[(applicant_id, number)] = ("not_selected", None)
    assert roster == expected
    totals = rows(
        populated,
        "SELECT wave_number, joined, waiting, selected, not_selected"
        " FROM reports.wave_totals ORDER BY 1",
    )
    for number, joined, waiting, selected, not_selected in totals:
        outcomes = Counter(o for (_, w), (o, _) in expected.items() if w == number)
        assert (joined, waiting, selected, not_selected) == (
            sum(outcomes.values()),
            outcomes["waiting"],
            outcomes["selected"],
            outcomes["not_selected"],
        )


def test_decision_evidence_is_the_latest_automated_face_decision(populated: Container) -> None:
    catch_up(populated)
    table = {
        a: (outcome, distance, overridden, superseded)
        for a, outcome, distance, overridden, superseded in rows(
            populated,
            "SELECT applicant_id, outcome, distance, overridden, superseded"
            " FROM reports.decision_evidence WHERE stage = 'face'",
        )
    }
    for applicant_id, events in reference.histories(populated).items():
        applicant = reference.final(events)
        decided = [
            e
            for e in events
            if type(e).__name__ in ("FaceMatched", "FaceMatchFailed", "FaceReviewRequested")
        ]
        if not decided:
            assert applicant_id not in table
            continue
        last = decided[-1]
        outcome, distance, overridden, superseded = table[applicant_id]
        assert distance == last.evidence["distance"]
        assert superseded == (
            events.index(last)
            < max(i for i, e in enumerate(events) if isinstance(e, Applicant.SelfieUploaded))
        )
        assert outcome == applicant.stages[VERIFICATION_ORDER[4]].status.value or superseded
        assert overridden == any(
            isinstance(e, Applicant.DecisionOverridden) and e.stage == FACE
            for e in events[events.index(last) :]
        )
    assert any(status == StageStatus.IN_REVIEW.value for status, *_ in table.values())


def test_a_plain_log_follower_of_full_events_builds_the_same_read_model(
    populated: Container,
) -> None:
    """The PageHandler path (library mapper, one page per write) and the fast batched one."""
    assert populated.pool is not None
    assert populated.database is not None
    plain = LogFollower(
        populated.applicants,
        populated.pool,
        VersionHandler(Funnel(), 1),
        page_size=7,
        source=ApplicationSource(populated.applicants, populated.pool),
    )
    plain.catch_up()
    sql = "SELECT * FROM reports.funnel_counts ORDER BY 1, 2, 3, 4"
    before = rows(populated, sql)
    model = READ_MODELS["funnel"]
    Rebuild(
        model,
        populated.database.conninfo,
        populated.pool,
        event_table(populated.applicants, populated.pool, model),
    ).run()
    assert rows(populated, sql) == before
    topics = rows(populated, "SELECT count(DISTINCT topic) FROM prakerja_events")[0][0]
    assert topics > len(Funnel().topics) / 2
    assert get_topic(Applicant.Registered) in Funnel().topics


class _Collect:
    """A handler keeping the positions of the events it was given."""

    name = "collect"

    def __init__(self, *topics: str) -> None:
        self.topics: Sequence[str] = topics
        self.positions: list[Position] = []

    def handle(self, page: Any, cursor: Any) -> None:
        self.positions += [item.position for item in page]


def test_a_follower_of_rare_events_moves_to_the_horizon_and_sees_each_event_once(
    populated: Container,
) -> None:
    """A short page moves the position to the horizon, so a follower whose events are
    rare does not re-read the log after its last one at every look."""
    assert populated.pool is not None
    newest, log = rows(
        populated, "SELECT max(transaction_id::text::bigint), count(*) FROM prakerja_events"
    )[0]
    rare = get_topic(Applicant.NikRejected)
    expected = [
        Position(*found)
        for found in rows(
            populated,
            "SELECT transaction_id::text::bigint AS t, notification_id FROM prakerja_events"
            " WHERE topic = %s ORDER BY transaction_id, notification_id",
            rare,
        )
    ]
    assert 0 < len(expected) < log / 10
    handler = _Collect(rare)
    follower = LogFollower(populated.applicants, populated.pool, handler, page_size=3)
    follower.catch_up()
    assert handler.positions == expected
    beyond = follower.position()
    assert beyond.notification_id == 0 and beyond.transaction_id > newest
    assert follower.step() == 0 and handler.positions == expected

    nobody = _Collect("prakerja.domain.applicant:Applicant.NeverRecorded")
    idle = LogFollower(populated.applicants, populated.pool, nobody)
    assert idle.step() == 0
    assert idle.position() > Position(newest, 0) and nobody.positions == []
