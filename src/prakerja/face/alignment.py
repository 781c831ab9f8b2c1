"""The eye-aligned face crop that quality measures are taken on.

The crop is rotated so the eyes are level and scaled so they are a fixed distance
apart, with the midpoint between the eyes at a fixed place. Measures taken on it then
mean the same thing whatever the photo's resolution, framing or tilt, and regions
(cheeks, forehead, nose bridge) can be given in eye-distance units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

FloatArray = npt.NDArray[np.float64]

EYE_DISTANCE = 64
"""Pixels between the eye centres in the crop; one 'unit' of the regions below."""

# Extent of the crop in units, around the midpoint between the eyes (y points down).
_LEFT, _RIGHT, _TOP, _BOTTOM = -1.6, 1.6, -2.0, 2.2

# 68-point landmark indices (iBUG 300-W numbering, as used by dlib).
RIGHT_EYE = slice(36, 42)
LEFT_EYE = slice(42, 48)


@dataclass(frozen=True)
class AlignedFace:
    """A face resampled to the canonical frame, with what is needed to measure it."""

    rgb: FloatArray
    """Height x width x 3, values 0-255."""
    inside: npt.NDArray[np.bool_]
    """True where the crop shows the photo, False where it lies outside the frame."""
    landmarks: FloatArray
    """The 68 landmarks in crop pixel coordinates (x, y)."""
    eye_distance_px: float
    """Distance between the eye centres in the source photo, in pixels."""
    tilt_degrees: float
    """Angle of the eye line in the source photo; positive is clockwise on screen."""

    @property
    def grey(self) -> FloatArray:
        """Luma (ITU-R BT.601), 0-255."""
        return np.asarray(self.rgb @ np.array([0.299, 0.587, 0.114]), dtype=np.float64)

    def to_pixels(self, x: float, y: float) -> tuple[float, float]:
        """Crop pixel coordinates of a point given in units from the eye midpoint."""
        return ((x - _LEFT) * EYE_DISTANCE, (y - _TOP) * EYE_DISTANCE)

    def region(self, x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice]:
        """Row and column slices of a box given in units from the eye midpoint."""
        left, top = self.to_pixels(x0, y0)
        right, bottom = self.to_pixels(x1, y1)
        height, width = self.inside.shape
        rows = slice(max(0, round(top)), min(height, round(bottom)))
        cols = slice(max(0, round(left)), min(width, round(right)))
        return rows, cols

    def to_units(self, points: FloatArray) -> FloatArray:
        """Landmark-style pixel points converted to units from the eye midpoint."""
        return np.asarray(points / EYE_DISTANCE + np.array([_LEFT, _TOP]), dtype=np.float64)


def align_face(image: Image.Image, landmarks: FloatArray) -> AlignedFace:
    """Resample ``image`` so the eyes located by ``landmarks`` sit level and apart by
    :data:`EYE_DISTANCE` pixels."""
    right_eye = landmarks[RIGHT_EYE].mean(axis=0)
    left_eye = landmarks[LEFT_EYE].mean(axis=0)
    delta = left_eye - right_eye
    eye_distance = max(1.0, float(math.hypot(delta[0], delta[1])))
    angle = math.atan2(delta[1], delta[0])
    centre = (right_eye + left_eye) / 2

    width = round((_RIGHT - _LEFT) * EYE_DISTANCE)
    height = round((_BOTTOM - _TOP) * EYE_DISTANCE)
    origin = np.array([-_LEFT * EYE_DISTANCE, -_TOP * EYE_DISTANCE])
    scale = eye_distance / EYE_DISTANCE
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])

    # Work on the part of the photo the crop covers, shrunk by an integer factor for
    # big faces: the affine resampling below does not filter, and a blurred face must
    # not look sharp through aliasing.
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height]]) - origin
    footprint = centre + corners @ rotation.T * scale
    box = (
        max(0, math.floor(footprint[:, 0].min())),
        max(0, math.floor(footprint[:, 1].min())),
        min(image.width, math.ceil(footprint[:, 0].max())),
        min(image.height, math.ceil(footprint[:, 1].max())),
    )
    reduce_by = max(1, math.floor(scale))
    source = image.reduce(reduce_by, box=box)
    centre_src = (centre - np.array(box[:2])) / reduce_by
    step = scale / reduce_by

    # Output pixel (u, v) samples the source at centre + rotation * step * ((u, v) - origin).
    (a, b), (d, e) = rotation * step
    c, f = centre_src - (rotation * step) @ origin
    coefficients = (float(a), float(b), float(c), float(d), float(e), float(f))
    size = (width, height)
    crop = source.transform(size, Image.Transform.AFFINE, coefficients, Image.Resampling.BILINEAR)
    mask = Image.new("L", source.size, 255).transform(
        size, Image.Transform.AFFINE, coefficients, Image.Resampling.NEAREST
    )

    aligned_points = (landmarks - centre) @ rotation / scale + origin
    return AlignedFace(
        rgb=np.asarray(crop, dtype=np.float64),
        inside=np.asarray(mask) > 0,
        landmarks=aligned_points,
        eye_distance_px=eye_distance,
        tilt_degrees=math.degrees(angle),
    )
