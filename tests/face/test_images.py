"""Decoding uploads: accepted formats, conversions, and every way an upload can be bad.

None of these tests loads the face models.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image, ImageFile

from prakerja.face.errors import CorruptImage, ImageTooLarge, UnsupportedImage
from prakerja.face.images import decode_image, inspect_upload
from tests.face.photos import encode


@pytest.fixture
def tolerant_pillow() -> Iterator[None]:
    """Pillow as ``import face_recognition`` leaves it: accepting truncated files."""
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    yield
    ImageFile.LOAD_TRUNCATED_IMAGES = previous


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    gradient = np.linspace(0, 255, 160 * 120 * 3).reshape(120, 160, 3).astype(np.uint8)
    return Image.fromarray(gradient)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG announcing ``width`` x ``height`` with almost no data: a decompression bomb
    needs no more to be dangerous if decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("image_format", "name"), [("JPEG", "jpeg"), ("PNG", "png"), ("WEBP", "webp")]
)
def test_accepted_formats_decode_to_rgb(photo: Image.Image, image_format: str, name: str) -> None:
    data = encode(photo, image_format)

    assert inspect_upload(data).format == name
    decoded = decode_image(data)
    assert (decoded.mode, decoded.size) == ("RGB", (160, 120))


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "L", "1", "I;16"])
def test_png_modes_become_rgb(photo: Image.Image, mode: str) -> None:
    if mode == "I;16":
        image = Image.fromarray(np.asarray(photo.convert("L"), dtype=np.uint16) * 257)
    else:
        image = photo.convert(mode)

    decoded = decode_image(encode(image, "PNG"))

    assert (decoded.mode, decoded.size) == ("RGB", (160, 120))


def test_palette_transparency_is_honoured(photo: Image.Image) -> None:
    palette = photo.convert("P")
    first_index = palette.getpixel((0, 0))

    decoded = decode_image(encode(palette, "PNG", transparency=first_index))

    assert decoded.getpixel((0, 0)) == (255, 255, 255)


def test_transparency_is_laid_on_white(photo: Image.Image) -> None:
    rgba = photo.convert("RGBA")
    rgba.putalpha(0)

    decoded = decode_image(encode(rgba, "PNG"))

    assert np.asarray(decoded).min() == 255


def test_16_bit_grey_is_scaled_not_clipped() -> None:
    levels = np.array([[0, 257 * 64, 257 * 128, 65535]], dtype=np.uint16)

    decoded = decode_image(encode(Image.fromarray(levels), "PNG"))

    assert np.asarray(decoded)[0, :, 0].tolist() == [0, 64, 128, 255]


def test_exif_orientation_is_applied(photo: Image.Image) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned a quarter: display rotated 90 degrees
    data = encode(photo, "JPEG", exif=exif)

    assert decode_image(data).size == (120, 160)
    info = inspect_upload(data)
    assert (info.width, info.height) == (120, 160)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("kept", [0.3, 0.9, 0.99])
@pytest.mark.usefixtures("tolerant_pillow")
def test_truncated_files_are_corrupt_even_when_pillow_tolerates_them(
    photo: Image.Image, image_format: str, kept: float
) -> None:
    data = encode(photo, image_format)
    truncated = data[: int(len(data) * kept)]

    with pytest.raises(CorruptImage) as decoding:
        decode_image(truncated)
    with pytest.raises(CorruptImage):
        inspect_upload(truncated)
    assert decoding.value.code == "corrupt_image"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the process-wide setting is restored


@pytest.mark.usefixtures("tolerant_pillow")
def test_damaged_png_is_corrupt(photo: Image.Image) -> None:
    data = bytearray(encode(photo, "PNG"))
    data[len(data) // 2] ^= 0xFF  # a flipped byte: the checksum no longer matches

    with pytest.raises(CorruptImage):
        decode_image(bytes(data))


def test_garbage_after_a_jpeg_signature_is_corrupt() -> None:
    with pytest.raises(CorruptImage):
        decode_image(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"Nama: Siti Aminah\nNIK: 3201015507900001\n",
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    ],
    ids=["empty", "text", "pdf", "gif"],
)
def test_non_images_and_other_formats_are_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedImage) as decoding:
        decode_image(data)
    with pytest.raises(UnsupportedImage):
        inspect_upload(data)
    assert decoding.value.code == "unsupported_image"


def test_other_image_formats_are_unsupported(photo: Image.Image) -> None:
    for image_format in ("BMP", "TIFF", "GIF"):
        with pytest.raises(UnsupportedImage):
            decode_image(encode(photo, image_format))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_huge_image_is_refused_from_its_header_without_decoding() -> None:
    """The size is read from the header: with the pixel data cut off, a huge image is
    still refused as too large, where decoding it would have found it corrupt (as a
    small image cut the same way is). How fast that is belongs to the benchmarks."""
    image = Image.new("1", (12_000, 12_000))  # 144 megapixels, 18 MB in memory
    data = encode(image, "PNG")
    header_only = data[:60]  # signature, IHDR and the start of the first IDAT chunk

    with pytest.raises(ImageTooLarge) as decoding:
        decode_image(data, max_pixels=40_000_000)
    with pytest.raises(ImageTooLarge):
        inspect_upload(data, max_pixels=40_000_000)
    for refuse in (decode_image, inspect_upload):
        with pytest.raises(ImageTooLarge):
            refuse(header_only, max_pixels=40_000_000)
        with pytest.raises(CorruptImage):
            refuse(encode(Image.new("1", (100, 100)), "PNG")[:60], max_pixels=40_000_000)
    assert decoding.value.code == "image_too_large"
    assert decoding.value.pixels == 144_000_000


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("side", [8_000, 50_000])
def test_decompression_bombs_are_too_large(side: int) -> None:
    # 50,000 px square is beyond Pillow's own guard, which refuses it while opening.
    with pytest.raises(ImageTooLarge):
        decode_image(_png_header_only(side, side))


def test_max_side_shrinks_big_photos(photo: Image.Image) -> None:
    big = photo.resize((1600, 1200))

    assert decode_image(encode(big, "JPEG"), max_side=640).size == (640, 480)
    assert decode_image(encode(big, "PNG"), max_side=640).size == (640, 480)
