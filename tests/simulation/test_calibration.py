from __future__ import annotations

import pytest

from prakerja.simulation.calibration import (
    WAVE_1,
    calibrated_shares,
    compare,
    published_shares,
    quota_for,
)
from prakerja.simulators.rates import PopulationRates


def test_the_quota_is_wave_1s_share_of_the_run() -> None:
    assert quota_for(WAVE_1["registered"]) == WAVE_1["selected"]
    assert quota_for(100_000) == 2_818
    assert quota_for(10) == 1  # never zero


def test_without_corrections_the_rates_reproduce_wave_1_as_published() -> None:
    calibrated = calibrated_shares(PopulationRates(), corrections=False)
    for stage, share in published_shares().items():
        assert calibrated[stage] == pytest.approx(share, abs=0.0005), stage


def test_corrections_raise_the_stages_after_a_typo_or_a_failed_selfie() -> None:
    today = calibrated_shares(PopulationRates(), corrections=True)
    then = calibrated_shares(PopulationRates(), corrections=False)
    assert today["email_verified"] == then["email_verified"]
    assert today["nik_valid"] - then["nik_valid"] == pytest.approx(0.7424 * 0.09, abs=1e-4)
    assert today["joined"] > then["joined"]
    assert today["selected"] == then["selected"]  # the quota binds either way


def test_selection_takes_everyone_when_fewer_join_than_the_quota() -> None:
    shares = calibrated_shares(PopulationRates(abandons=0.99), quota_share=0.5)
    assert shares["selected"] == shares["joined"]


def test_comparison_in_percentage_points_of_registrations() -> None:
    calibrated = {
        "registered": 1.0,
        "email_verified": 0.75,
        "nik_valid": 0.6,
        "joined": 0.45,
        "selected": 0.03,
    }
    counts = {
        "registered": 1000,
        "email_verified": 760,
        "nik_valid": 570,
        "joined": 450,
        "selected": 30,
    }
    rows = {row.stage: row for row in compare(counts, calibrated, {"joined": 449.5})}
    assert rows["email_verified"].difference_pp == pytest.approx(1.0)
    assert rows["email_verified"].within_tolerance
    assert rows["nik_valid"].difference_pp == pytest.approx(-3.0)
    assert not rows["nik_valid"].within_tolerance
    assert rows["joined"].as_dict()["expected_from_population"] == 449.5
    assert rows["selected"].as_dict()["published_2020_share"] == pytest.approx(0.028183, abs=1e-6)
