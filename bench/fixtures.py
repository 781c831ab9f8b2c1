"""Applicants a benchmark needs in a given state, written in bulk before it starts.

Built with the real aggregates and the application's own mapper (so encrypted as the
service writes them), then copied in under the event store's table lock: thousands per
second, where going through the application layer would take minutes of the run.
"""

from __future__ import annotations

import uuid

from prakerja.application.applicants import Applicants
from prakerja.domain.applicant import Applicant
from prakerja.domain.contact import EmailAddress
from prakerja.domain.decisions import Decision
from prakerja.domain.rules import EMAIL_OWNERSHIP
from prakerja.domain.uniqueness import KeyKind, UniqueKey

_BATCH = 2_000


def email_verified(applicants: Applicants, count: int, password_hash: str) -> list[uuid.UUID]:
    """``count`` new applicants whose email is verified (their identity comes next)."""
    run = uuid.uuid4().hex[:8]
    ids: list[uuid.UUID] = []
    for start in range(0, count, _BATCH):
        rows = []
        for number in range(start, min(count, start + _BATCH)):
            address = EmailAddress.parse(f"prepared-{run}-{number}@example.com")
            applicant = Applicant(address.value, password_hash, "id")
            key = UniqueKey(
                KeyKind.EMAIL.value,
                applicant.id,
                key=applicants.key_id(KeyKind.EMAIL, address.uniqueness_key),
            )
            applicant.record_email_sent(1, f"prepared-{number}")
            applicant.verify_email(
                1, Decision(True, (EMAIL_OWNERSHIP,), {"method": "link-token", "attempt": 1})
            )
            for aggregate in (applicant, key):
                for event in aggregate.collect_events():
                    stored = applicants.mapper.to_stored_event(event)
                    rows.append(
                        (
                            stored.originator_id,
                            stored.originator_version,
                            stored.topic,
                            stored.state,
                        )
                    )
            ids.append(applicant.id)
        _copy(applicants, rows)
    return ids


def _copy(applicants: Applicants, rows: list[tuple[uuid.UUID | str, int, str, bytes]]) -> None:
    datastore = getattr(applicants.recorder, "datastore", None)
    if datastore is None:
        raise RuntimeError("bulk fixtures need the PostgreSQL event store")
    with datastore.transaction(commit=True) as cursor:
        cursor.execute("LOCK TABLE prakerja_events IN EXCLUSIVE MODE")
        with cursor.copy(
            "COPY prakerja_events (originator_id, originator_version, topic, state)"
            " FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["uuid", "int8", "text", "bytea"])
            for row in rows:
                copy.write_row(row)
