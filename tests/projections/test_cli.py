"""`prakerja projections status | rebuild | preview` against a populated database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from prakerja.cli import main
from prakerja.container import Container
from prakerja.eventstore.position import Position
from tests.projections.test_read_models import catch_up, rows
from tests.projections.test_rebuild import last_event

pytestmark = pytest.mark.postgres


def environment(container: Container) -> dict[str, str]:
    settings = container.settings
    assert settings.database_url is not None
    assert settings.cipher_key is not None
    assert settings.token_secret is not None
    return {
        "PRAKERJA_DATABASE_URL": settings.database_url,
        "PRAKERJA_DATA_DIR": str(settings.data_dir),
        "PRAKERJA_CIPHER_KEY": settings.cipher_key.get_secret_value(),
        "PRAKERJA_TOKEN_SECRET": settings.token_secret.get_secret_value(),
        "PRAKERJA_PROJECTIONS__REBUILD_PAGE_SIZE": "100",
    }


def test_status_rebuild_and_preview_from_the_command_line(populated: Container) -> None:
    runner = CliRunner()
    env = environment(populated)
    behind = runner.invoke(main, ["projections", "status"], env=env)
    assert behind.exit_code == 0, behind.output
    assert "cases@1" in behind.output and "behind" in behind.output

    catch_up(populated)
    current = runner.invoke(main, ["projections", "status"], env=env)
    assert "behind" not in current.output and "current" in current.output
    assert "horizon: transaction" in current.output and "committed events wait" in current.output

    rebuilt = runner.invoke(main, ["projections", "rebuild", "funnel"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "funnel v2 is live (replaced v1)" in rebuilt.output and "events/s" in rebuilt.output
    assert rows(populated, "SELECT version FROM read_models WHERE name = 'funnel'") == [(2,)]

    unknown = runner.invoke(main, ["projections", "rebuild", "nothing"], env=env)
    assert unknown.exit_code == 1 and "no read model named 'nothing'" in unknown.output

    preview = runner.invoke(
        main, ["projections", "preview", "--face-accept", "0.45", "--limit", "3"], env=env
    )
    assert preview.exit_code == 0, preview.output
    assert "review_band" in preview.output and "passed" in preview.output
    from_log = runner.invoke(
        main, ["projections", "preview", "--face-accept", "0.45", "--from-log"], env=env
    )
    assert from_log.stdout.splitlines()[0] == preview.stdout.splitlines()[0]
    refused = runner.invoke(main, ["projections", "preview"], env=env)
    assert refused.exit_code == 1 and "give a changed rule" in refused.output


def test_projections_run_keeps_every_read_model_current_until_stopped(
    populated: Container,
) -> None:
    env = {**os.environ, **environment(populated), "PRAKERJA_LOG_FORMAT": "json"}
    last = last_event(populated)
    process = subprocess.Popen(
        [sys.executable, "-m", "prakerja", "projections", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            positions = [
                Position(*found)
                for found in rows(
                    populated,
                    "SELECT transaction_id::text::bigint AS t, notification_id FROM log_positions"
                    " WHERE name LIKE '%%@1'",
                )
            ]
            if min(positions) > last:
                break
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors
    assert len(positions) == 5 and min(positions) > last
    assert rows(populated, "SELECT count(*) FROM reports.cases")[0][0] > 40
