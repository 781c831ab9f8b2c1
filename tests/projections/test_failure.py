"""A read model that fails on an event stops there, says so, and resumes there once fixed."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from litestar.testing import TestClient

from prakerja.bootstrap import Container
from prakerja.domain.applicant import Applicant
from prakerja.projections.cases import Cases
from prakerja.projections.decoding import Decoded
from prakerja.projections.follower import EventFailed
from prakerja.projections.live import ReadModelFollower
from prakerja.projections.rejections import RejectionFold, Rejections
from prakerja.projections.status import statuses
from tests.projections import reference
from tests.projections.test_read_models import rows

pytestmark = pytest.mark.postgres


class BrokenFold(RejectionFold):
    """Last release's rejection audit: it cannot file a blurry selfie."""

    def _fold(self, position: int, event: Decoded) -> None:
        if event.kind is Applicant.FaceMatchFailed and "blurry" in str(event.data.reasons):
            raise KeyError("blurry")
        super()._fold(position, event)


class BrokenRejections(Rejections):
    def fold(self, schema: str, *, fresh: bool, staged: bool = False) -> RejectionFold:
        events, counts = (
            self.table("rejection_events", schema, staged=staged),
            self.table("rejection_counts", schema, staged=staged),
        )
        return BrokenFold(events, counts, fresh=fresh)


def follower(container: Container, model: Rejections) -> ReadModelFollower:
    assert container.pool is not None
    return ReadModelFollower(
        container.applicants, container.pool, model, page_size=10, batch_events=25
    )


def first_blurry(container: Container) -> int:
    assert container.pool is not None
    with container.pool.connection() as conn:
        found = conn.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state"
            " FROM prakerja_events WHERE topic LIKE '%%FaceMatchFailed' ORDER BY 1"
        ).fetchall()
    for position, originator, version, topic, state in found:
        event: Any = container.applicants.mapper.to_domain_event(
            StoredEvent(originator, version, topic, bytes(state))
        )
        if "blurry" in str(event.reasons):
            return int(position)
    raise AssertionError("no blurry selfie in the population")


def test_a_failing_event_stops_the_read_model_there_and_it_resumes_there_once_fixed(
    populated: Container, api: TestClient[Any]
) -> None:
    failing = first_blurry(populated)
    broken = follower(populated, BrokenRejections())
    for _ in range(2):  # restarting the broken code fails on the same event again
        with pytest.raises(EventFailed) as stopped:
            broken.catch_up()
        assert stopped.value.position == failing
        ((position, error, event),) = rows(
            populated,
            "SELECT position, last_error, failed_event FROM log_positions"
            " WHERE name = 'rejections@1'",
        )
        assert (event, position) == (failing, failing - 1)
        assert "KeyError" in error
    assert rows(
        populated, "SELECT count(*) FROM reports.rejection_events WHERE position >= %s", failing
    ) == [(0,)]
    assert rows(populated, "SELECT position FROM log_positions WHERE name = 'rejections@1'") == [
        (failing - 1,)
    ]  # everything before it is in

    ready = api.get("/ready").json()
    assert ready["status"] == "degraded"
    assert ready["checks"]["follower rejections@1"] == f"stopped at event {failing} (KeyError)"
    assert populated.pool is not None
    with populated.pool.connection() as conn:
        by_name = {s.name: s for s in statuses(conn, populated.applicants, {})}
    assert by_name["rejections@1"].state == "failed"
    assert by_name["rejections@1"].lag_events > 0 and by_name["rejections@1"].lag_seconds

    fixed = follower(populated, Rejections())
    fixed.catch_up()
    assert rows(
        populated, "SELECT last_error, failed_event FROM log_positions WHERE name = 'rejections@1'"
    ) == [(None, None)]
    assert rows(
        populated,
        "SELECT count(*) > 0 FROM reports.rejection_events WHERE position = %s",
        failing,
    ) == [(True,)]
    decisions = sum(
        1
        for events in reference.histories(populated).values()
        for e in events
        if type(e).__name__ in ("EmailBounced", "NikRejected", "FaceMatchFailed")
        or type(e).__name__ in ("FaceReviewRequested", "VerificationDelayed", "MembershipRevoked")
        or (type(e).__name__ in ("EducationChecked", "ExclusionChecked") and not e.passed)
    )
    assert rows(populated, "SELECT count(DISTINCT position) FROM reports.rejection_events") == [
        (decisions,)
    ]
    assert api.get("/ready").json()["status"] == "ok"


def test_an_undecodable_event_is_reported_with_its_position(populated: Container) -> None:
    assert populated.pool is not None
    position = _append_undecodable_event(populated)
    cases = ReadModelFollower(populated.applicants, populated.pool, Cases())
    with pytest.raises(EventFailed) as failed:
        cases.catch_up()
    assert failed.value.position == position
    assert rows(populated, "SELECT failed_event FROM log_positions WHERE name = 'cases@1'") == [
        (position,)
    ]
    assert rows(populated, "SELECT count(*) FROM reports.cases") == [
        (len(reference.applicant_ids(populated)) - 1,)
    ]


def test_a_failing_event_in_a_parallel_catch_up_is_reported_at_its_position(
    populated: Container,
) -> None:
    assert populated.pool is not None
    position = _append_undecodable_event(populated)
    cases = ReadModelFollower(
        populated.applicants,
        populated.pool,
        Cases(),
        batch_events=50,
        settings=populated.settings,
        processes=2,
        parallel_lag=1,
    )
    try:
        with pytest.raises(EventFailed) as failed:
            cases.catch_up()
    finally:
        cases.close()
    assert cases.parallel_batches >= 2  # the batches before it were folded in parallel
    assert failed.value.position == position
    assert rows(populated, "SELECT failed_event FROM log_positions WHERE name = 'cases@1'") == [
        (position,)
    ]
    assert rows(populated, "SELECT count(*) FROM reports.cases") == [
        (len(reference.applicant_ids(populated)) - 1,)
    ]


def _append_undecodable_event(populated: Container) -> int:
    """Append a registration whose payload cannot be decrypted; its position."""
    assert populated.pool is not None
    with populated.pool.connection() as conn:
        conn.execute("LOCK TABLE prakerja_events IN EXCLUSIVE MODE")
        inserted = conn.execute(
            "INSERT INTO prakerja_events (originator_id, originator_version, topic, state)"
            " VALUES (gen_random_uuid(), 1, %s, %s) RETURNING notification_id",
            (get_topic(Applicant.Registered), b"not an encrypted payload"),
        ).fetchone()
    assert inserted is not None
    return int(inserted[0])
