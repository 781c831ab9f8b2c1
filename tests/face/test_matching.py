"""Matching alone, without the quality rules: same people match, different people don't.

Some photos here fail the quality rules on purpose (biden_1_tilted, obama_2_turned):
matching is tested on them separately from quality.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from prakerja.face import FacePolicy, ReferencePhotoUnusable
from prakerja.face.images import decode_image
from prakerja.face.matching import (
    encode_largest_face,
    encode_reference,
    face_distance,
)
from tests.face.photos import astronaut, encode, fit

Encoding = npt.NDArray[np.float64]

SAME_PERSON = [
    ("obama_1.jpg", "obama_2_turned.jpg"),
    ("biden_1_tilted.jpg", "biden_2.jpg"),
    ("kit_harington_1.jpg", "kit_harington_2.jpg"),
    ("rose_leslie_1.jpg", "rose_leslie_2.jpg"),
    ("alex_lacamoire_1.jpg", "alex_lacamoire_2.jpg"),
]
PEOPLE = [
    *sorted({photo for pair in SAME_PERSON for photo in pair}),
    "astronaut.png",
    "grace_hopper_glasses_hat.jpg",
]
DIFFERENT_PEOPLE = [
    (first, second)
    for first, second in itertools.combinations(PEOPLE, 2)
    if first.split("_")[0] != second.split("_")[0]
]

POLICY = FacePolicy()


@pytest.fixture(scope="module")
def encodings(shared_photo: Callable[[str], bytes]) -> dict[str, Encoding]:
    """One encoding per shared photo, computed once."""
    found = {}
    for name in PEOPLE:
        image = decode_image(shared_photo(name), max_side=1280)
        encoding = encode_largest_face(image, POLICY, upsample=0)
        assert encoding is not None, name
        found[name] = encoding
    return found


@pytest.mark.parametrize(("first", "second"), SAME_PERSON)
def test_same_person_matches(encodings: dict[str, Encoding], first: str, second: str) -> None:
    distance = face_distance(encodings[first], encodings[second])

    assert distance <= POLICY.accept_max_distance
    assert POLICY.decide(distance)[0] == "matched"


@pytest.mark.parametrize(("first", "second"), DIFFERENT_PEOPLE)
def test_different_people_do_not_match(
    encodings: dict[str, Encoding], first: str, second: str
) -> None:
    distance = face_distance(encodings[first], encodings[second])

    assert distance > POLICY.review_max_distance
    assert POLICY.decide(distance)[0] == "failed"


def test_a_small_registry_photo_is_found_and_matches() -> None:
    photo = astronaut()
    head = photo.crop((150, 40, 300, 220))  # head and shoulders, like a KTP photo
    registry = encode(fit(head, 120))  # 100 x 120 px: the face is under 80 px

    reference = encode_reference(registry, POLICY)
    selfie = encode_largest_face(photo, POLICY, upsample=0)

    assert selfie is not None
    assert face_distance(reference, selfie) <= POLICY.accept_max_distance


@pytest.mark.parametrize(
    ("photo", "reason"),
    [
        (b"<html>Service Unavailable</html>", "unsupported_image"),
        (encode(astronaut())[:5000], "corrupt_image"),
        (encode(Image.new("RGB", (300, 400), (128, 128, 128))), "no_face"),
    ],
    ids=["error page", "truncated", "no face"],
)
def test_an_unusable_registry_photo_is_a_technical_fault(photo: bytes, reason: str) -> None:
    with pytest.raises(ReferencePhotoUnusable) as raised:
        encode_reference(photo, POLICY)

    assert raised.value.reason == reason
    assert raised.value.code == "reference_unusable"


@pytest.mark.parametrize(
    ("distance", "outcome", "reason"),
    [
        (0.0, "matched", None),
        (0.50, "matched", None),
        (0.55, "review", "review_band"),
        (0.60, "review", "review_band"),
        (0.61, "failed", "mismatch"),
    ],
)
def test_policy_bands(distance: float, outcome: str, reason: str | None) -> None:
    decided, code, _ = POLICY.decide(distance)

    assert (decided, code) == (outcome, reason)


def test_policy_refuses_an_accept_cut_above_the_review_cut() -> None:
    with pytest.raises(ValueError, match="accept_max_distance"):
        FacePolicy(accept_max_distance=0.7, review_max_distance=0.6)
