"""Finding faces and their landmarks.

Detection runs on a copy shrunk to a small working size (HOG cost grows with the
pixel count), then boxes are scaled back so landmarks and encodings use the full
image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt
from PIL import Image

from prakerja.face.models import load_models

Pixels = npt.NDArray[np.uint8]

MIN_DETECTABLE = 80
"""Smallest face box, in detection pixels, that dlib's HOG detector finds without
upsampling (its sliding window is 80 x 80)."""

SECOND_FACE_RETRY = 2 * MIN_DETECTABLE
"""Below this largest-face size (detection pixels), a selfie is searched again on a
larger copy so that a second face of half the size is not missed."""


class Pose(IntEnum):
    """Which of dlib's five HOG sub-detectors fired: a free, rough pose hint."""

    FRONTAL = 0
    TURNED_LEFT = 1
    TURNED_RIGHT = 2
    ROTATED_LEFT = 3
    ROTATED_RIGHT = 4


@dataclass(frozen=True)
class FaceBox:
    """A detected face, in the coordinates of the full image."""

    left: float
    top: float
    right: float
    bottom: float
    score: float
    pose: Pose

    @property
    def size(self) -> float:
        """Side of the (square) box, in pixels."""
        return math.sqrt(max(0.0, self.right - self.left) * max(0.0, self.bottom - self.top))

    def overlap(self, other: FaceBox) -> float:
        """Intersection over the smaller box's area."""
        width = min(self.right, other.right) - max(self.left, other.left)
        height = min(self.bottom, other.bottom) - max(self.top, other.top)
        if width <= 0 or height <= 0:
            return 0.0
        return width * height / min(self.size, other.size) ** 2


def to_pixels(image: Image.Image) -> Pixels:
    """The image as the contiguous uint8 RGB array dlib expects."""
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def _run_detector(image: Image.Image, scale: float, upsample: int) -> list[FaceBox]:
    rects, scores, kinds = load_models().detector.run(to_pixels(image), upsample, 0.0)
    return [
        FaceBox(
            left=rect.left() / scale,
            top=rect.top() / scale,
            right=rect.right() / scale,
            bottom=rect.bottom() / scale,
            score=float(score),
            pose=Pose(int(kind)),
        )
        for rect, score, kind in zip(rects, scores, kinds, strict=True)
    ]


def _distinct(faces: list[FaceBox]) -> list[FaceBox]:
    """One box per face, largest first: where boxes overlap (several sub-detectors, or
    several passes, firing on one face) the best-scoring one is kept."""
    kept: list[FaceBox] = []
    for face in sorted(faces, key=lambda box: box.score, reverse=True):
        if all(face.overlap(better) < 0.5 for better in kept):
            kept.append(face)
    return sorted(kept, key=lambda box: box.size, reverse=True)


def _shrink(image: Image.Image, scale: float) -> Image.Image:
    if scale == 1.0:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def detect_faces(
    image: Image.Image, *, max_side: int, upsample: int, retry_below: float = 0.0
) -> list[FaceBox]:
    """Faces in ``image``, largest first, found on a copy at most ``max_side`` pixels.

    The detector misses faces under 80 px. With ``upsample`` 0, detection is
    repeated when nothing is found (with one upsampling, about 4 times the cost) or
    when the largest face is under ``retry_below`` pixels on the detection copy (on a
    copy just big enough for a face half its size to reach 80 px). A selfie check
    passes 160, so a second person further back is not missed.
    """
    scale = min(1.0, max_side / max(image.size))
    small = _shrink(image, scale)
    faces = _distinct(_run_detector(small, scale, upsample))
    if upsample > 0:
        return faces
    if not faces:
        return _distinct(_run_detector(small, scale, 1))
    largest = faces[0].size * scale
    if largest < retry_below:
        bigger = scale * min(2.0, retry_below / largest)
        faces = _distinct(faces + _run_detector(_shrink(image, bigger), bigger, 0))
    return faces


def largest_convincing(faces: list[FaceBox], min_score: float) -> FaceBox | None:
    """The largest face scoring at least ``min_score``; failing that, the best-scoring
    one (a weak detection is still judged, rather than reported as no face)."""
    if not faces:
        return None
    convincing = [face for face in faces if face.score >= min_score]
    return convincing[0] if convincing else max(faces, key=lambda face: face.score)


def dlib_rectangle(box: FaceBox) -> object:
    """The box as a ``dlib.rectangle``."""
    return load_models().rectangle(
        round(box.left), round(box.top), round(box.right), round(box.bottom)
    )


def find_landmarks(pixels: Pixels, box: FaceBox) -> npt.NDArray[np.float64]:
    """The 68 landmarks of the face in ``box``, as (x, y) pixel coordinates."""
    shape = load_models().landmarks68(pixels, dlib_rectangle(box))
    return np.array([(point.x, point.y) for point in shape.parts()], dtype=np.float64)
