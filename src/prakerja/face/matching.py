"""Face encodings and the versioned policy that turns a distance into a decision.

Encodings are dlib's 128-d face descriptors (through ``face_recognition``, with its
5-point alignment model). Same person: distance about 0.3-0.5; different people:
0.7 and more on the test photos. Accuracy varies with ethnicity and age, so the cut
is a policy setting with a band for manual review, and every decision records the
policy version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from PIL import Image

from prakerja.face.detection import (
    FaceBox,
    Pixels,
    detect_faces,
    largest_convincing,
    to_pixels,
)
from prakerja.face.errors import ImageRejected, ReferencePhotoUnusable
from prakerja.face.images import DEFAULT_MAX_PIXELS, decode_image
from prakerja.face.models import load_models
from prakerja.face.quality import QualityThresholds, Reason
from prakerja.face.timing import Stopwatch

Encoding = npt.NDArray[np.float64]


class Outcome(StrEnum):
    """What the face check decided."""

    MATCHED = "matched"
    REVIEW = "review"
    FAILED = "failed"


@dataclass(frozen=True)
class FacePolicy:
    """Every setting that decides a face check, under one version string.

    Change the version whenever a value changes: verdicts record it, so cases decided
    under an old policy can be found and re-run.
    """

    version: str = "face-2026.1"
    accept_max_distance: float = 0.50
    review_max_distance: float = 0.60
    quality: QualityThresholds = field(default_factory=QualityThresholds)
    detect_max_side: int = 640
    """Faces are looked for on a copy this size (HOG cost grows with pixels)."""
    selfie_upsample: int = 0
    """Detector upsampling for selfies; at 0 it is raised to 1 automatically when no
    face is found or the largest is small (see :func:`detect_faces`)."""
    reference_upsample: int = 0
    """The same for registry photos, raised to 1 only when no face is found: their
    face fills the frame, but the photo is small."""
    working_max_side: int = 2048
    """Photos are decoded down to this size; landmarks and encodings use it."""
    max_pixels: int = DEFAULT_MAX_PIXELS
    num_jitters: int = 1
    """Encoding jitters: 10 costs ten times as much for little gain."""

    def __post_init__(self) -> None:
        if not 0 < self.accept_max_distance <= self.review_max_distance:
            raise ValueError("need 0 < accept_max_distance <= review_max_distance")

    def thresholds(self) -> dict[str, float]:
        """The decision thresholds, as recorded with each verdict."""
        return {
            "accept_max_distance": self.accept_max_distance,
            "review_max_distance": self.review_max_distance,
            **self.quality.as_dict(),
        }

    def decide(self, distance: float) -> tuple[Outcome, Reason | None, float]:
        """Outcome for a distance, with the reason code and threshold if not matched."""
        if distance <= self.accept_max_distance:
            return Outcome.MATCHED, None, self.accept_max_distance
        if distance <= self.review_max_distance:
            return Outcome.REVIEW, Reason.REVIEW_BAND, self.accept_max_distance
        return Outcome.FAILED, Reason.MISMATCH, self.review_max_distance


def encode_face(pixels: Pixels, face: FaceBox, num_jitters: int = 1) -> Encoding:
    """The 128-d descriptor of the face in ``face``."""
    location = (round(face.top), round(face.right), round(face.bottom), round(face.left))
    encodings = load_models().api.face_encodings(
        pixels, known_face_locations=[location], num_jitters=num_jitters, model="small"
    )
    return np.asarray(encodings[0], dtype=np.float64)


def face_distance(first: Encoding, second: Encoding) -> float:
    """Euclidean distance between two descriptors (0 is identical)."""
    return float(load_models().api.face_distance([first], second)[0])


def encode_largest_face(
    image: Image.Image, policy: FacePolicy, upsample: int, watch: Stopwatch | None = None
) -> Encoding | None:
    """Descriptor of the largest convincing face in ``image``, or None without a face."""
    watch = watch or Stopwatch()
    with watch.stage("detect"):
        faces = detect_faces(image, max_side=policy.detect_max_side, upsample=upsample)
    face = largest_convincing(faces, policy.quality.min_face_score)
    if face is None:
        return None
    with watch.stage("encode"):
        return encode_face(to_pixels(image), face, policy.num_jitters)


def encode_reference(photo: bytes, policy: FacePolicy, watch: Stopwatch | None = None) -> Encoding:
    """Descriptor of the face on the civil-registry photo.

    Raises :class:`ReferencePhotoUnusable` if the photo cannot be decoded or shows no
    face: a fault of the registry data that must never count against the applicant.
    """
    watch = watch or Stopwatch()
    with watch.stage("decode"):
        try:
            image = decode_image(photo, policy.max_pixels, policy.working_max_side)
        except ImageRejected as exc:
            raise ReferencePhotoUnusable(exc.code, str(exc)) from exc
    encoding = encode_largest_face(image, policy, policy.reference_upsample, watch)
    if encoding is None:
        raise ReferencePhotoUnusable(Reason.NO_FACE, "no face found on the reference photo")
    return encoding
