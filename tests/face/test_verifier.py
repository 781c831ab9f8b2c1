"""The whole face check: verdicts, their evidence, and faults of either photo."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from PIL import Image

from prakerja.face import (
    FacePolicy,
    FaceVerdict,
    FaceVerifier,
    ReferencePhotoUnusable,
    advice_for,
)
from prakerja.face.measure import measure, registry_photo
from prakerja.face.quality import Reason
from tests.face.photos import encode


@pytest.fixture(scope="module")
def selfie(astronaut: Image.Image) -> bytes:
    return encode(astronaut)


@pytest.fixture(scope="module")
def registry(astronaut: Image.Image) -> bytes:
    return registry_photo(astronaut)


@pytest.fixture(scope="module")
def matched(verifier: FaceVerifier, selfie: bytes, registry: bytes) -> FaceVerdict:
    return verifier.verify(selfie, registry)


def test_the_same_person_is_matched(matched: FaceVerdict) -> None:
    assert matched.outcome == "matched"
    assert matched.findings == ()
    assert matched.distance is not None
    assert matched.distance <= 0.5


def test_the_verdict_records_the_rule_and_evidence(matched: FaceVerdict) -> None:
    evidence = json.loads(json.dumps(matched.to_evidence()))

    assert evidence["policy_version"] == "face-2026.1"
    assert evidence["thresholds"]["accept_max_distance"] == 0.5
    assert evidence["thresholds"]["review_max_distance"] == 0.6
    assert evidence["thresholds"]["max_tilt_degrees"] == 10.0
    assert set(evidence["timings_ms"]) == {
        "decode",
        "detect",
        "landmarks",
        "quality",
        "encode",
        "total",
    }
    assert evidence["measures"]["eye_distance_px"] > 40
    assert evidence["outcome"] == "matched"


def test_another_person_is_a_mismatch(
    verifier: FaceVerifier, selfie: bytes, grace_hopper: bytes
) -> None:
    verdict = verifier.verify(selfie, grace_hopper)

    assert verdict.outcome == "failed"
    assert verdict.distance is not None
    (finding,) = verdict.findings
    assert (finding.code, finding.measured, finding.threshold) == (
        "mismatch",
        verdict.distance,
        0.6,
    )


def test_a_distance_between_the_cuts_goes_to_review(
    selfie: bytes, registry: bytes, matched: FaceVerdict
) -> None:
    assert matched.distance is not None
    strict = FacePolicy(
        version="test-strict", accept_max_distance=matched.distance / 2, review_max_distance=0.6
    )

    verdict = FaceVerifier(strict).verify(selfie, registry)

    assert verdict.outcome == "review"
    assert [str(code) for code in verdict.reasons] == ["review_band"]
    assert verdict.policy_version == "test-strict"
    assert verdict.thresholds["accept_max_distance"] == strict.accept_max_distance


def test_a_png_selfie_with_transparency_is_checked(
    verifier: FaceVerifier, astronaut: Image.Image, registry: bytes
) -> None:
    with_alpha = astronaut.convert("RGBA")
    with_alpha.putalpha(Image.new("L", astronaut.size, 255).rotate(10))  # transparent corners

    verdict = verifier.verify(encode(with_alpha, "PNG"), registry)

    assert verdict.outcome == "matched"


@pytest.mark.parametrize(
    "upload",
    ["truncated", "text", "pdf", "huge"],
)
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_unreadable_selfie_fails_with_a_reason_not_an_exception(
    verifier: FaceVerifier, selfie: bytes, registry: bytes, upload: str
) -> None:
    data = {
        "truncated": selfie[: len(selfie) // 2],
        "text": b"Saya pemegang KTP ini.",
        "pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
        "huge": encode(Image.new("1", (12_000, 12_000)), "PNG"),
    }[upload]

    verdict = verifier.verify(data, registry)

    assert verdict.outcome == "failed"
    assert [str(code) for code in verdict.reasons] == ["unreadable_image"]
    assert verdict.findings[0].measure in {"corrupt_image", "unsupported_image", "image_too_large"}
    assert verdict.distance is None
    assert verdict.timings_ms["total"] < 2000


def test_an_unreadable_reference_is_raised_not_blamed_on_the_applicant(
    verifier: FaceVerifier, selfie: bytes
) -> None:
    with pytest.raises(ReferencePhotoUnusable) as raised:
        verifier.verify(selfie, b"")

    assert raised.value.reason == "unsupported_image"
    assert "tertunda" in advice_for(raised.value.code).id


def test_a_reference_without_a_face_is_raised(verifier: FaceVerifier, selfie: bytes) -> None:
    blank = encode(Image.new("RGB", (300, 400), (200, 200, 200)))

    with pytest.raises(ReferencePhotoUnusable) as raised:
        verifier.verify(selfie, blank)

    assert raised.value.reason == "no_face"


def test_a_bad_selfie_never_reads_the_reference(verifier: FaceVerifier) -> None:
    verdict = verifier.verify(b"not a photo", b"not a photo either")

    # Read, the reference would have raised ReferencePhotoUnusable; past the selfie's
    # decoding, its detection would have been timed.
    assert verdict.outcome == "failed"
    assert [f.code for f in verdict.findings] == [Reason.UNREADABLE_IMAGE]
    assert verdict.timings_ms["detect"] == 0.0


def test_importing_the_package_loads_no_face_model() -> None:
    probe = (
        "import sys, prakerja.face, prakerja.face.images, prakerja.face.verifier;"
        "print('face_recognition' in sys.modules or 'dlib' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"


def test_measure_reports_both_sizes() -> None:
    report = measure(runs=1)

    for size in ("640x480", "1280x960"):
        figures = report[size]
        assert isinstance(figures, dict)
        assert figures["images_per_second"] > 0
        by_photo = figures["by_photo"]
        assert isinstance(by_photo, dict)
        assert by_photo["astronaut"]["outcome"] == "matched []"
        assert by_photo["grace_hopper"]["outcome"] == "failed ['glasses']"
