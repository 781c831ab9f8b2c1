"""The rejection audit: counts by stage and reason, and the rows behind them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from prakerja.projections.queries.paging import Page, decode_cursor, page_of
from prakerja.projections.rejections import ALL_REASONS


@dataclass(frozen=True)
class RejectionFilter:
    stage: str | None = None
    kind: str | None = None
    reason: str | None = None
    rules: str | None = None
    day_from: dt.date | None = None
    day_to: dt.date | None = None

    def where(self, day_column: str = "day") -> tuple[sql.Composable, list[Any]]:
        clauses: list[sql.Composable] = [sql.SQL("TRUE")]
        params: list[Any] = []
        for column, op, value in (
            ("stage", "=", self.stage),
            ("kind", "=", self.kind),
            ("reason", "=", self.reason),
            ("rules", "=", self.rules),
            (day_column, ">=", self.day_from),
            (day_column, "<", self.day_to + dt.timedelta(days=1) if self.day_to else None),
        ):
            if value is not None:
                clauses.append(sql.SQL("{} " + op + " %s").format(sql.Identifier(column)))
                params.append(value)
        return sql.SQL(" AND ").join(clauses), params


def rejection_totals(conn: psycopg.Connection[Any], where: RejectionFilter) -> list[dict[str, Any]]:
    """Decisions per stage and kind (a decision with two reasons counts once here)."""
    condition, params = RejectionFilter(
        where.stage, where.kind, ALL_REASONS, where.rules, where.day_from, where.day_to
    ).where()
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(
            sql.SQL(
                "SELECT stage, kind, sum(events)::bigint AS decisions"
                " FROM reports.rejection_counts WHERE {} GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
            ).format(condition),
            params,
        )
        return cursor.fetchall()


def rejection_reasons(
    conn: psycopg.Connection[Any], where: RejectionFilter, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Reasons per stage, kind and rules, most frequent first."""
    condition, params = where.where()
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(
            sql.SQL(
                "SELECT stage, kind, reason, rules, sum(events)::bigint AS events"
                " FROM reports.rejection_counts WHERE {} AND reason <> %s"
                " GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC, 1, 2, 3, 4 LIMIT %s OFFSET %s"
            ).format(condition),
            [*params, ALL_REASONS, limit, offset],
        )
        return cursor.fetchall()


def rejection_events(
    conn: psycopg.Connection[Any],
    where: RejectionFilter,
    applicant_id: UUID | None,
    limit: int,
    cursor_token: str | None,
) -> Page:
    """Newest first."""
    condition, params = where.where("recorded_at")
    if applicant_id is not None:
        condition = sql.SQL("{} AND applicant_id = %s").format(condition)
        params.append(applicant_id)
    if cursor_token:
        position, seq = decode_cursor("rejections", cursor_token, (int, int))
        condition = sql.SQL("{} AND (position, seq) < (%s, %s)").format(condition)
        params += [position, seq]
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(
            sql.SQL(
                "SELECT position, seq, applicant_id, stage, kind, reason, rules, measured,"
                " threshold, decided_by, recorded_at FROM reports.rejection_events WHERE {}"
                " ORDER BY position DESC, seq DESC LIMIT %s"
            ).format(condition),
            [*params, limit + 1],
        )
        return page_of(cursor.fetchall(), limit, "rejections", ("position", "seq"))
