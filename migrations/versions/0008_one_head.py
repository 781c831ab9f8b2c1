"""One head again: 0005 (programme), 0006 (review and access) and 0007 (funnel totals)
each grew from an earlier revision side by side, leaving three heads. This revision
joins them and changes nothing in the schema, so every database, fresh or migrated
before, is at one revision.

Revision ID: 0008
Revises: 0005, 0006, 0007
Create Date: 2026-12-04
"""

revision = "0008"
down_revision = ("0005", "0006", "0007")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
