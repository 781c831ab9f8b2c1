"""What the built package carries: its type marker and its licence."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_is_typed_and_licensed(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        timeout=240,
    )
    (wheel,) = tmp_path.glob("prakerja-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "prakerja/py.typed" in names
        (licence,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        text = archive.read(licence).decode()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text, "the full text, not a notice"
