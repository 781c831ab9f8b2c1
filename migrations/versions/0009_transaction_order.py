"""The log in transaction order: each event records its transaction; followers keep the pair.

So that the event store can insert without ``LOCK TABLE … IN EXCLUSIVE MODE`` (the lock
made notification ids follow commit order), each row records its top-level transaction
id (``xid8``, default ``pg_current_xact_id()``) and every follower keeps its position as
the pair ``(transaction_id, notification_id)``, read in that order below the oldest
running transaction (index ``prakerja_events_transaction_id_idx``;
``prakerja.eventstore.reading``).

Existing rows were all written under the old lock, so their notification ids are their
commit order. They all take the transaction id 1 (below any real one: the first normal
transaction id is 3, and ids of new rows only grow), which keeps them in that order
among themselves and before every new row, and a follower at notification id N is at
(1, N): it has read exactly the same events, and resumes with the next. No event is
renumbered.

Done without rewriting the table or holding a lock for long, on a live database:

1. the column is added without a default (a catalog change), then given its default
   (also a catalog change: rows written from then on carry their transaction);
2. rows from before get ``1`` in batches of notification ids, each batch its own
   transaction, then the table is vacuumed (the old versions of the rows are dead) and
   analysed;
3. ``NOT NULL`` is proved by a ``CHECK`` constraint added ``NOT VALID`` and validated
   (a scan that lets writes go on), so setting it only takes a moment's lock;
4. the index is built ``CONCURRENTLY``.

A step interrupted part-way can be run again. Steps 2 to 4 run outside a transaction,
and this migration, like any long transaction, holds followers of the log at the
horizon while it runs.

Going back is not supported: a position read by pair cannot be turned back into a
notification id without delivering some events twice.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from alembic import op
from sqlalchemy import text

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BEFORE = "1"
"""The transaction id of every row written before this migration."""

BATCH = 50_000


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.execute("ALTER TABLE prakerja_events ADD COLUMN IF NOT EXISTS transaction_id xid8")
    op.execute(
        "ALTER TABLE prakerja_events ALTER COLUMN transaction_id SET DEFAULT pg_current_xact_id()"
    )
    op.execute(
        "ALTER TABLE log_positions ADD COLUMN IF NOT EXISTS transaction_id xid8 NOT NULL"
        f" DEFAULT '{BEFORE}'"
    )
    op.execute("ALTER TABLE log_positions ALTER COLUMN transaction_id SET DEFAULT '0'")
    op.execute("ALTER TABLE log_positions RENAME COLUMN position TO notification_id")
    with op.get_context().autocommit_block():
        _backfill()
        op.execute("VACUUM (ANALYZE) prakerja_events")
        op.execute(
            "ALTER TABLE prakerja_events DROP CONSTRAINT IF EXISTS"
            " prakerja_events_transaction_id_set"
        )
        op.execute(
            "ALTER TABLE prakerja_events ADD CONSTRAINT prakerja_events_transaction_id_set"
            " CHECK (transaction_id IS NOT NULL) NOT VALID"
        )
        op.execute(
            "ALTER TABLE prakerja_events VALIDATE CONSTRAINT prakerja_events_transaction_id_set"
        )
        op.execute("ALTER TABLE prakerja_events ALTER COLUMN transaction_id SET NOT NULL")
        op.execute(
            "ALTER TABLE prakerja_events DROP CONSTRAINT prakerja_events_transaction_id_set"
        )
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS prakerja_events_transaction_id_idx")
        op.execute(
            "CREATE INDEX CONCURRENTLY prakerja_events_transaction_id_idx"
            " ON prakerja_events (transaction_id, notification_id)"
        )


def _backfill() -> None:
    """Rows written before the column had its default: every one committed by now (the
    ``ALTER TABLE`` waited for their transactions), all with ids up to the highest."""
    connection = op.get_bind()
    last = connection.execute(
        text("SELECT coalesce(max(notification_id), 0) FROM prakerja_events")
    ).scalar_one()
    for low in range(0, last, BATCH):
        connection.execute(
            text(
                "UPDATE prakerja_events SET transaction_id = :before"
                " WHERE notification_id > :low AND notification_id <= :high"
                " AND transaction_id IS NULL"
            ),
            {"before": BEFORE, "low": low, "high": low + BATCH},
        )


def downgrade() -> None:
    raise NotImplementedError(
        "0009 cannot be undone: positions read in transaction order do not map back to"
        " notification ids without delivering events twice"
    )
