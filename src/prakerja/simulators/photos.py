"""Registry photos: files from a folder assigned to NIKs, or set per NIK by a test."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


@dataclass(frozen=True)
class Photo:
    content: bytes
    media_type: str


class PhotoStore:
    """Photo of a NIK: the one set for it, else a file of ``folder`` chosen by a hash."""

    def __init__(self, folder: Path | None, *, seed: int) -> None:
        self._seed = seed
        self._files: tuple[Path, ...] = ()
        if folder is not None:
            if not folder.is_dir():
                raise ValueError(f"photos_dir {folder} is not a folder")
            self._files = tuple(
                sorted(p for p in folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
            )
        self._set: dict[str, Photo] = {}

    def set(self, nik: str, photo: Photo) -> None:
        self._set[nik] = photo

    def get(self, nik: str) -> Photo | None:
        if nik in self._set:
            return self._set[nik]
        if not self._files:
            return None
        digest = hashlib.blake2b(f"{self._seed}:{nik}".encode(), digest_size=8).digest()
        path = self._files[int.from_bytes(digest, "big") % len(self._files)]
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return Photo(path.read_bytes(), media_type)
