"""Every controller of the API, in one list the app factory registers."""

from __future__ import annotations

from typing import Any

from prakerja.api.routes.applicants import ApplicantRoutes
from prakerja.api.routes.audit import AuditRoutes
from prakerja.api.routes.finance import FinanceRoutes
from prakerja.api.routes.health import HealthRoutes
from prakerja.api.routes.reports import REPORT_ROUTES
from prakerja.api.routes.review import DisputeRoutes, ReviewRoutes
from prakerja.api.routes.sessions import SessionRoutes
from prakerja.api.routes.training_webhooks import TrainingWebhookRoutes
from prakerja.api.routes.waves import ParticipantRoutes, WaveRoutes

ROUTE_HANDLERS: list[Any] = [
    SessionRoutes,
    ApplicantRoutes,
    HealthRoutes,
    ReviewRoutes,
    DisputeRoutes,
    AuditRoutes,
    WaveRoutes,
    ParticipantRoutes,
    TrainingWebhookRoutes,
    FinanceRoutes,
    *REPORT_ROUTES,
]
