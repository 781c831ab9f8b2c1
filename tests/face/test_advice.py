"""Advice in Indonesian and English for every reason the face check can give."""

from __future__ import annotations

import pytest

from prakerja.domain.photo_advice import GENERIC_ADVICE
from prakerja.face import Reason, advice_for

IMAGE_ERRORS = ["unsupported_image", "corrupt_image", "image_too_large", "reference_unusable"]


@pytest.mark.parametrize("code", [*Reason, *IMAGE_ERRORS])
def test_every_reason_has_its_own_advice(code: str) -> None:
    advice = advice_for(code)

    assert advice != GENERIC_ADVICE
    assert advice.id
    assert advice.en
    assert advice.id != advice.en


def test_glasses() -> None:
    assert advice_for("glasses") == advice_for(Reason.GLASSES)
    assert (advice_for("glasses").id, advice_for("glasses").en) == (
        "Lepas kacamata Anda.",
        "Take off your glasses.",
    )


@pytest.mark.parametrize(
    ("code", "indonesian", "english"),
    [
        ("not_frontal", "telinga", "ears"),
        ("tilted", "Tegakkan kepala", "upright"),
        ("dark", "cahaya", "lit"),
        ("no_face", "cahaya", "lit"),  # a strong shadow can hide the face entirely
        ("shadow", "bayangan", "shadow"),
        ("hat", "dahi", "forehead"),
        ("multiple_faces", "KTP", "KTP"),
    ],
)
def test_advice_says_what_to_change(code: str, indonesian: str, english: str) -> None:
    advice = advice_for(code)

    assert indonesian in advice.id
    assert english in advice.en


def test_unknown_codes_get_generic_advice() -> None:
    assert advice_for("not_a_reason") == GENERIC_ADVICE
