"""The event store: the tables eventsourcing 9.5 expects for the application "prakerja".

The DDL is the library's own (PostgresApplicationRecorder), owned here so that the
service runs with CREATE_TABLE=n and every schema change is a reviewed migration.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_AUTOVACUUM = """
    WITH (
        autovacuum_enabled = true,
        autovacuum_vacuum_threshold = 100000000,
        autovacuum_vacuum_scale_factor = 0.5,
        autovacuum_analyze_threshold = 1000,
        autovacuum_analyze_scale_factor = 0.01
    )
"""


def upgrade() -> None:
    op.execute(
        "CREATE TYPE stored_event_uuid AS "
        "(originator_id uuid, originator_version bigint, topic text, state bytea)"
    )
    op.execute(
        f"""
        CREATE TABLE prakerja_events (
            originator_id uuid NOT NULL,
            originator_version bigint NOT NULL,
            topic text,
            state bytea,
            notification_id bigserial,
            PRIMARY KEY (originator_id, originator_version)
        ) {_AUTOVACUUM}
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX prakerja_events_notification_id_idx "
        "ON prakerja_events (notification_id ASC)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE prakerja_events")
    op.execute("DROP TYPE stored_event_uuid")
