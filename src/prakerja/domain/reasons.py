"""What each reason code means to the applicant, in Indonesian and English."""

from __future__ import annotations

from dataclasses import dataclass

from prakerja.domain.photo_advice import advice_for


@dataclass(frozen=True)
class Message:
    id: str
    en: str


_CATALOGUE: dict[str, Message] = {
    # email
    "email_bounced": Message(
        "Email tidak dapat dikirim ke alamat ini. Periksa ejaan atau gunakan alamat lain.",
        "Email to this address bounced. Check the spelling or use another address.",
    ),
    # identity (civil registry)
    "nik_not_found": Message(
        "NIK tidak ditemukan di Dukcapil. Periksa setiap angka NIK sesuai KTP Anda.",
        "The NIK was not found at the civil registry. Check every digit against your ID card.",
    ),
    "kk_number_mismatch": Message(
        "Nomor KK tidak sesuai data Dukcapil. Periksa nomor pada Kartu Keluarga Anda.",
        "The family card (KK) number does not match the registry. Check your family card.",
    ),
    "full_name_mismatch": Message(
        "Nama tidak sesuai data Dukcapil. Tulis nama persis seperti di KTP.",
        "The name does not match the registry. Write it exactly as on your ID card.",
    ),
    "birth_date_mismatch": Message(
        "Tanggal lahir tidak sesuai data Dukcapil.",
        "The date of birth does not match the registry.",
    ),
    "mother_maiden_name_mismatch": Message(
        "Nama ibu kandung tidak sesuai data Dukcapil.",
        "The mother's maiden name does not match the registry.",
    ),
    "under_minimum_age": Message(
        "Usia minimal peserta adalah 18 tahun.",
        "Applicants must be at least 18 years old.",
    ),
    "nik_birth_date_mismatch": Message(
        "Tanggal lahir pada NIK berbeda dengan yang Anda isi; mungkin ada salah ketik.",
        "The date inside the NIK differs from the birth date you entered: probably a typo.",
    ),
    # education
    "enrolled_student": Message(
        "Anda tercatat sebagai pelajar atau mahasiswa aktif, yang tidak dapat mendaftar.",
        "You are recorded as a current student, who cannot apply.",
    ),
    # exclusion lists
    "on_exclusion_list": Message(
        "Anda tercatat sebagai penerima bantuan sosial lain atau pegawai yang dikecualikan.",
        "You are recorded as receiving other social assistance or as excluded staff.",
    ),
    "family_card_limit": Message(
        "Sudah ada dua pendaftar dari Kartu Keluarga yang sama.",
        "Two applicants from the same family card have already applied.",
    ),
    # phone
    "otp_incorrect": Message("Kode OTP salah.", "The OTP code is wrong."),
    # programme
    "no_training_within_30_days": Message(
        "Kepesertaan dicabut karena tidak membeli pelatihan dalam 30 hari setelah SK.",
        "Membership revoked: no training bought within 30 days of the decree.",
    ),
    "not_selected_in_draw": Message(
        "Anda belum terpilih pada gelombang ini. Anda dapat bergabung ke gelombang berikutnya "
        "tanpa mendaftar ulang.",
        "You were not selected in this wave. You may join a later wave without registering again.",
    ),
    "nik_blacklisted": Message(
        "NIK ini tidak dapat lagi mengikuti program.",
        "This NIK can no longer take part in the programme.",
    ),
    "incentive_payment_rejected": Message(
        "Pembayaran insentif ditolak oleh penyedia pembayaran. Petugas akan menghubungi Anda.",
        "The payment provider refused the incentive payment. Staff will contact you.",
    ),
    "technical_delay": Message(
        "Pemeriksaan tertunda karena gangguan teknis. Kami akan mencoba lagi otomatis.",
        "The check is delayed by a technical fault. We will retry automatically.",
    ),
}

_GENERIC = Message(
    "Pemeriksaan tidak lolos. Hubungi layanan bantuan.",
    "The check did not pass. Please contact the help desk.",
)


def message_for(code: str) -> Message:
    """The applicant-facing text for a reason code; a photo fault's text says how to
    take a better photo (:mod:`prakerja.domain.photo_advice`)."""
    if code in _CATALOGUE:
        return _CATALOGUE[code]
    advice = advice_for(code)
    return Message(advice.id, advice.en)


def known_codes() -> frozenset[str]:
    return frozenset(_CATALOGUE)


GENERIC_MESSAGE = _GENERIC
