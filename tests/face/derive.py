"""Photos with one known flaw, derived with Pillow from a good original.

Each function takes the original and its 68 landmarks (so effects are sized to the
face, whatever the resolution) and returns a new image.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

Landmarks = npt.NDArray[np.float64]
Derivation = Callable[[Image.Image, Landmarks], Image.Image]


def _eyes(landmarks: Landmarks) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float]:
    right = landmarks[36:42].mean(axis=0)
    left = landmarks[42:48].mean(axis=0)
    return right, left, float(np.hypot(*(left - right)))


def blurred(image: Image.Image, landmarks: Landmarks) -> Image.Image:
    """Out of focus: Gaussian blur of 4% of the eye distance."""
    _, _, eye_distance = _eyes(landmarks)
    return image.filter(ImageFilter.GaussianBlur(0.04 * eye_distance))


def tilted(image: Image.Image, landmarks: Landmarks) -> Image.Image:
    """Head rolled 20 degrees, rotating around the eyes."""
    right, left, _ = _eyes(landmarks)
    centre = (right + left) / 2
    return image.rotate(
        20,
        resample=Image.Resampling.BICUBIC,
        center=(float(centre[0]), float(centre[1])),
        fillcolor=(128, 128, 128),
    )


def darkened(image: Image.Image, landmarks: Landmarks) -> Image.Image:
    """Underexposed: a quarter of the brightness."""
    return ImageEnhance.Brightness(image).enhance(0.25)


def overexposed(image: Image.Image, landmarks: Landmarks) -> Image.Image:
    """Blown out: brightened until half of the face reaches white."""
    x0, y0 = landmarks.min(axis=0)
    x1, y1 = landmarks.max(axis=0)
    face = image.crop((round(x0), round(y0), round(x1), round(y1))).convert("L")
    median = float(np.median(np.asarray(face)))
    return ImageEnhance.Brightness(image).enhance(250 / max(median, 1.0))


def half_shadowed(image: Image.Image, landmarks: Landmarks) -> Image.Image:
    """Side light: the image left of the nose at 30% brightness, with a soft edge."""
    _, _, eye_distance = _eyes(landmarks)
    nose_x = landmarks[27:31, 0].mean()
    pixels = np.asarray(image, dtype=np.float64)
    columns = np.arange(pixels.shape[1])
    lit = np.clip((columns - (nose_x - 0.1 * eye_distance)) / (0.2 * eye_distance), 0, 1)
    gain = 0.3 + 0.7 * lit
    shaded = np.clip(pixels * gain[None, :, None], 0, 255).astype(np.uint8)
    return Image.fromarray(shaded)


def with_glasses(image: Image.Image, landmarks: Landmarks) -> Image.Image:
    """Dark-framed spectacles drawn over the eyes."""
    right, left, d = _eyes(landmarks)
    out = image.copy()
    draw = ImageDraw.Draw(out)
    colour, width = (25, 20, 20), max(2, round(0.07 * d))
    for eye in (right, left):
        x, y = eye
        draw.ellipse(
            (x - 0.42 * d, y - 0.28 * d, x + 0.42 * d, y + 0.3 * d), outline=colour, width=width
        )
    draw.line(
        (right[0] + 0.42 * d, right[1] - 0.05 * d, left[0] - 0.42 * d, left[1] - 0.05 * d),
        fill=colour,
        width=width,
    )
    draw.line(
        (right[0] - 0.42 * d, right[1] - 0.05 * d, *landmarks[0] - (0, 0.1 * d)),
        fill=colour,
        width=width,
    )
    draw.line(
        (left[0] + 0.42 * d, left[1] - 0.05 * d, *landmarks[16] - (0, 0.1 * d)),
        fill=colour,
        width=width,
    )
    return out


def with_sunglasses(image: Image.Image, landmarks: Landmarks) -> Image.Image:
    """Dark lenses over both eyes, joined by a bridge."""
    right, left, d = _eyes(landmarks)
    out = image.copy()
    draw = ImageDraw.Draw(out)
    for x, y in (right, left):
        draw.ellipse((x - 0.4 * d, y - 0.25 * d, x + 0.4 * d, y + 0.28 * d), fill=(15, 15, 18))
    draw.line(
        (right[0] + 0.4 * d, right[1], left[0] - 0.4 * d, left[1]),
        fill=(15, 15, 18),
        width=max(2, round(0.05 * d)),
    )
    return out


def with_hat(image: Image.Image, landmarks: Landmarks) -> Image.Image:
    """A navy cap, following the head's tilt, its band a quarter eye distance above the
    eyebrows."""
    right, left, d = _eyes(landmarks)
    along = (left - right) / d  # unit vector along the eye line
    up = np.array([along[1], -along[0]])  # perpendicular, towards the top of the head
    centre = (right + left) / 2
    brows_above_eyes = float(np.max((landmarks[17:27] - centre) @ up))
    base = centre + up * (brows_above_eyes + 0.25 * d)

    def point(x: float, y: float) -> tuple[float, float]:
        p = base + along * x * d + up * y * d
        return (float(p[0]), float(p[1]))

    out = image.copy()
    draw = ImageDraw.Draw(out)
    colour = (40, 40, 90)
    draw.polygon([point(-1.6, 0), point(1.6, 0), point(1.3, 1.2), point(-1.3, 1.2)], fill=colour)
    draw.polygon(
        [point(-1.1, 1.0), point(1.1, 1.0), point(0.8, 2.0), point(-0.8, 2.0)], fill=colour
    )
    return out


def forehead_cropped(image: Image.Image, landmarks: Landmarks) -> Image.Image:
    """Framed too high: the photo starts just above the eyebrows."""
    _, _, d = _eyes(landmarks)
    brow_top = float(landmarks[17:27, 1].min())
    return image.crop((0, max(0, round(brow_top - 0.2 * d)), image.width, image.height))


def with_id_card_face(
    image: Image.Image, landmarks: Landmarks, factor: float = 0.25
) -> Image.Image:
    """A copy of the face at ``factor`` of its size pasted in the lower right corner,
    like the photo on a KTP held up to the camera (a quarter is typical)."""
    _, _, d = _eyes(landmarks)
    x0, y0 = landmarks.min(axis=0)
    x1, y1 = landmarks.max(axis=0)
    box = (round(x0 - 0.5 * d), round(y0 - 1.2 * d), round(x1 + 0.5 * d), round(y1 + 0.3 * d))
    face = image.crop(box)
    size = (max(1, round(face.width * factor)), max(1, round(face.height * factor)))
    face = face.resize(size, Image.Resampling.LANCZOS)
    out = image.copy()
    out.paste(face, (image.width - face.width - 8, image.height - face.height - 8))
    return out


DERIVED_FAILURES: dict[str, tuple[Derivation, str]] = {
    "blurred": (blurred, "blurry"),
    "tilted": (tilted, "tilted"),
    "darkened": (darkened, "dark"),
    "overexposed": (overexposed, "overexposed"),
    "half_shadowed": (half_shadowed, "shadow"),
    "with_glasses": (with_glasses, "glasses"),
    "with_sunglasses": (with_sunglasses, "glasses"),
    "with_hat": (with_hat, "hat"),
    "forehead_cropped": (forehead_cropped, "hat"),
}
"""Each derivation and the reason code it must be rejected with."""
