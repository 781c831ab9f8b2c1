"""Secrets: taken from settings, or generated once into the data folder for development."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from prakerja.settings import Mode, Settings


class MissingSecret(RuntimeError):
    """Raised when production mode starts without a secret it must be given."""


@dataclass(frozen=True)
class Keys:
    """The service's secrets. ``cipher_key`` is base64 text as the event store expects it."""

    cipher_key: str
    token_secret: str

    def derive(self, purpose: str) -> bytes:
        """A 32-byte key for one purpose, so no two mechanisms share a key."""
        root = base64.b64decode(self.cipher_key)
        return hmac.new(root, purpose.encode(), hashlib.sha256).digest()


def load_keys(settings: Settings) -> Keys:
    """Return the configured keys; in development, create missing ones in ``data_dir``."""
    cipher = settings.cipher_key.get_secret_value() if settings.cipher_key else None
    token = settings.token_secret.get_secret_value() if settings.token_secret else None
    if settings.mode is Mode.PRODUCTION:
        missing = [
            name
            for name, value in (("PRAKERJA_CIPHER_KEY", cipher), ("PRAKERJA_TOKEN_SECRET", token))
            if not value
        ]
        if missing:
            raise MissingSecret(f"production mode needs {' and '.join(missing)} to be set")
    if cipher is None:
        cipher = _read_or_create(settings.data_dir / "secrets" / "cipher.key")
    if token is None:
        token = _read_or_create(settings.data_dir / "secrets" / "token.key")
    _check_cipher_key(cipher)
    return Keys(cipher_key=cipher, token_secret=token)


def new_cipher_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _check_cipher_key(value: str) -> None:
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        raise MissingSecret("the cipher key is not valid base64") from None
    if len(raw) != 32:
        raise MissingSecret("the cipher key must be base64 of exactly 32 bytes")


def _read_or_create(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    # Write aside, then link: two processes starting together agree on one key.
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(new_cipher_key() + "\n")
    os.chmod(temporary, 0o600)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_text().strip()
