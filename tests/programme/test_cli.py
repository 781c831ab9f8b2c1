"""``prakerja programme``: re-run a draw, deliver SKs, reconcile, from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from prakerja.application.programme import Programme
from prakerja.settings import Settings
from prakerja.simulators import RunningSimulators
from tests.programme.conftest import trained_participants

pytestmark = pytest.mark.postgres


def prakerja(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prakerja", "programme", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_draw_is_verified_and_money_reconciled_from_the_command_line(
    pg_programme: Programme, pg_settings: Settings, payment_service: RunningSimulators
) -> None:
    trained_participants(pg_programme, 3, surveys=1, extra=2)
    env = {
        "PRAKERJA_DATABASE_URL": str(pg_settings.database_url),
        "PRAKERJA_DATA_DIR": str(Path(pg_settings.data_dir).resolve()),
        "PRAKERJA_SERVICES__PAYMENTS": payment_service.urls.payments,
        "PRAKERJA_LOG_LEVEL": "WARNING",
    }
    verified = prakerja("verify-draw", "1", env=env)
    assert verified.returncode == 0, verified.stderr
    assert "candidates 5" in verified.stdout

    # Nothing is paid yet, and by today's clock (years after the 2020 decree) every month
    # and the one survey of each of the three are owed: the command says so, each one.
    unpaid = prakerja("reconcile", "--wave", "1", env=env)
    assert unpaid.returncode == 1
    assert unpaid.stdout.count("unpaid: prakerja:") == 15
    assert "owed Rp7,350,000, recorded paid Rp0, provider Rp0" in unpaid.stdout
    assert "15 differences" in unpaid.stderr
    assert "Traceback" not in unpaid.stderr
