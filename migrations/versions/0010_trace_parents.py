"""Trace parents: the trace of the last request that changed a case, when tracing is on.

Work is derived from the log after the request has ended, so the enqueuer looks the
request's trace up here to send the work under it (one trace from the API call to the
worker). Only written while ``PRAKERJA_TRACING__OTLP_ENDPOINT`` is set; a row holds an
applicant id and a W3C ``traceparent``, nothing personal.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE trace_parents (
            applicant_id uuid PRIMARY KEY,
            traceparent text NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE trace_parents")
