"""Read models for staff: funnel, rejections, waves and rosters, case search, pending work,
and the rule-change preview, one module each. Every list is paginated; nothing here shows
personal data beyond a masked NIK. Each answer carries the read model's ``position`` and
can wait for a client's own write (:mod:`.reading`).
"""

from __future__ import annotations

from typing import Any

from prakerja.api.routes.reports.cases import CaseReports
from prakerja.api.routes.reports.funnel import FunnelReports
from prakerja.api.routes.reports.pending import PendingReports
from prakerja.api.routes.reports.preview import PreviewReports
from prakerja.api.routes.reports.rejections import RejectionReports
from prakerja.api.routes.reports.rosters import RosterReports, WaveReports

REPORT_ROUTES: list[Any] = [
    CaseReports,
    FunnelReports,
    PendingReports,
    RejectionReports,
    RosterReports,
    PreviewReports,
    WaveReports,
]
"""The report controllers, in the order their paths appear in the OpenAPI document."""
