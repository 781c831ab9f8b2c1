"""Selfies for simulated applicants.

By default, small real PNGs that say what the face check should find: the simulated
face layer (:mod:`prakerja.simulation.face`) reads the answer from a PNG text chunk
instead of running face recognition. The image itself is real, so the upload path
(size and format checks, encrypted storage, the selfie event) runs as it does for a
phone camera's photo. With the real face layer, the person's registry photo is the
selfie (:class:`RegistryPhotoSelfies`).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageEnhance, ImageFilter, PngImagePlugin

from prakerja.simulation.client import Upload
from prakerja.simulators.person import Person, SelfieIssue
from prakerja.simulators.photos import PhotoStore

MARKER_KEY = "prakerja-simulated-selfie"
GOOD = "ok"
_SIZE = (96, 128)


def selfie_png(issue: SelfieIssue | None, person_index: int) -> bytes:
    """A selfie that passes the face check (``issue`` None) or fails it for ``issue``."""
    shade = 64 + person_index % 128
    image = Image.new("RGB", _SIZE, (shade, shade, 200 - shade // 2))
    info = PngImagePlugin.PngInfo()
    info.add_text(MARKER_KEY, GOOD if issue is None else issue.value)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def marker_of(data: bytes) -> str | None:
    """The answer a simulated selfie carries, or None for any other image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            text = getattr(image, "text", {})
            value = text.get(MARKER_KEY) if isinstance(text, dict) else None
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return value if isinstance(value, str) else None


def write_registry_photos(folder: Path, count: int = 4) -> Path:
    """A few small JPEGs for the civil-registry simulator to serve as registry photos."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        shade = 60 + 40 * number
        Image.new("RGB", (120, 160), (shade, 150, 220 - shade)).save(
            folder / f"registry-{number}.jpg", "JPEG", quality=80
        )
    return folder


class Selfies(Protocol):
    """Where a simulated applicant's selfie comes from."""

    def selfie(self, person: Person, issue: SelfieIssue | None) -> Upload: ...


class MarkedSelfies:
    """Marked PNGs, for the simulated face layer."""

    def selfie(self, person: Person, issue: SelfieIssue | None) -> Upload:
        return Upload("data", "selfie.png", selfie_png(issue, person.index), "image/png")


class RegistryPhotoSelfies:
    """For the real face layer: the person's own registry photo as the good selfie, and
    that photo spoiled for a flaw. Blur, darkness and tilt are made as the real checks
    measure them; glasses, a hat and a turned head cannot be drawn convincingly, so
    those selfies are blurred instead (they fail, and are re-uploaded, all the same)."""

    def __init__(self, photos_dir: Path, seed: int) -> None:
        self._photos = PhotoStore(photos_dir, seed=seed)

    def selfie(self, person: Person, issue: SelfieIssue | None) -> Upload:
        photo = self._photos.get(person.nik)
        if photo is None:
            raise ValueError(f"no registry photos in the photos folder for {person.index}")
        if issue is None:
            return Upload("data", "selfie.jpg", photo.content, photo.media_type)
        with Image.open(io.BytesIO(photo.content)) as original:
            image = original.convert("RGB")
        if issue is SelfieIssue.DARK:
            spoiled = ImageEnhance.Brightness(image).enhance(0.2)
        elif issue is SelfieIssue.HEAD_TILTED:
            spoiled = image.rotate(25, resample=Image.Resampling.BICUBIC, fillcolor=(128, 128, 128))
        else:
            spoiled = image.filter(ImageFilter.GaussianBlur(max(image.size) / 60))
        buffer = io.BytesIO()
        spoiled.save(buffer, "JPEG", quality=90)
        return Upload("data", "selfie.jpg", buffer.getvalue(), "image/jpeg")
