"""Face check of layer 3: selfie decoding, quality rules, and matching with the
civil-registry photo.

Import cost is small: the face models load on first use (:mod:`prakerja.face.models`),
and :func:`inspect_upload` never loads them, so the HTTP layer can validate uploads
without them.

Licence note: the quality rules use dlib's 68-point landmark model
(``shape_predictor_68_face_landmarks.dat``, shipped in ``face_recognition_models``).
It was trained on the iBUG 300-W data set, whose licence excludes commercial use, and
its terms carry over to the trained model. Face encodings use the 5-point model and
dlib's ResNet descriptor, which are not affected. A commercial deployment must obtain
a licence for the 68-point model or replace it (for example with a model trained on
data that allows commercial use) before the quality checks can be used.
"""

from prakerja.domain.photo_advice import Advice, advice_for
from prakerja.face.errors import (
    CorruptImage,
    FaceError,
    ImageRejected,
    ImageTooLarge,
    ReferencePhotoUnusable,
    UnsupportedImage,
)
from prakerja.face.images import ImageInfo, decode_image, inspect_upload
from prakerja.face.matching import FacePolicy, Outcome
from prakerja.face.quality import QualityFinding, QualityThresholds, Reason
from prakerja.face.verifier import FaceVerdict, FaceVerifier

__all__ = [
    "Advice",
    "CorruptImage",
    "FaceError",
    "FacePolicy",
    "FaceVerdict",
    "FaceVerifier",
    "ImageInfo",
    "ImageRejected",
    "ImageTooLarge",
    "Outcome",
    "QualityFinding",
    "QualityThresholds",
    "Reason",
    "ReferencePhotoUnusable",
    "UnsupportedImage",
    "advice_for",
    "decode_image",
    "inspect_upload",
]
