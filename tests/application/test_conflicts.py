"""A command whose case keeps changing under it (workers recording outcomes) is retried."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate

from prakerja.application.applicants import ConcurrentUpdate
from prakerja.container import Container
from prakerja.domain.applicant import Applicant
from prakerja.domain.stages import Stage


def meddling(
    container: Container, applicant_id: UUID, times: int
) -> Callable[..., tuple[Aggregate, ...]]:
    """A command that, on its first ``times`` calls, lets a worker write to the same case
    between the command's read and its save (a real version conflict)."""
    applicants = container.applicants
    calls: list[int] = []

    def command(applicant: Applicant) -> tuple[Aggregate, ...]:
        calls.append(applicant.version)
        if len(calls) <= times:
            worker_copy = applicants.get(applicant_id)
            later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
            worker_copy.delay_verification(Stage.EMAIL, "timeout", len(calls), later)
            applicants.save(worker_copy)
        applicant.delay_verification(Stage.EMAIL, "by-command", 0, dt.datetime.now(dt.UTC))
        return (applicant,)

    command.calls = calls  # type: ignore[attr-defined]
    return command


def test_a_command_is_retried_on_a_fresh_copy_until_it_saves(container: Container) -> None:
    applicant_id = container.applicants.register("konflik@example.com", "rahasia-123").applicant_id
    command = meddling(container, applicant_id, times=5)
    container.applicants.update(applicant_id, command)
    versions = command.calls  # type: ignore[attr-defined]
    assert len(versions) == 6 and versions == sorted(versions) and len(set(versions)) == 6
    history = container.applicants.history(applicant_id)
    faults = [e.fault for e in history if isinstance(e, Applicant.VerificationDelayed)]
    assert faults == ["timeout"] * 5 + ["by-command"]  # every write kept, the command's last


def test_a_case_that_never_settles_is_refused_with_retry_after(container: Container) -> None:
    applicant_id = container.applicants.register("sibuk@example.com", "rahasia-123").applicant_id
    with pytest.raises(ConcurrentUpdate) as refused:
        container.applicants.update(applicant_id, meddling(container, applicant_id, times=100))
    assert refused.value.code == "concurrent_update"
    assert refused.value.extra == {"retry_after": 1}
    history = container.applicants.history(applicant_id)
    assert not [
        e for e in history if getattr(e, "fault", None) == "by-command"
    ]  # nothing half-done
