"""Exceptions raised by the face package, each with a stable machine-readable code.

The HTTP layer turns these into problem details by ``code``; the verifier turns an
unusable selfie into a failed verdict instead, so only the reference photo's fault
escapes it as an exception.
"""

from __future__ import annotations


class FaceError(Exception):
    """Base of every exception raised by ``prakerja.face``."""

    code = "face_error"


class ImageRejected(FaceError):
    """Raised when uploaded bytes cannot be used as a photo."""

    code = "image_rejected"


class UnsupportedImage(ImageRejected):
    """Raised when the bytes are not a JPEG, PNG or WebP image."""

    code = "unsupported_image"


class CorruptImage(ImageRejected):
    """Raised when the image is damaged or truncated and cannot be decoded whole."""

    code = "corrupt_image"


class ImageTooLarge(ImageRejected):
    """Raised when the image has more pixels than allowed (decompression-bomb guard)."""

    code = "image_too_large"

    def __init__(self, pixels: int | None, max_pixels: int) -> None:
        shown = "too many" if pixels is None else str(pixels)
        super().__init__(f"{shown} pixels, more than the {max_pixels} allowed")
        self.pixels = pixels
        self.max_pixels = max_pixels


class ReferencePhotoUnusable(FaceError):
    """Raised when the registry's reference photo cannot be decoded or shows no face.

    This is a fault of the registry data, not of the applicant: callers retry or flag
    the case for review, they never reject the applicant for it. ``reason`` is the
    code of the underlying problem (``corrupt_image``, ``no_face``...).
    """

    code = "reference_unusable"

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"reference photo unusable: {reason}{': ' if detail else ''}{detail}")
        self.reason = reason
