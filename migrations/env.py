"""Alembic environment: the schema is plain SQL, so there is no metadata to compare."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

connection = context.config.attributes.get("connection")
if connection is not None:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as fresh:
        context.configure(connection=fresh, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()  # no session left behind on the migrated database
