"""Pending work: who waits on which verification, for how long (oldest first)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from prakerja.projections.queries.paging import Page, decode_cursor, page_of


@dataclass(frozen=True)
class PendingFilter:
    stage: str | None = None
    waiting_on: str | None = None
    status: str | None = None
    waiting_since_before: dt.datetime | None = None


def pending_summary(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """Open stages per stage, who is awaited and status, with the oldest wait of each."""
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(
            "SELECT c.stage, c.waiting_on, c.status, c.applicants, oldest.since AS oldest_since"
            " FROM reports.pending_counts c, LATERAL ("
            "   SELECT min(p.since) AS since FROM reports.pending_work p"
            "   WHERE p.stage = c.stage AND p.waiting_on = c.waiting_on AND p.status = c.status"
            " ) oldest WHERE c.applicants > 0 ORDER BY oldest.since"
        )
        return cursor.fetchall()


def pending_work(
    conn: psycopg.Connection[Any], where: PendingFilter, limit: int, cursor_token: str | None
) -> Page:
    """Open stages, longest waiting first, with the work ledger's delivery state."""
    clauses: list[sql.Composable] = [sql.SQL("TRUE")]
    params: list[Any] = []
    for clause, value in (
        ("p.stage = %s", where.stage),
        ("p.waiting_on = %s", where.waiting_on),
        ("p.status = %s", where.status),
        ("p.since < %s", where.waiting_since_before),
    ):
        if value is not None:
            clauses.append(sql.SQL(clause))
            params.append(value)
    if cursor_token:
        since, applicant = decode_cursor("pending", cursor_token, (dt.datetime, UUID))
        clauses.append(sql.SQL("(p.since, p.applicant_id) > (%s, %s)"))
        params += [since, applicant]
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(
            sql.SQL(
                "SELECT p.applicant_id, p.stage, p.step, p.waiting_on, p.status, p.since,"
                " p.attempts, p.retry_after, p.fault, w.due_at, w.enqueued_at"
                " FROM reports.pending_work p LEFT JOIN work_items w"
                " ON w.applicant_id = p.applicant_id AND w.step = p.step"
                " WHERE {} ORDER BY p.since, p.applicant_id LIMIT %s"
            ).format(sql.SQL(" AND ").join(clauses)),
            [*params, limit + 1],
        )
        return page_of(cursor.fetchall(), limit, "pending", ("since", "applicant_id"))
