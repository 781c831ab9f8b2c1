"""The linters run the same everywhere: pre-commit's pinned revisions are the versions
constraints.txt installs, and CI lints before it tests."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def pinned() -> dict[str, str]:
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    return dict(line.split("==") for line in lines if "==" in line and not line.startswith("#"))


def test_pre_commit_runs_the_pinned_ruff_and_mypy() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    revs = {repo["repo"].rsplit("/", 1)[-1]: repo["rev"] for repo in config["repos"]}
    versions = pinned()
    assert revs["ruff-pre-commit"] == f"v{versions['ruff']}"
    assert revs["mirrors-mypy"] == f"v{versions['mypy']}"
    hooks = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert hooks == {"ruff-check", "ruff-format", "mypy"}


def test_ci_lints_before_it_tests_and_mypy_covers_the_tests() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"^make (\w+)$", ci, re.MULTILINE)
    assert commands[:2] == ["lint", "test"]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^files = \["src", "tests", "bench"\]$', pyproject, re.MULTILINE)
