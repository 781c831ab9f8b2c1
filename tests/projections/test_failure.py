"""A read model that fails on an event stops there, says so, and resumes there once fixed."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from litestar.testing import TestClient

from prakerja.container import Container
from prakerja.domain.applicant import Applicant
from prakerja.eventstore.position import Position
from prakerja.projections.cases import Cases
from prakerja.projections.decoding import Decoded
from prakerja.projections.follower import EventFailed
from prakerja.projections.follower_status import statuses
from prakerja.projections.live import ReadModelFollower
from prakerja.projections.rejections import RejectionFold, Rejections
from tests.projections import reference
from tests.projections.test_read_models import rows

pytestmark = pytest.mark.postgres


class BrokenFold(RejectionFold):
    """Last release's rejection audit: it cannot file a blurry selfie."""

    def _fold(self, event_id: int, event: Decoded) -> None:
        if event.kind is Applicant.FaceMatchFailed and "blurry" in str(event.data.reasons):
            raise KeyError("blurry")
        super()._fold(event_id, event)


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


def first_blurry(container: Container) -> Position:
    """The first blurry selfie's rejection in the order the log is read."""
    assert container.pool is not None
    with container.pool.connection() as conn:
        found = conn.execute(
            "SELECT transaction_id::text::bigint AS t, notification_id, originator_id,"
            " originator_version, topic, state FROM prakerja_events"
            " WHERE topic LIKE '%%FaceMatchFailed' ORDER BY transaction_id, notification_id"
        ).fetchall()
    for transaction_id, notification_id, originator, version, topic, state in found:
        event: Any = container.applicants.mapper.to_domain_event(
            StoredEvent(originator, version, topic, bytes(state))
        )
        if "blurry" in str(event.reasons):
            return Position(transaction_id, notification_id)
    raise AssertionError("no blurry selfie in the population")


def stored(container: Container, name: str) -> tuple[Position, str | None, int | None]:
    """A follower's row in log_positions: position, last error, failed event."""
    ((transaction_id, notification_id, error, event),) = rows(
        container,
        "SELECT transaction_id::text::bigint AS t, notification_id, last_error, failed_event"
        " FROM log_positions WHERE name = %s",
        name,
    )
    return Position(transaction_id, notification_id), error, event


def test_a_failing_event_stops_the_read_model_there_and_it_resumes_there_once_fixed(
    populated: Container, api: TestClient[Any]
) -> None:
    failing = first_blurry(populated)
    broken = follower(populated, BrokenRejections())
    for _ in range(2):  # restarting the broken code fails on the same event again
        with pytest.raises(EventFailed) as stopped:
            broken.catch_up()
        assert stopped.value.position == failing
        position, error, event = stored(populated, "rejections@1")
        assert (event, position) == (failing.notification_id, failing.before())
        assert error is not None and "KeyError" in error
    # Everything before it is in (the position is just before it), nothing from it on.
    assert rows(
        populated,
        "SELECT count(*) FROM reports.rejection_events r JOIN prakerja_events e"
        " ON e.notification_id = r.position"
        " WHERE (e.transaction_id, e.notification_id) >= (%s::text::xid8, %s)",
        *failing,
    ) == [(0,)]

    ready = api.get("/ready").json()
    assert ready["status"] == "degraded"
    assert ready["checks"]["follower rejections@1"] == (
        f"stopped at event {failing.notification_id} (KeyError)"
    )
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
        failing.notification_id,
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
    assert stored(populated, "cases@1")[2] == position.notification_id
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
        folding=populated.folding,
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
    assert stored(populated, "cases@1")[2] == position.notification_id
    assert rows(populated, "SELECT count(*) FROM reports.cases") == [
        (len(reference.applicant_ids(populated)) - 1,)
    ]


def _append_undecodable_event(populated: Container) -> Position:
    """Append a registration whose payload cannot be decrypted; its position."""
    assert populated.pool is not None
    with populated.pool.connection() as conn:
        inserted = conn.execute(
            "INSERT INTO prakerja_events (originator_id, originator_version, topic, state)"
            " VALUES (gen_random_uuid(), 1, %s, %s)"
            " RETURNING transaction_id::text::bigint, notification_id",
            (get_topic(Applicant.Registered), b"not an encrypted payload"),
        ).fetchone()
    assert inserted is not None
    return Position(*inserted)
