"""Fixtures for the face tests: photos, and one verifier (models load once)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from prakerja.face import FaceVerifier
from prakerja.face.images import decode_image
from tests.face import photos


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    path = photos.faces_dir()
    if not path.is_dir():
        pytest.skip(f"face photos folder not found at {path}; set {photos.FACES_DIR_VARIABLE}")
    return path


@pytest.fixture(scope="session")
def shared_photo(faces_dir: Path) -> Callable[[str], bytes]:
    """Bytes of a photo in the shared folder, by file name."""

    def read(name: str) -> bytes:
        return (faces_dir / name).read_bytes()

    return read


@pytest.fixture(scope="session")
def shared_image(shared_photo: Callable[[str], bytes]) -> Callable[[str], Image.Image]:
    """A shared photo decoded upright, at most 800 px, for deriving flawed copies."""

    def load(name: str) -> Image.Image:
        return photos.fit(decode_image(shared_photo(name)), 800)

    return load


@pytest.fixture(scope="session")
def astronaut() -> Image.Image:
    return photos.astronaut()


@pytest.fixture(scope="session")
def grace_hopper() -> bytes:
    return photos.grace_hopper()


@pytest.fixture(scope="session")
def verifier() -> FaceVerifier:
    return FaceVerifier()
