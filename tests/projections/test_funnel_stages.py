"""The funnel's drop-off: from the milestone every applicant at a stage reached first."""

from __future__ import annotations

from prakerja.projections.funnel import MILESTONES, PREREQUISITE
from prakerja.projections.queries.funnel import stages

WHOLE_PROGRAMME = {
    "registered": 100,
    "email_verified": 90,
    "identity_submitted": 80,
    "nik_valid": 70,
    "education_passed": 60,
    "not_excluded": 65,  # students who are on no list: more than passed education
    "selfie_uploaded": 75,  # uploaded before the NIK check was done
    "face_matched": 40,
    "phone_verified": 85,  # verified right after the email, before any face
    "verified": 35,
}


def by_milestone(counts: dict[str, int]) -> dict[str, dict[str, object]]:
    return {str(row["milestone"]): row for row in stages(counts)}


def test_every_prerequisite_comes_earlier_on_the_main_path() -> None:
    for milestone, before in PREREQUISITE.items():
        assert MILESTONES.index(before) < MILESTONES.index(milestone), milestone
    assert set(PREREQUISITE) == set(MILESTONES) - {"registered"}


def test_stages_that_are_not_a_chain_never_show_a_negative_drop_off() -> None:
    rows = by_milestone(WHOLE_PROGRAMME)
    assert rows["phone_verified"] == {
        "milestone": "phone_verified",
        "applicants": 85,
        "after": "email_verified",
        "drop_off": 5,
        "conversion": 0.9444,
    }
    assert (rows["not_excluded"]["after"], rows["not_excluded"]["drop_off"]) == ("nik_valid", 5)
    assert (rows["selfie_uploaded"]["after"], rows["selfie_uploaded"]["drop_off"]) == (
        "identity_submitted",
        5,
    )
    assert (rows["face_matched"]["after"], rows["face_matched"]["drop_off"]) == (
        "selfie_uploaded",
        35,
    )
    assert (rows["verified"]["after"], rows["verified"]["drop_off"]) == ("phone_verified", 50)
    assert rows["registered"]["after"] is None and rows["registered"]["drop_off"] is None


def test_counts_that_are_not_one_cohort_are_floored_not_negative() -> None:
    # A window of days: some verified their email today but registered yesterday.
    window = by_milestone({"registered": 10, "email_verified": 14})["email_verified"]
    assert (window["drop_off"], window["conversion"]) == (0, 1.0)
    # One wave: the verifications it draws on belong to no wave, so there is no base.
    wave = by_milestone({"joined_wave": 12, "selected": 5})
    assert (wave["joined_wave"]["drop_off"], wave["joined_wave"]["conversion"]) == (None, None)
    assert (wave["selected"]["drop_off"], wave["selected"]["conversion"]) == (7, 0.4167)
