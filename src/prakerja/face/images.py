"""Safe decoding of uploaded photos.

Uploads are untrusted bytes. Only JPEG, PNG and WebP are accepted, the pixel count is
checked from the header before anything is decoded (decompression bombs), and a
truncated or damaged file is refused even though ``face_recognition`` switches Pillow
to tolerating truncated images for the whole process when it is imported
(``PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True``, which also makes Pillow ignore PNG
checksum and decoder errors): decoding here always runs with that flag off.

This module must not import ``face_recognition``: the HTTP layer calls
:func:`inspect_upload` at upload time, in processes that never load face models.
"""

from __future__ import annotations

import io
import struct
import threading
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import ExifTags, Image, ImageFile, ImageOps, UnidentifiedImageError

from prakerja.face.errors import CorruptImage, ImageTooLarge, UnsupportedImage

DEFAULT_MAX_PIXELS = 40_000_000
"""40 megapixels (120 MB once decoded): above what phone cameras save by default
(12-24 MP, their sensors bin pixels); a 50-200 MP full-resolution shot is refused."""

_FORMATS = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp"}

# What Pillow's decoders raise on malformed input, besides its own OSError subclasses.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    struct.error,
    zlib.error,
)


@dataclass(frozen=True)
class ImageInfo:
    """What the upload is, as the applicant will see it (after EXIF orientation)."""

    format: str
    width: int
    height: int


class _StrictDecoding:
    """Turn Pillow's process-wide ``LOAD_TRUNCATED_IMAGES`` off while decoding.

    Re-entrant across threads: the first decoder in saves the flag, the last one out
    restores it, so concurrent decodes don't serialise. The only code that relies on
    the flag being on is ``face_recognition.load_image_file``, which is not used
    here; while a decode runs it would merely be strict too.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._saved = False

    def __enter__(self) -> None:
        with self._lock:
            if self._active == 0:
                self._saved = ImageFile.LOAD_TRUNCATED_IMAGES
                ImageFile.LOAD_TRUNCATED_IMAGES = False
            self._active += 1

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0:
                ImageFile.LOAD_TRUNCATED_IMAGES = self._saved


_strict_decoding = _StrictDecoding()


def _sniff(data: bytes) -> str | None:
    """Pillow name of the format announced by the magic bytes, if it is accepted."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _open(data: bytes, max_pixels: int) -> Image.Image:
    announced = _sniff(data)
    if announced is None:
        raise UnsupportedImage("not a JPEG, PNG or WebP image")
    try:
        with _strict_decoding:
            image = Image.open(io.BytesIO(data), formats=[announced])
            _check_size(image, max_pixels)
            if announced == "PNG":
                # Loading a PNG checks neither chunk checksums nor the end marker, so a
                # damaged or cut file could decode silently; verify() checks both.
                image.verify()
                image = Image.open(io.BytesIO(data), formats=[announced])
    except Image.DecompressionBombError as exc:
        # Pillow's own guard, above twice Image.MAX_IMAGE_PIXELS.
        raise ImageTooLarge(None, max_pixels) from exc
    except (UnidentifiedImageError, *_DECODE_ERRORS) as exc:
        # The magic bytes say it is an accepted format, so unreadable means damaged.
        raise CorruptImage(f"damaged {announced} file: {exc}") from exc
    return image


def _check_size(image: Image.Image, max_pixels: int) -> None:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise CorruptImage("image has no pixels")
    if width * height > max_pixels:
        raise ImageTooLarge(width * height, max_pixels)


def _load(image: Image.Image) -> None:
    try:
        with _strict_decoding:
            image.load()
    except _DECODE_ERRORS as exc:
        raise CorruptImage(f"cannot decode image: {exc}") from exc


def _orient(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except _DECODE_ERRORS as exc:
        raise CorruptImage(f"unreadable EXIF orientation: {exc}") from exc


def _swaps_sides(image: Image.Image) -> bool:
    """Whether the EXIF orientation turns the image a quarter (orientations 5 to 8)."""
    try:
        return image.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8)
    except _DECODE_ERRORS as exc:
        raise CorruptImage(f"unreadable EXIF: {exc}") from exc


def _to_rgb(image: Image.Image) -> Image.Image:
    """Convert any decoded mode to 8-bit RGB; transparency is laid on white."""
    if image.mode == "RGB":
        return image
    if image.mode.startswith("I") or image.mode == "F":
        # Pillow clips 16-bit grey to 255 when converting; scale it instead.
        values = np.asarray(image, dtype=np.float64)
        if image.mode.startswith("I;16") or values.max(initial=0) > 255:
            values = values / 257.0
        grey = np.clip(np.rint(values), 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if "A" in image.mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def inspect_upload(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageInfo:
    """Check an upload fully but cheaply: format, size, and that it decodes whole.

    JPEGs are decoded at 1/8 scale, which still reads every byte of the file, so a
    truncated upload is caught at upload time for a few milliseconds.
    """
    with _open(data, max_pixels) as image:
        pillow_format = str(image.format)
        width, height = image.size
        if pillow_format == "JPEG":
            image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
        _load(image)
        if _swaps_sides(image):
            width, height = height, width
    return ImageInfo(format=_FORMATS[pillow_format], width=width, height=height)


def decode_image(
    data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS, max_side: int | None = None
) -> Image.Image:
    """Decode an upload to an upright 8-bit RGB image.

    With ``max_side``, the image is shrunk so its longer side is at most that many
    pixels (JPEGs are decoded directly at a reduced scale, which is much faster).
    """
    with _open(data, max_pixels) as image:
        if max_side is not None and image.format == "JPEG":
            scale = max_side / max(image.size)
            if scale < 1:
                image.draft(image.mode, (int(image.width * scale), int(image.height * scale)))
        _load(image)
        rgb = _to_rgb(_orient(image))
    if max_side is not None and max(rgb.size) > max_side:
        scale = max_side / max(rgb.size)
        target = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        rgb = rgb.resize(target, Image.Resampling.LANCZOS)
    return rgb
