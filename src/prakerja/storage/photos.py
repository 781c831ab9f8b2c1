"""Selfie storage: AES-GCM encrypted, kept outside the event store, deleted after retention."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from uuid import UUID, uuid4

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg_pool import ConnectionPool

_NONCE_BYTES = 12


@dataclass(frozen=True)
class StoredPhoto:
    ref: UUID
    sha256: str


class PhotoNotFound(LookupError):
    """Raised when a photo was never stored or has been deleted after its retention."""


@runtime_checkable
class PhotoStore(Protocol):
    def put(self, owner_id: UUID, data: bytes, content_type: str) -> StoredPhoto: ...

    def get(self, ref: UUID) -> bytes: ...

    def delete_expired(self, now: dt.datetime) -> int: ...


class PhotoCipher:
    """Encrypts each photo with its reference as associated data (no swapping blobs)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, ref: UUID, data: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, data, ref.bytes)

    def open(self, ref: UUID, sealed: bytes) -> bytes:
        return self._aead.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], ref.bytes)


class PostgresPhotoStore:
    def __init__(self, pool: ConnectionPool, cipher: PhotoCipher, retention: dt.timedelta) -> None:
        self._pool = pool
        self._cipher = cipher
        self._retention = retention

    def put(self, owner_id: UUID, data: bytes, content_type: str) -> StoredPhoto:
        ref = uuid4()
        digest = hashlib.sha256(data).hexdigest()
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO photos (ref, owner_id, sha256, content_type, ciphertext, delete_after)"
                " VALUES (%s, %s, %s, %s, %s, now() + %s)",
                (
                    ref,
                    owner_id,
                    digest,
                    content_type,
                    self._cipher.seal(ref, data),
                    self._retention,
                ),
            )
        return StoredPhoto(ref, digest)

    def get(self, ref: UUID) -> bytes:
        with self._pool.connection() as conn:
            row = conn.execute("SELECT ciphertext FROM photos WHERE ref = %s", (ref,)).fetchone()
        if row is None:
            raise PhotoNotFound(str(ref))
        return self._cipher.open(ref, bytes(row[0]))

    def delete_expired(self, now: dt.datetime) -> int:
        with self._pool.connection() as conn:
            return conn.execute("DELETE FROM photos WHERE delete_after <= %s", (now,)).rowcount


class InMemoryPhotoStore:
    """The same contract in memory, for tests that don't need PostgreSQL."""

    def __init__(self, cipher: PhotoCipher, retention: dt.timedelta) -> None:
        self._cipher = cipher
        self._retention = retention
        self._rows: dict[UUID, tuple[bytes, dt.datetime]] = {}

    def put(self, owner_id: UUID, data: bytes, content_type: str) -> StoredPhoto:
        ref = uuid4()
        expires = dt.datetime.now(dt.UTC) + self._retention
        self._rows[ref] = (self._cipher.seal(ref, data), expires)
        return StoredPhoto(ref, hashlib.sha256(data).hexdigest())

    def get(self, ref: UUID) -> bytes:
        if ref not in self._rows:
            raise PhotoNotFound(str(ref))
        return self._cipher.open(ref, self._rows[ref][0])

    def delete_expired(self, now: dt.datetime) -> int:
        expired = [ref for ref, (_, until) in self._rows.items() if until <= now]
        for ref in expired:
            del self._rows[ref]
        return len(expired)
