"""Metrics shared by the processes of one command (uvicorn's or Dramatiq's workers).

``prometheus_client``'s multiprocess mode: each process writes its samples to files in
``PROMETHEUS_MULTIPROC_DIR`` and a scrape adds them up. The folder must be set before the
library is imported in the processes that record, and emptied before they start; here it
is ``<data_dir>/metrics/<role>-<pid of the command>``, so two commands on one host (the
verification and the face workers) never share or wipe each other's. Folders left by
commands no longer running are removed at the next start.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def share_between_processes(data_dir: Path, role: str) -> Path:
    """Make an empty folder for this command's processes and name it in the environment."""
    parent = data_dir / "metrics"
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.iterdir():
        if old.is_dir() and not _is_running(old.name.rpartition("-")[2]):
            shutil.rmtree(old, ignore_errors=True)
    folder = parent / f"{role}-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    os.environ[VARIABLE] = str(folder)
    return folder


def shared_folder() -> str | None:
    return os.environ.get(VARIABLE)


def process_exited(pid: int | None = None) -> None:
    """Drop an exiting process's live gauges (the breaker states it held)."""
    folder = shared_folder()
    if folder is None:
        return
    from prometheus_client import multiprocess

    with contextlib.suppress(OSError):
        multiprocess.mark_process_dead(pid or os.getpid(), folder)  # type: ignore[no-untyped-call]


def _is_running(pid: str) -> bool:
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
