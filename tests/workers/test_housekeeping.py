"""Selfies past their retention are deleted under ``prakerja up`` (``serve`` with no
broker): the app built as ``serve`` builds it, its background loops started by its
start-up, against PostgreSQL, with a short sweep interval."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from litestar.testing import TestClient

from prakerja.bootstrap import bootstrap
from prakerja.entrypoints.asgi import app_from_environment
from prakerja.settings import Settings
from prakerja.storage.photos import PhotoCipher, PhotoNotFound, PhotoStore, PostgresPhotoStore

pytestmark = pytest.mark.postgres


def _gone(photos: PhotoStore, ref: uuid.UUID, within_s: float = 30.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            photos.get(ref)
        except PhotoNotFound:
            return True
        time.sleep(0.1)
    return False


def test_a_selfie_past_retention_is_deleted_under_the_embedded_service(
    pg_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert pg_settings.database_url is not None
    monkeypatch.delenv("PRAKERJA_BROKER_URL", raising=False)
    monkeypatch.setenv("PRAKERJA_DATABASE_URL", pg_settings.database_url)
    monkeypatch.setenv("PRAKERJA_DATA_DIR", str(pg_settings.data_dir))
    monkeypatch.setenv("PRAKERJA_FACE__PHOTO_RETENTION_DAYS", "0")
    monkeypatch.setenv("PRAKERJA_FACE__PHOTO_SWEEP_INTERVAL_S", "0.2")
    container = bootstrap(Settings())
    assert container.pool is not None
    kept = PostgresPhotoStore(
        container.pool, PhotoCipher(container.keys.derive("photos")), dt.timedelta(days=1)
    )
    try:
        before = container.photos.put(uuid.uuid4(), b"selfie stored before the start", "image/jpeg")
        young = kept.put(uuid.uuid4(), b"a selfie within its retention", "image/jpeg")
        with TestClient(app_from_environment()):
            assert _gone(container.photos, before.ref), "the first sweep at start deletes it"
            during = container.photos.put(uuid.uuid4(), b"selfie stored meanwhile", "image/jpeg")
            assert _gone(container.photos, during.ref), "a later sweep deletes it"
            assert kept.get(young.ref) == b"a selfie within its retention"
    finally:
        container.close()
