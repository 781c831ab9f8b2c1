"""Numbers measured on an eye-aligned face, the raw material of the quality rules.

Regions are boxes in eye-distance units around the midpoint between the eyes (see
:mod:`prakerja.face.alignment`): x to the right of the image, y downwards, the eyes
at (-0.5, 0) and (0.5, 0). Measures are ratios wherever possible, so that they do
not depend on skin tone, exposure or resolution more than they must.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from prakerja.face.alignment import AlignedFace, FloatArray

_LUMA = np.array([0.299, 0.587, 0.114])

# Boxes (x0, y0, x1, y1) in units.
_INNER_FACE = (-0.8, -0.4, 0.8, 1.4)  # brows to mouth, cheek to cheek
_CHEEKS = ((-0.8, 0.3, -0.3, 0.7), (0.3, 0.3, 0.8, 0.7))  # below the eyes, above the mouth
_EYES = ((-0.7, -0.15, -0.3, 0.15), (0.3, -0.15, 0.7, 0.15))
_BRIDGE = (-0.1, -0.4, 0.1, 0.2)  # between the eyes, where a spectacle bridge sits
# The lower forehead, in units above the top of the eyebrows: a hijab or the hairline
# rarely comes this low, a hat's brim or band usually does.
_FOREHEAD_SIDES = ((-0.45, 0.0), (0.0, 0.45))
_FOREHEAD_ABOVE_BROWS = (0.5, 0.12)

_BLOWN_OUT = 250  # a channel at or above this is clipped


@dataclass(frozen=True)
class FaceMeasures:
    """What the quality rules look at, for one face."""

    eye_distance_px: float
    """Pixels between the eye centres in the photo: the detail available."""
    tilt_degrees: float
    """Angle of the eye line to the horizontal (head rolled to a shoulder)."""
    yaw: float
    """Nose-tip offset from the middle of the jaw, as a share of the jaw's width."""
    sharpness: float
    """Fine detail over coarse detail on the face (falls towards 0.1 when blurred)."""
    brightness: float
    """Mean luma of the face, 0-255."""
    blown_out: float
    """Share of face pixels with a clipped channel."""
    cheek_balance: float
    """Darker cheek's median luma over the brighter cheek's (1 is even light)."""
    bridge_line: float
    """Strength of a horizontal line between the eyes (a spectacle bridge or rim),
    relative to the face's contrast."""
    eye_brightness: float
    """Eye regions' luma over the brighter cheek's (dark lenses bring it down)."""
    forehead_in_frame: float
    """Share of the lower forehead that is inside the photo."""
    forehead_brightness: float
    """Lower forehead's median luma over its cheek's, on the more skin-like side."""
    forehead_colour: float
    """Chromaticity distance between lower forehead and cheek, on the closer side."""

    def as_dict(self) -> dict[str, float]:
        """Plain numbers, rounded for evidence payloads."""
        return {name: round(value, 4) for name, value in asdict(self).items()}


def _luma(rgb: FloatArray) -> FloatArray:
    return np.asarray(rgb @ _LUMA, dtype=np.float64)


def _chroma(rgb: FloatArray) -> FloatArray:
    return np.asarray(rgb / (rgb.sum(axis=-1, keepdims=True) + 1e-6), dtype=np.float64)


def _gaussian_blur(grey: FloatArray, sigma: float) -> FloatArray:
    radius = max(1, math.ceil(3 * sigma))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-(offsets**2) / (2 * sigma**2))
    kernel /= kernel.sum()
    padded = np.pad(grey, radius, mode="edge")
    height, width = grey.shape
    rows = sum(k * padded[:, i : i + width] for i, k in enumerate(kernel))
    return np.asarray(sum(k * rows[i : i + height, :] for i, k in enumerate(kernel)))


def _sharpness(grey: FloatArray) -> float:
    """Detail finer than about 1 px against detail up to about 4 px (at 64 px between
    the eyes): independent of contrast, and low when the finest detail is gone."""
    fine = np.abs(grey - _gaussian_blur(grey, 1.0)).mean()
    coarse = np.abs(grey - _gaussian_blur(grey, 4.0)).mean()
    return float(fine / (coarse + 1e-6))


def _line_strength(profile: FloatArray) -> float:
    """Strongest thin ridge or valley (2 to 6 px wide) in a 1-D brightness profile."""
    best = 0.0
    for half_width in (2, 3, 4, 6):
        if profile.size <= 2 * half_width:
            continue
        centre = profile[half_width:-half_width]
        sides = (profile[: -2 * half_width] + profile[2 * half_width :]) / 2
        best = max(best, float(np.abs(centre - sides).max()))
    return best


def _median_rgb(face: AlignedFace, box: tuple[float, float, float, float]) -> FloatArray:
    rows, cols = face.region(*box)
    pixels = face.rgb[rows, cols][face.inside[rows, cols]]
    if pixels.size == 0:
        return np.zeros(3)
    return np.asarray(np.median(pixels, axis=0))


def measure_face(face: AlignedFace) -> FaceMeasures:
    """Take every measure on one aligned face."""
    grey = face.grey
    units = face.to_units(face.landmarks)

    jaw_left, jaw_right = units[0, 0], units[16, 0]
    yaw = abs(units[30, 0] - (jaw_left + jaw_right) / 2) / max(jaw_right - jaw_left, 1e-6)

    inner_rows, inner_cols = face.region(*_INNER_FACE)
    inner = grey[inner_rows, inner_cols]
    in_photo = face.inside[inner_rows, inner_cols]  # a face at the edge: skip the fill
    inner_rgb = face.rgb[inner_rows, inner_cols][in_photo]

    cheeks = [_median_rgb(face, box) for box in _CHEEKS]
    cheek_luma = [float(_luma(rgb)) for rgb in cheeks]
    brighter_cheek = max(max(cheek_luma), 1e-6)

    eye_pixels = np.concatenate([grey[face.region(*box)].ravel() for box in _EYES])

    bridge_profile = grey[face.region(*_BRIDGE)].mean(axis=1)

    brow_top = float(units[17:27, 1].min())
    above_low, above_high = _FOREHEAD_ABOVE_BROWS
    band = (brow_top - above_low, brow_top - above_high)
    band_rows, band_cols = face.region(-0.45, band[0], 0.45, band[1])
    band_inside = face.inside[band_rows, band_cols]
    in_frame = float(band_inside.mean()) if band_inside.size else 0.0
    forehead_ratios, forehead_distances = [], []
    for (x0, x1), cheek_rgb, luma in zip(_FOREHEAD_SIDES, cheeks, cheek_luma, strict=True):
        side = _median_rgb(face, (x0, band[0], x1, band[1]))
        forehead_ratios.append(float(_luma(side)) / max(luma, 1e-6))
        forehead_distances.append(float(np.linalg.norm(_chroma(side) - _chroma(cheek_rgb))))

    return FaceMeasures(
        eye_distance_px=face.eye_distance_px,
        tilt_degrees=abs(face.tilt_degrees),
        yaw=float(yaw),
        sharpness=_sharpness(inner),
        brightness=float(inner[in_photo].mean()),
        blown_out=float((inner_rgb.max(axis=1) >= _BLOWN_OUT).mean()),
        cheek_balance=min(cheek_luma) / brighter_cheek,
        bridge_line=_line_strength(bridge_profile) / (float(inner.std()) + 1e-6),
        eye_brightness=float(eye_pixels.mean()) / brighter_cheek,
        forehead_in_frame=in_frame,
        forehead_brightness=max(forehead_ratios),
        forehead_colour=min(forehead_distances),
    )
