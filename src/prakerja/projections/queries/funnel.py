"""The funnel report: applicants per milestone, drop-off from its prerequisite, breakdowns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
from psycopg import sql

from prakerja.projections.funnel import MILESTONES, PREREQUISITE, SIDE_MILESTONES

Breakdown = Literal["day", "province", "wave"]


@dataclass(frozen=True)
class FunnelFilter:
    wave: int | None = None
    """Only wave milestones (joined, selected, ...) of this wave."""
    province: str | None = None
    day_from: dt.date | None = None
    day_to: dt.date | None = None

    @property
    def by_day(self) -> bool:
        return self.day_from is not None or self.day_to is not None

    def source(self, by: Breakdown | None = None) -> sql.Identifier:
        """The day-less totals unless days are asked for (the same counts, far fewer rows)."""
        if self.by_day or by == "day":
            return sql.Identifier("reports", "funnel_counts")
        return sql.Identifier("reports", "funnel_totals")

    def where(self) -> tuple[sql.Composable, list[Any]]:
        clauses: list[sql.Composable] = [sql.SQL("TRUE")]
        params: list[Any] = []
        for column, op, value in (
            ("wave", "=", self.wave),
            ("province", "=", self.province),
            ("day", ">=", self.day_from),
            ("day", "<=", self.day_to),
        ):
            if value is not None:
                clauses.append(sql.SQL("{} " + op + " %s").format(sql.Identifier(column)))
                params.append(value)
        return sql.SQL(" AND ").join(clauses), params


def stages(counts: dict[str, int]) -> list[dict[str, Any]]:
    """Milestones in funnel order with drop-off from their prerequisite, then the side ones.

    Over the whole programme each milestone's applicants are among its prerequisite's, so
    the drop-off is exact. Counts cut by days, or summed over waves (one applicant can
    join several), are not one cohort: there a milestone can outnumber its prerequisite,
    and the drop-off is floored at 0 (conversion capped at 1) rather than shown negative.
    Without a prerequisite counted (a wave's report: verifications belong to no wave)
    there is nothing to measure from.
    """
    rows: list[dict[str, Any]] = []
    for milestone in MILESTONES:
        count = counts.get(milestone, 0)
        after = PREREQUISITE.get(milestone)
        base = counts.get(after, 0) if after else 0
        rows.append(
            {
                "milestone": milestone,
                "applicants": count,
                "after": after,
                "drop_off": max(0, base - count) if base else None,
                "conversion": min(1.0, round(count / base, 4)) if base else None,
            }
        )
    for milestone in SIDE_MILESTONES:
        rows.append(
            {
                "milestone": milestone,
                "applicants": counts.get(milestone, 0),
                "after": None,
                "drop_off": None,
                "conversion": None,
            }
        )
    return rows


def funnel_totals(conn: psycopg.Connection[Any], where: FunnelFilter) -> dict[str, int]:
    condition, params = where.where()
    rows = conn.execute(
        sql.SQL("SELECT milestone, sum(applicants) FROM {} WHERE {} GROUP BY milestone").format(
            where.source(), condition
        ),
        params,
    ).fetchall()
    return {milestone: int(total) for milestone, total in rows}


def funnel_breakdown(
    conn: psycopg.Connection[Any], where: FunnelFilter, by: Breakdown, limit: int, offset: int
) -> list[tuple[Any, dict[str, int]]]:
    """Per day, province or wave (a page of them, in order): milestone counts."""
    condition, params = where.where()
    column = sql.Identifier(by)
    groups = [
        row[0]
        for row in conn.execute(
            sql.SQL(
                "SELECT DISTINCT {col} FROM {table} WHERE {cond} ORDER BY {col} LIMIT %s OFFSET %s"
            ).format(col=column, table=where.source(by), cond=condition),
            [*params, limit, offset],
        )
    ]
    if not groups:
        return []
    found: dict[Any, dict[str, int]] = {group: {} for group in groups}
    rows = conn.execute(
        sql.SQL(
            "SELECT {col}, milestone, sum(applicants) FROM {table}"
            " WHERE {cond} AND {col} = ANY(%s) GROUP BY 1, 2"
        ).format(col=column, table=where.source(by), cond=condition),
        [*params, groups],
    )
    for group, milestone, total in rows:
        found[group][milestone] = int(total)
    return list(found.items())
