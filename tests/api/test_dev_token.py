"""A development staff token: what a newcomer uses to try the staff endpoints."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from prakerja.api.app import create_app
from prakerja.bootstrap import bootstrap
from prakerja.cli import main
from prakerja.settings import Settings
from tests.api.documented import DocumentedClient
from tests.helpers import FAST_HASHING


def dev_token(data_dir: Path, *args: str, mode: str = "development") -> tuple[int, str]:
    env = {"PRAKERJA_DATA_DIR": str(data_dir), "PRAKERJA_MODE": mode}
    result = CliRunner().invoke(main, ["staff", "dev-token", *args], env=env)
    return result.exit_code, result.output.strip()


def test_a_dev_token_opens_the_staff_endpoints_of_its_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PRAKERJA_TOKEN_SECRET", "PRAKERJA_CIPHER_KEY", "PRAKERJA_STAFF"):
        monkeypatch.delenv(name, raising=False)
    status, ops_token = dev_token(tmp_path, "--role", "ops")
    assert status == 0, ops_token
    _, reviewer_token = dev_token(tmp_path, "--role", "reviewer")
    # No staff account is configured: the service accepts the token for what it signs.
    container = bootstrap(
        Settings(data_dir=tmp_path, password_hashing=FAST_HASHING), in_memory=True
    )
    try:
        with DocumentedClient(app=create_app(container)) as client:
            ops = {"Authorization": f"Bearer {ops_token}"}
            reviewer = {"Authorization": f"Bearer {reviewer_token}"}
            assert client.get("/v1/waves", headers=ops).status_code == 200
            assert client.get("/v1/reviews/pending-overrides", headers=reviewer).status_code == 200
            assert client.get("/v1/finance/summary", headers=ops).status_code == 403
    finally:
        container.close()


def test_production_refuses_a_dev_token_in_one_line(tmp_path: Path) -> None:
    status, output = dev_token(tmp_path, "--role", "ops", mode="production")
    assert status == 1
    assert output.startswith("Error: dev-token is refused in production")
    assert len(output.splitlines()) == 1


def test_an_unknown_role_is_refused(tmp_path: Path) -> None:
    status, output = dev_token(tmp_path, "--role", "admin")
    assert status == 2
    assert "Invalid value for '--role'" in output
