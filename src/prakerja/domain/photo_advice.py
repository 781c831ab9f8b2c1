"""What to tell the applicant for each reason code, in Indonesian and English.

Every failed face check names its reasons, and the applicant only re-uploads the
selfie, so each advice says what to change. Wording about head coverings is about
the forehead: a hijab that leaves the face visible is fine.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Advice:
    """One message in Indonesian (``id``) and English (``en``)."""

    id: str
    en: str


_ADVICE: dict[str, Advice] = {
    "blurry": Advice(
        "Foto buram. Pegang kamera dengan stabil, pastikan wajah tajam, lalu foto ulang.",
        "The photo is blurry. Hold the camera steady, make sure your face is sharp, "
        "and take it again.",
    ),
    "glasses": Advice("Lepas kacamata Anda.", "Take off your glasses."),
    "not_frontal": Advice(
        "Hadap lurus ke kamera, pastikan kedua telinga terlihat.",
        "Face the camera straight on, with both ears visible.",
    ),
    "tilted": Advice(
        "Tegakkan kepala Anda, jangan dimiringkan ke samping.",
        "Hold your head upright, not tilted to one side.",
    ),
    "dark": Advice(
        "Foto terlalu gelap. Cari tempat yang terang, dengan cahaya dari depan wajah.",
        "The photo is too dark. Find a well-lit place, with the light in front of your face.",
    ),
    "overexposed": Advice(
        "Foto terlalu terang. Hindari cahaya langsung yang terlalu kuat dan lampu kilat.",
        "The photo is too bright. Avoid strong direct light and the flash.",
    ),
    "shadow": Advice(
        "Ada bayangan di wajah Anda. Pastikan cahaya merata dari depan, bukan dari samping.",
        "There is a shadow on your face. Make sure the light falls evenly from the front, "
        "not from one side.",
    ),
    "hat": Advice(
        "Lepas topi atau penutup kepala yang menutupi dahi, dan pastikan seluruh wajah, "
        "dari dahi sampai dagu, masuk dalam foto.",
        "Take off your hat or anything covering your forehead, and keep your whole face, "
        "from forehead to chin, in the photo.",
    ),
    "no_face": Advice(
        "Wajah tidak terdeteksi. Pastikan wajah Anda terlihat jelas dan cukup cahaya, "
        "tanpa bayangan yang kuat.",
        "No face was found. Make sure your face is clearly visible and well lit, "
        "without strong shadows.",
    ),
    "multiple_faces": Advice(
        "Terdeteksi lebih dari satu wajah. Pastikan hanya Anda yang ada di foto, "
        "sambil memegang KTP.",
        "More than one face was found. Make sure only you are in the photo, holding your KTP.",
    ),
    "face_too_small": Advice(
        "Wajah Anda terlalu kecil di foto. Dekatkan kamera ke wajah.",
        "Your face is too small in the photo. Move the camera closer.",
    ),
    "unreadable_image": Advice(
        "Berkas foto tidak dapat dibaca. Unggah foto JPEG, PNG, atau WebP yang utuh.",
        "The photo file cannot be read. Upload a complete JPEG, PNG or WebP photo.",
    ),
    "unsupported_image": Advice(
        "Format berkas tidak didukung. Unggah foto JPEG, PNG, atau WebP.",
        "This file type is not supported. Upload a JPEG, PNG or WebP photo.",
    ),
    "corrupt_image": Advice(
        "Berkas foto rusak atau tidak lengkap. Ambil foto baru dan unggah ulang.",
        "The photo file is damaged or incomplete. Take a new photo and upload it again.",
    ),
    "image_too_large": Advice(
        "Resolusi foto terlalu besar. Unggah foto dengan resolusi lebih kecil.",
        "The photo's resolution is too high. Upload a smaller photo.",
    ),
    "mismatch": Advice(
        "Wajah di foto tidak cocok dengan foto di data kependudukan (Dukcapil). "
        "Pastikan Anda mengunggah foto diri Anda sendiri.",
        "The face in the photo does not match the civil-registry (Dukcapil) photo. "
        "Make sure you upload a photo of yourself.",
    ),
    "review_band": Advice(
        "Foto Anda perlu diperiksa oleh petugas. Anda akan diberi tahu hasilnya.",
        "Your photo needs to be checked by an officer. You will be told the result.",
    ),
    "reference_unusable": Advice(
        "Pemeriksaan wajah tertunda karena kendala teknis di pihak kami. "
        "Anda tidak perlu melakukan apa pun.",
        "Your face check is delayed by a technical problem on our side. "
        "You don't need to do anything.",
    ),
}

GENERIC_ADVICE = Advice(
    "Foto tidak lolos pemeriksaan. Ambil foto baru dengan wajah terlihat jelas, "
    "lalu unggah kembali.",
    "The photo did not pass the check. Take a new photo with your face clearly visible "
    "and upload it again.",
)


def advice_for(code: str) -> Advice:
    """The advice for a reason code; a generic message for codes it doesn't know."""
    return _ADVICE.get(str(code), GENERIC_ADVICE)
