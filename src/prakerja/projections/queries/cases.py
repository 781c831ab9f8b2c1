"""Case search for staff: by masked NIK, status, wave, province, reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from prakerja.domain.nik import mask_nik
from prakerja.projections.cases import STAGES
from prakerja.projections.queries.paging import Page, decode_cursor, page_of


@dataclass(frozen=True)
class CaseFilter:
    nik: str | None = None
    """A NIK, masked (``3201********0001``) or whole: it is masked before the search."""
    status: str | None = None
    wave: int | None = None
    province: str | None = None
    reason: str | None = None

    def where(self) -> tuple[sql.Composable, list[Any]]:
        clauses: list[sql.Composable] = [sql.SQL("TRUE")]
        params: list[Any] = []
        masked = None
        if self.nik:
            digits = "".join(ch for ch in self.nik if ch.isdigit() or ch == "*")
            masked = digits if "*" in digits else mask_nik(digits)
        for clause, value in (
            ("nik_masked = %s", masked),
            ("status = %s", self.status),
            ("wave_number = %s", self.wave),
            ("province = %s", self.province),
            ("reasons @> ARRAY[%s]::text[]", self.reason),
        ):
            if value is not None:
                clauses.append(sql.SQL(clause))
                params.append(value)
        return sql.SQL(" AND ").join(clauses), params


def search_cases(
    conn: psycopg.Connection[Any], where: CaseFilter, limit: int, cursor_token: str | None
) -> Page:
    """Matching cases, oldest registration first."""
    condition, params = where.where()
    if cursor_token:
        registered, applicant = decode_cursor("cases", cursor_token, (dt.datetime, UUID))
        condition = sql.SQL("{} AND (registered_at, applicant_id) > (%s, %s)").format(condition)
        params += [registered, applicant]
    columns = sql.SQL(", ").join(
        sql.Identifier(c)
        for c in (
            "applicant_id",
            "registered_at",
            "updated_at",
            "nik_masked",
            "province",
            "status",
            *STAGES,
            "reasons",
            "membership",
            "wave_number",
            "sk_number",
        )
    )
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(
            sql.SQL(
                "SELECT {} FROM reports.cases WHERE {}"
                " ORDER BY registered_at, applicant_id LIMIT %s"
            ).format(columns, condition),
            [*params, limit + 1],
        )
        rows = cursor.fetchall()
    for row in rows:
        row["stages"] = {stage: row.pop(stage) for stage in STAGES}
    return page_of(rows, limit, "cases", ("registered_at", "applicant_id"))
