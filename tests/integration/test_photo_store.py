"""Selfies on PostgreSQL: encrypted, read back, deleted after retention."""

from __future__ import annotations

import datetime as dt
from uuid import uuid4

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from prakerja.db.server import DatabaseAddress
from prakerja.storage.photos import PhotoCipher, PhotoNotFound, PostgresPhotoStore

pytestmark = pytest.mark.postgres


def test_photos_are_encrypted_and_expire(database: DatabaseAddress) -> None:
    selfie = b"\xff\xd8\xff\xe0 pretend-jpeg " + b"face pixels" * 100
    with ConnectionPool(database.conninfo, min_size=1, max_size=2) as pool:
        kept = PostgresPhotoStore(pool, PhotoCipher(b"k" * 32), dt.timedelta(days=90))
        stored = kept.put(uuid4(), selfie, "image/jpeg")
        assert kept.get(stored.ref) == selfie
        with psycopg.connect(database.conninfo) as conn:
            row = conn.execute("SELECT ciphertext FROM photos").fetchone()
        assert row is not None and b"face pixels" not in bytes(row[0])

        short = PostgresPhotoStore(pool, PhotoCipher(b"k" * 32), dt.timedelta(seconds=0))
        gone = short.put(uuid4(), selfie, "image/jpeg")
        assert short.delete_expired(dt.datetime.now(dt.UTC)) == 1
        with pytest.raises(PhotoNotFound):
            short.get(gone.ref)
        assert kept.get(stored.ref) == selfie
