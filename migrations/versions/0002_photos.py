"""Selfies, encrypted, outside the event store (events keep a reference and a hash).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE photos (
            ref uuid PRIMARY KEY,
            owner_id uuid NOT NULL,
            sha256 text NOT NULL,
            content_type text NOT NULL,
            ciphertext bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            delete_after timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX photos_delete_after_idx ON photos (delete_after)")
    op.execute("CREATE INDEX photos_owner_idx ON photos (owner_id)")


def downgrade() -> None:
    op.execute("DROP TABLE photos")
