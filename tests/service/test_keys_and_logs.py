"""Secrets, start-up checks and log hygiene."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import structlog
from pydantic import SecretStr

from prakerja.logs import configure_logging, mask_text
from prakerja.security.keys import MissingSecret, load_keys, new_cipher_key
from prakerja.settings import Mode, Settings
from tests.helpers import reset_logging


def test_development_generates_keys_once_and_reuses_them(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = load_keys(settings)
    again = load_keys(settings)
    assert first == again
    assert (tmp_path / "secrets" / "cipher.key").stat().st_mode & 0o777 == 0o600


def test_production_refuses_to_start_without_keys(tmp_path: Path) -> None:
    with pytest.raises(MissingSecret, match="PRAKERJA_CIPHER_KEY"):
        load_keys(Settings(mode=Mode.PRODUCTION, data_dir=tmp_path))
    keys = load_keys(
        Settings(
            mode=Mode.PRODUCTION,
            data_dir=tmp_path,
            cipher_key=SecretStr(new_cipher_key()),
            token_secret=SecretStr("t" * 40),
        )
    )
    assert not (tmp_path / "secrets").exists() and keys.token_secret == "t" * 40


def test_a_malformed_cipher_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MissingSecret, match="32 bytes"):
        load_keys(Settings(data_dir=tmp_path, cipher_key=SecretStr("c2hvcnQ=")))


def test_free_text_is_masked() -> None:
    text = "nik 3201015507900001 phone +6281234567890 or 081234567890 mail budi@example.com"
    masked = mask_text(text)
    for secret in ("3201015507900001", "81234567890", "budi@example.com"):
        assert secret not in masked
    assert "3201********0001" in masked


def test_logs_never_carry_personal_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(data_dir=tmp_path, log_format="json"))
    structlog.get_logger("test").info(
        "identity 3201015507900001 submitted",
        nik="3201015507900001",
        full_name="Siti Aminah",
        note="call 0812-3456-7890 or siti@example.com",
    )
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["nik"] == "[masked]" and record["full_name"] == "[masked]"
    for secret in ("3201015507900001", "Siti Aminah", "siti@example.com"):
        assert secret not in line
    reset_logging()


def test_names_with_an_at_sign_are_kept_and_emails_are_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("funnel@3", "cases@2", "read_models@12", "review_queue@1.2"):
        assert mask_text(f"follower {name} started.") == f"follower {name} started."
    emails = (
        "budi@example.com",
        "siti.aminah+prakerja@mail.co.id",
        "a_b@sub-domain.example.org",
        "joko@xn--80ak6aa92e.xn--p1ai",
        "dewi@contoh.indonesia",
        "putu@bücher.example",
    )
    for email in emails:
        masked = mask_text(f"sent to {email}, twice")
        assert email not in masked and masked.endswith(", twice"), masked
        assert "***@" in masked
    configure_logging(Settings(data_dir=tmp_path, log_format="json"))
    structlog.get_logger("test").info("follower started", follower="cases@2", to="x@example.com")
    record = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert record["follower"] == "cases@2" and record["to"] == "x***@example.com"
    reset_logging()
