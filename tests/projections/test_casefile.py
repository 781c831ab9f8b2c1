"""The read models' case file says what the aggregate says, after every event of every case."""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from prakerja.api.presenters import next_actions, overall_status
from prakerja.container import Container
from prakerja.domain.applicant import Applicant
from prakerja.domain.stages import VERIFICATION_ORDER
from prakerja.projections.casefile import CaseFile
from prakerja.projections.casefile_events import CASE_FIELDS, fold
from prakerja.projections.decoding import Decoded
from tests.projections.population import Population


def test_case_file_mirrors_the_aggregate_at_every_version(container: Container) -> None:
    people = Population(container, seed=11).run(40)
    compared = 0
    for person in people:
        assert person.applicant_id is not None
        case = CaseFile()
        aggregate: Applicant | None = None
        for event in container.applicants.history(person.applicant_id):
            aggregate = event.mutate(aggregate)
            if type(event) in CASE_FIELDS:
                fold(case, Decoded.from_event(event))
            assert aggregate is not None
            compared += 1
            where = f"person {person.index} after {type(event).__name__}"
            stages = {s.value: aggregate.stages[s].status.value for s in VERIFICATION_ORDER}
            assert {s: case.status_of(s) for s in stages} == stages, where
            assert case.overall_status == overall_status(aggregate), where
            assert case.next_actions() == next_actions(aggregate), where
            automation = {w.step for w in case.waiting() if w.waiting_on == "automation"}
            assert automation == {step.value for step in aggregate.outstanding_work()}, where
            assert case.membership == aggregate.membership.status.value, where
    assert compared > 300


def test_every_applicant_event_is_read_or_deliberately_ignored() -> None:
    ignored = {
        Applicant.OtpVerificationFailed,  # counts guesses: no stage changes
        Applicant.SurveyCompleted,
        Applicant.IncentivePaymentInitiated,
        Applicant.IncentivePaymentRejected,
        Applicant.IncentivePaid,
    }
    events = {
        value
        for value in vars(Applicant).values()
        if isinstance(value, type) and issubclass(value, Aggregate.Event)
    } - {Applicant.Event, Applicant.Created}
    assert events - set(CASE_FIELDS) == ignored
