"""One logging pipeline: structlog's records and every library's leave as one masked line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from prakerja.logs import configure_logging
from prakerja.settings import Settings
from tests.helpers import reset_logging

PHONE = "081234567890"
NIK = "3201015507900001"
EMAIL = "siti.aminah@example.com"


@pytest.fixture
def stream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    captured = io.StringIO()
    monkeypatch.setattr("sys.stderr", captured)
    configure_logging(Settings(data_dir=tmp_path, log_format="json"), "worker")
    yield captured
    reset_logging()


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(
    "library", ["uvicorn.error", "httpx", "dramatiq.worker.Worker", "litestar", "alembic.runtime"]
)
def test_a_library_record_is_one_masked_json_line(library: str, stream: io.StringIO) -> None:
    structlog.contextvars.bind_contextvars(request_id="req-1")
    try:
        logging.getLogger(library).warning(
            "sent %s to %s for %s", "code 123456", PHONE, EMAIL, extra={"phone": PHONE}
        )
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
    [record] = lines(stream)
    assert record["logger"] == library and record["level"] == "warning"
    assert record["role"] == "worker" and record["request_id"] == "req-1"
    assert record["timestamp"].endswith("Z")
    assert record["phone"] == "[masked]"
    text = stream.getvalue()
    assert PHONE not in text and EMAIL not in text
    assert "s***@example.com" in record["event"]


def test_structlog_and_stdlib_records_share_the_processors(stream: io.StringIO) -> None:
    structlog.get_logger("prakerja.test").info(
        "checked", nik=NIK, evidence={"full_name": "Siti Aminah", "note": f"nik {NIK}"}
    )
    logging.getLogger("prakerja.simulators.dukcapil").info("identity %s checked", NIK)
    first, second = lines(stream)
    assert first["logger"] == "prakerja.test" and second["logger"] == "prakerja.simulators.dukcapil"
    assert first["nik"] == "[masked]" and first["evidence"]["full_name"] == "[masked]"
    assert first["role"] == second["role"] == "worker"
    assert NIK not in stream.getvalue() and "Siti Aminah" not in stream.getvalue()


def test_a_traceback_is_part_of_its_line_and_masked(stream: io.StringIO) -> None:
    try:
        raise ValueError(f"no person with NIK {NIK}")
    except ValueError:
        logging.getLogger("dramatiq.worker").exception("message failed")
    [record] = lines(stream)
    assert "ValueError" in record["exception"] and NIK not in record["exception"]


def test_records_below_the_level_are_dropped(stream: io.StringIO) -> None:
    logging.getLogger("httpx").info("HTTP Request: POST http://127.0.0.1/messages")
    structlog.get_logger("prakerja.test").debug("detail")
    assert lines(stream) == []


def test_configuring_again_replaces_the_handler(
    stream: io.StringIO, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stderr", stream)  # where Dramatiq's worker processes point it
    configure_logging(Settings(data_dir=tmp_path, log_format="json"), "api")
    assert len(logging.getLogger().handlers) == 1
    logging.getLogger("uvicorn.error").error("boom")
    assert [r["role"] for r in lines(stream)] == ["api"]
