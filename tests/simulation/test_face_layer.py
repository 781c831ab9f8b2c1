from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from prakerja.face.images import inspect_upload
from prakerja.simulation.face import POLICY_VERSION, SimulatedFaceChecker
from prakerja.simulation.selfies import (
    GOOD,
    RegistryPhotoSelfies,
    marker_of,
    selfie_png,
    write_registry_photos,
)
from prakerja.simulators.person import SelfieIssue
from prakerja.simulators.photos import PhotoStore
from prakerja.simulators.population import Population
from prakerja.verification.face import face_decision


def test_a_simulated_selfie_is_a_real_image_carrying_its_answer() -> None:
    data = selfie_png(SelfieIssue.GLASSES, 12)
    info = inspect_upload(data)
    assert (info.width, info.height) == (96, 128)
    assert marker_of(data) == "glasses"
    assert marker_of(selfie_png(None, 12)) == GOOD
    assert marker_of(b"not an image") is None


@pytest.mark.parametrize(
    ("issue", "code"),
    [
        (SelfieIssue.BLURRY, "blurry"),
        (SelfieIssue.GLASSES, "glasses"),
        (SelfieIssue.EARS_NOT_VISIBLE, "not_frontal"),
        (SelfieIssue.HEAD_TILTED, "tilted"),
        (SelfieIssue.DARK, "dark"),
        (SelfieIssue.HAT, "hat"),
    ],
)
def test_each_published_reason_fails_the_check_under_the_real_codes(
    issue: SelfieIssue, code: str
) -> None:
    check = SimulatedFaceChecker().check(selfie_png(issue, 1), b"registry photo")
    decision, review = face_decision(check)
    assert not decision.passed
    assert not review
    assert [reason.code for reason in decision.reasons] == [code]
    assert check.policy_version == POLICY_VERSION


def test_a_good_selfie_matches_and_any_other_image_is_unreadable() -> None:
    matched, _ = face_decision(SimulatedFaceChecker().check(selfie_png(None, 1), b""))
    assert matched.passed
    assert matched.evidence["simulated"] is True
    other, _ = face_decision(SimulatedFaceChecker().check(b"\x89PNG junk", b""))
    assert [reason.code for reason in other.reasons] == ["unreadable_image"]


def test_registry_photos_for_the_simulator(tmp_path: Path) -> None:
    folder = write_registry_photos(tmp_path / "photos", count=3)
    assert sorted(p.name for p in folder.iterdir()) == [
        "registry-0.jpg",
        "registry-1.jpg",
        "registry-2.jpg",
    ]


def test_with_the_real_face_layer_the_selfie_is_the_registry_photo(tmp_path: Path) -> None:
    folder = write_registry_photos(tmp_path / "photos", count=2)
    person = Population(2020, 10).person(3)
    selfies = RegistryPhotoSelfies(folder, seed=2020)
    good = selfies.selfie(person, None)
    registry = PhotoStore(folder, seed=2020).get(person.nik)
    assert registry is not None
    assert good.content == registry.content
    dark = selfies.selfie(person, SelfieIssue.DARK)
    with Image.open(io.BytesIO(dark.content)) as image:
        darkened = ImageStat.Stat(image.convert("L")).mean[0]
    with Image.open(io.BytesIO(good.content)) as image:
        original = ImageStat.Stat(image.convert("L")).mean[0]
    assert darkened < 0.3 * original
    assert inspect_upload(selfies.selfie(person, SelfieIssue.HAT).content).format == "jpeg"
