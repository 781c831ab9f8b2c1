"""Waves and their rosters."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from prakerja.projections.queries.paging import Page, decode_cursor, page_of


def waves(conn: psycopg.Connection[Any], limit: int, offset: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(
            "SELECT wave_id, wave_number, joined, waiting, selected, not_selected"
            " FROM reports.wave_totals ORDER BY wave_number, wave_id LIMIT %s OFFSET %s",
            (limit, offset),
        )
        return cursor.fetchall()


def roster(
    conn: psycopg.Connection[Any],
    wave_number: int,
    outcome: str | None,
    limit: int,
    cursor_token: str | None,
) -> Page:
    """One wave's applicants (masked NIK and province from case search), by applicant id."""
    condition: sql.Composable = sql.SQL("r.wave_number = %s")
    params: list[Any] = [wave_number]
    if outcome is not None:
        condition = sql.SQL("{} AND r.outcome = %s").format(condition)
        params.append(outcome)
    if cursor_token:
        (after,) = decode_cursor("roster", cursor_token, (UUID,))
        condition = sql.SQL("{} AND r.applicant_id > %s").format(condition)
        params.append(after)
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(
            sql.SQL(
                "SELECT r.applicant_id, r.wave_id, r.wave_number, r.joined_at,"
                " r.skills_test_score, r.outcome, r.decided_at, r.sk_number, r.sk_date,"
                " c.nik_masked, c.province FROM reports.wave_roster r"
                " LEFT JOIN reports.cases c USING (applicant_id) WHERE {}"
                " ORDER BY r.applicant_id LIMIT %s"
            ).format(condition),
            [*params, limit + 1],
        )
        return page_of(cursor.fetchall(), limit, "roster", ("applicant_id",))
