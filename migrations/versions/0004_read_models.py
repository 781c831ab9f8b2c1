"""Read models: funnel, rejection audit, wave rosters, case search, pending work, evidence.

Each read model's tables live in one schema per version, ``rm_<name>_v<version>``;
this creates version 1 of each. Readers query views in the ``reports`` schema, which
point at the live version: ``prakerja projections rebuild NAME`` builds the next
version beside it (cloning these tables' definitions, indexes included), then swaps the
views and ``read_models.version`` in one transaction and drops the old schema.

Nothing here is encrypted, so nothing here is personal data: applicant ids, a masked
NIK (``3201********0001``), the province (the NIK's first two digits), statuses,
reason codes, wave and decree numbers, dates, and the evidence values policies compare.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TABLES = {
    "funnel": [
        """
        CREATE TABLE {s}.funnel_counts (
            milestone text NOT NULL,
            wave integer NOT NULL,
            province text NOT NULL,
            day date NOT NULL,
            applicants bigint NOT NULL,
            PRIMARY KEY (milestone, wave, province, day)
        )
        """,
        """
        CREATE TABLE {s}.funnel_applicants (
            applicant_id uuid PRIMARY KEY,
            state jsonb NOT NULL
        )
        """,
    ],
    "rejections": [
        """
        CREATE TABLE {s}.rejection_events (
            position bigint NOT NULL,
            seq smallint NOT NULL,
            applicant_id uuid NOT NULL,
            stage text NOT NULL,
            kind text NOT NULL,
            reason text NOT NULL,
            rules text NOT NULL,
            measured text,
            threshold text,
            decided_by text NOT NULL,
            recorded_at timestamptz NOT NULL,
            PRIMARY KEY (position, seq)
        )
        """,
        "CREATE INDEX rejection_events_reason_idx ON {s}.rejection_events (stage, reason, position)",
        "CREATE INDEX rejection_events_applicant_idx ON {s}.rejection_events (applicant_id)",
        """
        CREATE TABLE {s}.rejection_counts (
            day date NOT NULL,
            stage text NOT NULL,
            kind text NOT NULL,
            reason text NOT NULL,
            rules text NOT NULL,
            events bigint NOT NULL,
            PRIMARY KEY (day, stage, kind, reason, rules)
        )
        """,
    ],
    "rosters": [
        """
        CREATE TABLE {s}.wave_roster (
            applicant_id uuid NOT NULL,
            wave_id uuid NOT NULL,
            wave_number integer NOT NULL,
            joined_at timestamptz NOT NULL,
            skills_test_score integer NOT NULL,
            outcome text NOT NULL,
            decided_at timestamptz,
            sk_number text,
            sk_date date,
            PRIMARY KEY (applicant_id, wave_id)
        )
        """,
        "CREATE INDEX wave_roster_wave_idx ON {s}.wave_roster (wave_number, applicant_id)",
        """
        CREATE TABLE {s}.wave_totals (
            wave_id uuid NOT NULL,
            wave_number integer NOT NULL,
            joined bigint NOT NULL,
            waiting bigint NOT NULL,
            selected bigint NOT NULL,
            not_selected bigint NOT NULL,
            PRIMARY KEY (wave_id, wave_number)
        )
        """,
    ],
    "cases": [
        """
        CREATE TABLE {s}.cases (
            applicant_id uuid PRIMARY KEY,
            registered_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            version integer NOT NULL,
            nik_masked text,
            province text,
            status text NOT NULL,
            email text NOT NULL,
            identity text NOT NULL,
            education text NOT NULL,
            exclusion text NOT NULL,
            face text NOT NULL,
            phone text NOT NULL,
            reasons text[] NOT NULL,
            membership text NOT NULL,
            wave_number integer,
            sk_number text,
            state jsonb NOT NULL
        )
        """,
        "CREATE INDEX cases_registered_idx ON {s}.cases (registered_at, applicant_id)",
        "CREATE INDEX cases_nik_idx ON {s}.cases (nik_masked)",
        "CREATE INDEX cases_status_idx ON {s}.cases (status, registered_at, applicant_id)",
        "CREATE INDEX cases_province_idx ON {s}.cases (province)",
        "CREATE INDEX cases_wave_idx ON {s}.cases (wave_number)",
        "CREATE INDEX cases_reasons_idx ON {s}.cases USING gin (reasons)",
        """
        CREATE TABLE {s}.pending_work (
            applicant_id uuid NOT NULL,
            stage text NOT NULL,
            step text NOT NULL,
            waiting_on text NOT NULL,
            status text NOT NULL,
            since timestamptz NOT NULL,
            attempts integer NOT NULL,
            retry_after timestamptz,
            fault text,
            PRIMARY KEY (applicant_id, stage)
        )
        """,
        "CREATE INDEX pending_work_since_idx ON {s}.pending_work (since, applicant_id)",
        """
        CREATE TABLE {s}.pending_counts (
            stage text NOT NULL,
            waiting_on text NOT NULL,
            status text NOT NULL,
            applicants bigint NOT NULL,
            PRIMARY KEY (stage, waiting_on, status)
        )
        """,
    ],
    "decisions": [
        """
        CREATE TABLE {s}.decision_evidence (
            applicant_id uuid NOT NULL,
            stage text NOT NULL,
            outcome text NOT NULL,
            event text NOT NULL,
            rules text NOT NULL,
            decided_at timestamptz NOT NULL,
            position bigint NOT NULL,
            overridden boolean NOT NULL,
            superseded boolean NOT NULL,
            reasons text[] NOT NULL,
            distance double precision,
            accept_max double precision,
            review_max double precision,
            age_years integer,
            minimum_age integer,
            lists text[],
            family_room boolean,
            PRIMARY KEY (applicant_id, stage)
        )
        """,
        "CREATE INDEX decision_evidence_distance_idx ON {s}.decision_evidence (stage, distance)",
        "CREATE INDEX decision_evidence_age_idx ON {s}.decision_evidence (stage, age_years)",
    ],
}

_VIEWS = {
    "funnel": ["funnel_counts"],
    "rejections": ["rejection_events", "rejection_counts"],
    "rosters": ["wave_roster", "wave_totals"],
    "cases": ["cases", "pending_work", "pending_counts"],
    "decisions": ["decision_evidence"],
}


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE read_models (
            name text PRIMARY KEY,
            version integer NOT NULL,
            building integer,
            build_started_at timestamptz,
            switched_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE SCHEMA reports")
    for name, statements in _TABLES.items():
        schema = f"rm_{name}_v1"
        op.execute(f"CREATE SCHEMA {schema}")
        for statement in statements:
            op.execute(statement.format(s=schema))
        for view in _VIEWS[name]:
            op.execute(f"CREATE VIEW reports.{view} AS SELECT * FROM {schema}.{view}")  # noqa: S608
        op.execute(f"INSERT INTO read_models (name, version) VALUES ('{name}', 1)")  # noqa: S608
        op.execute(f"INSERT INTO log_positions (name) VALUES ('{name}@1')")  # noqa: S608


def downgrade() -> None:
    op.execute("DROP SCHEMA reports CASCADE")
    op.execute(
        """
        DO $$
        DECLARE found record;
        BEGIN
            FOR found IN SELECT nspname FROM pg_namespace WHERE nspname ~ '^rm_[a-z]+_v[0-9]+$'
            LOOP
                EXECUTE format('DROP SCHEMA %I CASCADE', found.nspname);
            END LOOP;
        END $$
        """
    )
    op.execute("DELETE FROM log_positions WHERE name ~ '^[a-z]+@[0-9]+$'")
    op.execute("DROP TABLE read_models")
