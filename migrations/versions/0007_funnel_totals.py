"""Funnel totals: the funnel's counts without the day, for reports not asked for days.

``funnel_counts`` has a row per milestone, wave, province and day, so summing it for
the whole funnel reads more rows every day the programme runs (hundreds of thousands
after a year). ``funnel_totals`` keeps the same counts per milestone, wave and province
(a few thousand rows), written by the funnel follower in the same transaction as the
daily counts. It is added to the live version and filled from its daily counts, so no
rebuild is needed; a version being built when this runs is abandoned by its rebuild
(it lacks the table) and the next rebuild starts afresh.

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-21
"""

from alembic import op

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        DO $$
        DECLARE live text;
        BEGIN
            SELECT format('rm_funnel_v%s', version) INTO live
            FROM read_models WHERE name = 'funnel';
            EXECUTE format(
                'CREATE TABLE %I.funnel_totals ('
                ' milestone text NOT NULL, wave integer NOT NULL, province text NOT NULL,'
                ' applicants bigint NOT NULL, PRIMARY KEY (milestone, wave, province))',
                live
            );
            EXECUTE format(
                'INSERT INTO %1$I.funnel_totals SELECT milestone, wave, province,'
                ' sum(applicants) FROM %1$I.funnel_counts GROUP BY 1, 2, 3'
                ' HAVING sum(applicants) <> 0',
                live
            );
            EXECUTE format(
                'CREATE VIEW reports.funnel_totals AS SELECT * FROM %I.funnel_totals', live
            );
        END $$
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW reports.funnel_totals")
    op.execute(
        """
        DO $$
        DECLARE live text;
        BEGIN
            SELECT format('rm_funnel_v%s', version) INTO live
            FROM read_models WHERE name = 'funnel';
            EXECUTE format('DROP TABLE %I.funnel_totals', live);
        END $$
        """
    )
