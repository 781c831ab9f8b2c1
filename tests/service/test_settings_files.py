"""Secrets reach the service as files (Docker secrets, systemd credentials), never in an
image: one file per setting, named after its variable; a variable set wins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prakerja.security.keys import load_keys, new_cipher_key
from prakerja.settings import Mode, Settings, StaffRole


def test_settings_are_read_from_the_secrets_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cipher = new_cipher_key()
    (tmp_path / "prakerja_cipher_key").write_text(cipher + "\n")
    (tmp_path / "PRAKERJA_TOKEN_SECRET").write_text("t" * 40)
    (tmp_path / "prakerja_database_url").write_text("postgresql://u:p@db/prakerja?sslmode=require")
    staff = {"rina": {"role": "reviewer", "password_hash": "$argon2id$x"}}
    (tmp_path / "prakerja_staff").write_text(json.dumps(staff))
    monkeypatch.setenv("PRAKERJA_SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("PRAKERJA_MODE", "production")
    settings = Settings(data_dir=tmp_path / "var")
    keys = load_keys(settings)
    assert settings.mode is Mode.PRODUCTION
    assert (keys.cipher_key, keys.token_secret) == (cipher, "t" * 40)
    assert settings.database_url == "postgresql://u:p@db/prakerja?sslmode=require"
    assert settings.staff["rina"].role is StaffRole.REVIEWER
    assert not (tmp_path / "var").exists(), "no key was generated"


def test_systemd_credentials_are_a_secrets_folder_and_a_variable_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "prakerja_token_secret").write_text("from-a-file" * 4)
    monkeypatch.delenv("PRAKERJA_SECRETS_DIR", raising=False)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    settings = Settings()
    assert settings.token_secret is not None
    assert settings.token_secret.get_secret_value() == "from-a-file" * 4
    monkeypatch.setenv("PRAKERJA_TOKEN_SECRET", "from-the-environment")
    again = Settings().token_secret
    assert again is not None and again.get_secret_value() == "from-the-environment"
