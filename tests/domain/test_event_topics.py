"""Events keep the topics they were stored under, whichever module defines them."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic, resolve_topic

from prakerja.domain.applicant import Applicant
from prakerja.domain.decisions import Decision, Reason
from prakerja.domain.rules import EMAIL_OWNERSHIP, Rule
from prakerja.domain.wave import PriorityListing, Wave, WaveCatalogue, WaveRoster

_AGGREGATES = {
    "prakerja.domain.applicant": (Applicant,),
    "prakerja.domain.wave": (Wave, WaveRoster, WaveCatalogue, PriorityListing),
}


def _nested_events(aggregate: type) -> list[type]:
    return [
        value
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, Aggregate.Event) and name != "Event"
    ]


def test_every_event_is_recorded_under_its_aggregates_topic() -> None:
    for module, aggregates in _AGGREGATES.items():
        for aggregate in aggregates:
            assert get_topic(aggregate) == f"{module}:{aggregate.__name__}"
            events = _nested_events(aggregate)
            assert events
            for event_class in events:
                topic = f"{module}:{aggregate.__name__}.{event_class.__name__}"
                assert get_topic(event_class) == topic
                assert resolve_topic(topic) is event_class


def test_applicant_records_the_nested_classes_and_replays_them() -> None:
    app: Application[UUID] = Application()
    applicant = Applicant(email="a@example.org", password_hash="x", language="id")
    applicant.record_email_bounce(1, Decision(False, (EMAIL_OWNERSHIP,), {"smtp": 550}))
    applicant.change_email("b@example.org")
    app.save(applicant)

    stored = list(app.events.get(applicant.id))
    assert [type(e) for e in stored] == [
        Applicant.Registered,
        Applicant.EmailBounced,
        Applicant.EmailChanged,
    ]
    assert get_topic(type(stored[1])) == "prakerja.domain.applicant:Applicant.EmailBounced"
    copy: Applicant = app.repository.get(applicant.id)
    assert copy.email == "b@example.org" and copy.emails_requested == 2


def test_a_decision_event_exposes_its_decision() -> None:
    applicant = Applicant(email="a@example.org", password_hash="x", language="id")
    applicant.record_email_bounce(
        1,
        Decision(False, (EMAIL_OWNERSHIP,), {"smtp": 550}, (Reason("email_bounced", 550),)),
    )
    bounced = applicant.collect_events()[-1]
    assert isinstance(bounced, Applicant.EmailBounced)
    decision = bounced.decision
    assert decision.outcome == "failed"
    assert decision.rules == (Rule("email.link-token", 1),)
    assert decision.reason_codes == ["email_bounced"]
    assert decision.evidence == {"smtp": 550}


def test_a_revocation_and_an_override_are_decisions_too() -> None:
    revoked_class: Any = Applicant.MembershipRevoked  # fields typed at run time only
    revoked = revoked_class(
        originator_id=uuid4(),
        originator_version=9,
        timestamp=dt.datetime.now(dt.UTC),
        reason="no_training",
        rule="programme.first-training-within-30-days@1",
        evidence={"days": 31},
        balance_returned=1_000_000,
    )
    assert revoked.decision.rules == (Rule("programme.first-training-within-30-days", 1),)
    assert revoked.decision.reason_codes == ["no_training"]
    overridden_class: Any = Applicant.DecisionOverridden
    overridden = overridden_class(
        originator_id=uuid4(),
        originator_version=9,
        timestamp=dt.datetime.now(dt.UTC),
        stage="face",
        outcome="passed",
        overrides_version=7,
        reviewer="rina",
        justification="same person",
        approved_by=None,
    )
    assert overridden.decision.passed
    assert overridden.decision.rule_refs == ["manual-override"]
    assert overridden.decision.decided_by == "reviewer:rina"
