"""The dlib models, loaded once per process on first use.

``import face_recognition`` loads every model (about 0.65 s and 150-200 MB) and
changes a Pillow setting for the whole process, so it happens here, lazily, and never
at import time of ``prakerja.face``. Load before forking worker processes to share
the models' memory between them.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from typing import Any

_lock = threading.Lock()
_loaded: FaceModels | None = None


@dataclass(frozen=True)
class FaceModels:
    """Handles on the loaded models (dlib objects, untyped)."""

    api: Any
    """The ``face_recognition.api`` module (encodings, distances)."""
    detector: Any
    """dlib's HOG frontal face detector, which also reports the sub-detector used."""
    landmarks68: Any
    """dlib's 68-point shape predictor (iBUG 300-W: non-commercial terms)."""
    rectangle: Any
    """``dlib.rectangle``, to hand face boxes to the predictors."""


def load_models() -> FaceModels:
    """The process-wide models, loading them on the first call (thread-safe)."""
    global _loaded
    with _lock:
        if _loaded is None:
            import dlib

            with warnings.catch_warnings():
                # face_recognition_models imports pkg_resources, deprecated by setuptools.
                warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
                import face_recognition.api as api

            _loaded = FaceModels(
                api=api,
                detector=api.face_detector,
                landmarks68=api.pose_predictor_68_point,
                rectangle=dlib.rectangle,
            )
        return _loaded
