"""Positions of the processes that follow the event log, and the verification work ledger.

``log_positions`` is the tracking table: a follower writes its read-side change and its
new position in one transaction, guarded by the old position (exactly once, and a
second copy of the same follower cannot interleave). ``work_items`` is what the
dispatcher derives from the log: which verification each applicant is waiting for.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE log_positions (
            name text PRIMARY KEY,
            position bigint NOT NULL DEFAULT 0,
            updated_at timestamptz NOT NULL DEFAULT now(),
            last_error text,
            failed_event bigint
        )
        """
    )
    op.execute(
        """
        CREATE TABLE work_items (
            applicant_id uuid NOT NULL,
            step text NOT NULL,
            created_at timestamptz NOT NULL,
            due_at timestamptz NOT NULL,
            enqueued_at timestamptz,
            delays integer NOT NULL DEFAULT 0,
            PRIMARY KEY (applicant_id, step)
        )
        """
    )
    op.execute("CREATE INDEX work_items_due_idx ON work_items (due_at)")


def downgrade() -> None:
    op.execute("DROP TABLE work_items")
    op.execute("DROP TABLE log_positions")
