"""The programme ledger: participants' money, and the incentive payments owed and made.

Both tables are a read model kept by the ``programme-ledger`` follower (its position is
in ``log_positions``) from participants' events; the event store stays the truth.
``incentive_payments`` is also the payment work ledger: one row per incentive the rules
grant (participant, kind, period) with its due date, idempotency key and status; the
payment enqueuer sends rows that are due and unpaid, and marks when it sent them.

Nothing here is personal data: applicant ids, wave and decree numbers, amounts, dates.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-21
"""

from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE programme_members (
            applicant_id uuid PRIMARY KEY,
            wave_id uuid,
            wave_number integer,
            status text NOT NULL,
            sk_number text,
            balance_granted bigint NOT NULL DEFAULT 0,
            training_spent bigint NOT NULL DEFAULT 0,
            balance_returned bigint NOT NULL DEFAULT 0,
            incentives_paid bigint NOT NULL DEFAULT 0,
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX programme_members_wave_idx ON programme_members (wave_number)")
    op.execute(
        """
        CREATE TABLE incentive_payments (
            applicant_id uuid NOT NULL,
            kind text NOT NULL,
            period integer NOT NULL,
            wave_id uuid,
            wave_number integer,
            amount bigint NOT NULL CHECK (amount > 0),
            due_at timestamptz NOT NULL,
            idempotency_key text NOT NULL UNIQUE,
            status text NOT NULL CHECK (status IN ('owed', 'initiated', 'paid', 'rejected')),
            enqueued_at timestamptz,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (applicant_id, kind, period)
        )
        """
    )
    op.execute(
        "CREATE INDEX incentive_payments_due_idx ON incentive_payments (due_at)"
        " WHERE status IN ('owed', 'initiated')"
    )
    op.execute("CREATE INDEX incentive_payments_wave_idx ON incentive_payments (wave_number)")


def downgrade() -> None:
    op.execute("DROP TABLE incentive_payments")
    op.execute("DROP TABLE programme_members")
