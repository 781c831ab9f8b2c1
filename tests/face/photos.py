"""Where test photos come from, and small helpers to turn images into uploads."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from prakerja.face.detection import detect_faces, find_landmarks, to_pixels

FACES_DIR_VARIABLE = "PRAKERJA_FACES_DIR"
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


def faces_dir() -> Path:
    """The shared folder of real face photos (it is not part of the repository)."""
    configured = os.environ.get(FACES_DIR_VARIABLE)
    if configured:
        return Path(configured)
    return REPOSITORY_ROOT.parent / "shared" / "data" / "faces"


def astronaut() -> Image.Image:
    """Eileen Collins, from the scikit-image wheel (public domain)."""
    from skimage import data

    return Image.fromarray(data.astronaut())  # type: ignore[no-untyped-call]


def grace_hopper() -> bytes:
    """Grace Hopper in uniform, with glasses and cap, from the matplotlib wheel."""
    from matplotlib import cbook

    return Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).read_bytes()


def encode(image: Image.Image, image_format: str = "JPEG", **options: object) -> bytes:
    """The image saved in ``image_format``, as an upload's bytes."""
    buffer = io.BytesIO()
    if image_format == "JPEG":
        options.setdefault("quality", 92)
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def fit(image: Image.Image, long_side: int) -> Image.Image:
    """The image shrunk so its longer side is at most ``long_side`` (tests stay fast)."""
    scale = long_side / max(image.size)
    if scale >= 1:
        return image
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, Image.Resampling.LANCZOS)


def landmarks_of(image: Image.Image) -> npt.NDArray[np.float64]:
    """The 68 landmarks of the largest face, to size derived flaws to the face."""
    faces = detect_faces(image, max_side=640, upsample=1)
    assert faces, "the original photo must show a face"
    return find_landmarks(to_pixels(image), faces[0])
