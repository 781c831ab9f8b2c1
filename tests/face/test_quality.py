"""Selfie quality: each flaw is rejected for its own reason, and its original passes.

Flawed photos are derived with Pillow from good originals (tests/face/derive.py);
the astronaut (scikit-image) always runs, the shared real photos when present.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from prakerja.face import FaceVerdict, FaceVerifier, QualityThresholds, Reason
from prakerja.face.detection import FaceBox, Pose
from prakerja.face.measures import FaceMeasures
from prakerja.face.quality import assess_face, choose_applicant
from tests.face.derive import DERIVED_FAILURES, with_id_card_face
from tests.face.photos import astronaut as load_astronaut
from tests.face.photos import encode, landmarks_of

ORIGINALS = ["obama_1.jpg", "biden_2.jpg", "rose_leslie_2.jpg", "alex_lacamoire_1.jpg"]

Landmarks = npt.NDArray[np.float64]


def reasons(verdict: FaceVerdict) -> set[str]:
    return {str(code) for code in verdict.reasons}


@pytest.fixture(scope="module")
def astronaut_face() -> tuple[Image.Image, Landmarks]:
    image = load_astronaut()
    return image, landmarks_of(image)


@pytest.fixture(scope="module", params=ORIGINALS)
def original(
    request: pytest.FixtureRequest, shared_image: Callable[[str], Image.Image]
) -> tuple[Image.Image, Landmarks]:
    image = shared_image(request.param)
    return image, landmarks_of(image)


# ------------------------------------------------------------ derived flaws


@pytest.mark.parametrize("flaw", DERIVED_FAILURES)
def test_flaw_on_the_astronaut_is_rejected_for_its_reason(
    verifier: FaceVerifier, astronaut_face: tuple[Image.Image, Landmarks], flaw: str
) -> None:
    image, landmarks = astronaut_face
    derive, reason = DERIVED_FAILURES[flaw]

    verdict = verifier.verify(encode(derive(image, landmarks)), encode(image))

    assert verdict.outcome == "failed"
    assert reasons(verdict) == {reason}


@pytest.mark.parametrize("flaw", DERIVED_FAILURES)
def test_flaw_on_a_real_photo_is_rejected_for_its_reason(
    verifier: FaceVerifier, original: tuple[Image.Image, Landmarks], flaw: str
) -> None:
    image, landmarks = original
    derive, reason = DERIVED_FAILURES[flaw]

    verdict = verifier.verify(encode(derive(image, landmarks)), encode(image))

    assert verdict.outcome == "failed"
    assert reasons(verdict) == {reason}


def test_the_astronaut_itself_passes(
    verifier: FaceVerifier, astronaut_face: tuple[Image.Image, Landmarks]
) -> None:
    image, _ = astronaut_face

    verdict = verifier.verify(encode(image), encode(image))

    assert verdict.outcome == "matched"
    assert verdict.findings == ()


def test_the_originals_pass(
    verifier: FaceVerifier, original: tuple[Image.Image, Landmarks]
) -> None:
    image, _ = original

    verdict = verifier.verify(encode(image), encode(image))

    assert verdict.outcome == "matched", verdict.findings


# ------------------------------------------------------------ real flawed photos


def test_grace_hopper_wears_glasses(verifier: FaceVerifier, grace_hopper: bytes) -> None:
    verdict = verifier.verify(grace_hopper, grace_hopper)

    assert verdict.outcome == "failed"
    assert "glasses" in reasons(verdict)
    assert reasons(verdict) <= {"glasses", "hat"}  # her cap sits at the edge of detection


@pytest.mark.parametrize(
    ("photo", "reason"),
    [("obama_2_turned.jpg", "not_frontal"), ("biden_1_tilted.jpg", "tilted")],
)
def test_real_flawed_photos(
    verifier: FaceVerifier, shared_photo: Callable[[str], bytes], photo: str, reason: str
) -> None:
    verdict = verifier.verify(shared_photo(photo), shared_photo(photo))

    assert reasons(verdict) == {reason}


def test_two_people_are_multiple_faces(
    verifier: FaceVerifier, shared_photo: Callable[[str], bytes]
) -> None:
    verdict = verifier.verify(shared_photo("two_people.jpg"), shared_photo("obama_1.jpg"))

    assert verdict.outcome == "failed"
    assert "multiple_faces" in reasons(verdict)


# ------------------------------------------------------------ the ID card's photo


def test_the_small_face_on_the_id_card_is_not_another_person(
    verifier: FaceVerifier, astronaut_face: tuple[Image.Image, Landmarks]
) -> None:
    image, landmarks = astronaut_face
    holding_card = with_id_card_face(image, landmarks)

    verdict = verifier.verify(encode(holding_card), encode(image))

    assert verdict.outcome == "matched"


def test_a_small_face_on_a_real_selfie_is_not_another_person(
    verifier: FaceVerifier, original: tuple[Image.Image, Landmarks]
) -> None:
    image, landmarks = original

    verdict = verifier.verify(encode(with_id_card_face(image, landmarks, 0.3)), encode(image))

    assert verdict.outcome == "matched"


def test_a_second_face_of_comparable_size_is_multiple_faces(
    verifier: FaceVerifier, astronaut_face: tuple[Image.Image, Landmarks]
) -> None:
    image, landmarks = astronaut_face

    verdict = verifier.verify(encode(with_id_card_face(image, landmarks, 0.85)), encode(image))

    assert reasons(verdict) == {"multiple_faces"}


def _box(size: float, score: float = 2.0, left: float = 0.0) -> FaceBox:
    return FaceBox(left, 0.0, left + size, size, score, Pose.FRONTAL)


@pytest.mark.parametrize(
    ("second_size", "second_score", "flagged"),
    [(30, 2.0, False), (49, 2.0, False), (50, 2.0, True), (100, 1.1, True), (100, 0.1, False)],
)
def test_which_second_faces_count(second_size: float, second_score: float, flagged: bool) -> None:
    faces = [_box(100), _box(second_size, second_score, left=300)]

    applicant, findings = choose_applicant(faces, QualityThresholds())

    assert applicant == faces[0]
    assert (Reason.MULTIPLE_FACES in {f.code for f in findings}) is flagged


def test_a_weak_detection_larger_than_the_face_is_not_the_applicant() -> None:
    patch, face = _box(110, score=0.1, left=300), _box(100, score=1.5)

    applicant, findings = choose_applicant([patch, face], QualityThresholds())

    assert (applicant, findings) == (face, ())


# ------------------------------------------------------------ no usable face


def test_no_face(verifier: FaceVerifier) -> None:
    from skimage import data

    coffee = data.coffee()  # type: ignore[no-untyped-call]

    verdict = verifier.verify(encode(Image.fromarray(coffee)), b"")

    assert reasons(verdict) == {"no_face"}
    assert verdict.measures == {}


def test_a_distant_face_is_too_small(
    verifier: FaceVerifier, astronaut_face: tuple[Image.Image, Landmarks]
) -> None:
    image, _ = astronaut_face

    verdict = verifier.verify(encode(image.resize((256, 256))), encode(image))

    assert "face_too_small" in reasons(verdict)


def test_every_flaw_is_reported_at_once(
    verifier: FaceVerifier, astronaut_face: tuple[Image.Image, Landmarks]
) -> None:
    image, landmarks = astronaut_face
    flawed = image
    for flaw in ("with_glasses", "with_hat", "tilted", "blurred"):  # sized on the original
        flawed = DERIVED_FAILURES[flaw][0](flawed, landmarks)

    verdict = verifier.verify(encode(flawed), encode(image))

    assert reasons(verdict) == {"glasses", "hat", "tilted", "blurry"}


# ------------------------------------------------------------ the rules themselves

GOOD = FaceMeasures(
    eye_distance_px=100.0,
    tilt_degrees=2.0,
    yaw=0.03,
    sharpness=0.3,
    brightness=140.0,
    blown_out=0.0,
    cheek_balance=0.95,
    bridge_line=0.3,
    eye_brightness=0.6,
    forehead_in_frame=1.0,
    forehead_brightness=1.1,
    forehead_colour=0.03,
)


@pytest.mark.parametrize(
    ("measure", "value", "reason"),
    [
        ("eye_distance_px", 30.0, "face_too_small"),
        ("tilt_degrees", 13.0, "tilted"),
        ("yaw", 0.25, "not_frontal"),
        ("sharpness", 0.11, "blurry"),
        ("brightness", 40.0, "dark"),
        ("brightness", 230.0, "overexposed"),
        ("blown_out", 0.5, "overexposed"),
        ("cheek_balance", 0.3, "shadow"),
        ("bridge_line", 1.5, "glasses"),
        ("eye_brightness", 0.08, "glasses"),
        ("forehead_in_frame", 0.2, "hat"),
        ("forehead_brightness", 0.3, "hat"),
        ("forehead_colour", 0.3, "hat"),
    ],
)
def test_each_rule_names_its_reason_measure_and_threshold(
    measure: str, value: float, reason: str
) -> None:
    thresholds = QualityThresholds()

    findings = assess_face(dataclasses.replace(GOOD, **{measure: value}), thresholds)

    assert len(findings) == 1
    finding = findings[0]
    assert (finding.code, finding.measure, finding.measured) == (reason, measure, value)
    assert finding.threshold in thresholds.as_dict().values()


def test_good_measures_have_no_findings() -> None:
    assert assess_face(GOOD, QualityThresholds()) == ()
