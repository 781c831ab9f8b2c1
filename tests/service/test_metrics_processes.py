"""Several processes of one command share a folder, and one scrape adds them up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prakerja.metrics.multiprocess import share_between_processes

RECORD = """
from prakerja.metrics import families
families.events_written(["Applicant.Registered"] * {count})
families.breaker_is("sms", "{state}")
"""

SCRAPE = """
from prometheus_client import generate_latest
from prakerja.metrics.exposition import process_registry
print(generate_latest(process_registry()).decode())
"""


def run(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_two_processes_are_added_up_and_an_old_folder_is_wiped(tmp_path: Path) -> None:
    stale = tmp_path / "metrics" / "api-999999999"
    stale.mkdir(parents=True)
    folder = share_between_processes(tmp_path, "api")
    try:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        assert env["PROMETHEUS_MULTIPROC_DIR"] == str(folder)
        assert not stale.exists() and list(folder.iterdir()) == []
        run(RECORD.format(count=2, state="closed"), env)
        run(RECORD.format(count=3, state="open"), env)
        text = run(SCRAPE, env)
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
    assert 'prakerja_events_written_total{type="Applicant.Registered"} 5.0' in text
    # The worst breaker state of the processes not yet marked dead.
    assert 'prakerja_client_breaker_state{service="sms"} 2.0' in text
