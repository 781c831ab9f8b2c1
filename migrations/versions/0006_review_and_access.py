"""Review queue, the access log for personal data, and abuse-limit counters.

``review_queue`` is a read model kept by the review-queue follower (its position is in
``log_positions``): one row per flagged stage, masked data only. ``personal_data_access``
records every read of an applicant's personal data by staff; a trigger makes it
append-only. ``limit_counters`` holds rate-limit and OTP-lock counters under keyed
hashes (no email, phone or address in clear), shared by every API process.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-21
"""

from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE review_queue (
            applicant_id uuid NOT NULL,
            stage text NOT NULL,
            kind text NOT NULL,
            decision_event text NOT NULL,
            decision_version integer NOT NULL,
            automated_status text NOT NULL,
            flagged_at timestamptz NOT NULL,
            review_id uuid NOT NULL,
            review_status text NOT NULL,
            masked_nik text,
            holder text,
            proposed_by text,
            proposed_outcome text,
            rules text[] NOT NULL DEFAULT '{}',
            reasons jsonb NOT NULL DEFAULT '[]',
            PRIMARY KEY (applicant_id, stage)
        )
        """
    )
    op.execute("CREATE INDEX review_queue_flagged_idx ON review_queue (flagged_at)")
    op.execute("CREATE INDEX review_queue_status_idx ON review_queue (review_status, flagged_at)")

    op.execute(
        """
        CREATE TABLE personal_data_access (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL,
            staff text NOT NULL,
            role text NOT NULL,
            applicant_id uuid NOT NULL,
            fields text[] NOT NULL,
            endpoint text NOT NULL,
            request_id text
        )
        """
    )
    op.execute(
        "CREATE INDEX personal_data_access_applicant_idx"
        " ON personal_data_access (applicant_id, at DESC)"
    )
    op.execute(
        "CREATE INDEX personal_data_access_staff_idx ON personal_data_access (staff, at DESC)"
    )
    op.execute(
        """
        CREATE FUNCTION personal_data_access_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'personal_data_access is append-only';
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER personal_data_access_no_change BEFORE UPDATE OR DELETE"
        " ON personal_data_access FOR EACH ROW"
        " EXECUTE FUNCTION personal_data_access_append_only()"
    )
    op.execute(
        "CREATE TRIGGER personal_data_access_no_truncate BEFORE TRUNCATE"
        " ON personal_data_access FOR EACH STATEMENT"
        " EXECUTE FUNCTION personal_data_access_append_only()"
    )

    op.execute(
        """
        CREATE TABLE limit_counters (
            key text PRIMARY KEY,
            hits integer NOT NULL,
            resets_at timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX limit_counters_resets_idx ON limit_counters (resets_at)")


def downgrade() -> None:
    op.execute("DROP TABLE limit_counters")
    op.execute("DROP TABLE personal_data_access")
    op.execute("DROP FUNCTION personal_data_access_append_only()")
    op.execute("DROP TABLE review_queue")
