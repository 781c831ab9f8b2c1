"""Wave 1 of 2020, scaled to a simulation's size, and how far a run lands from it.

The published funnel of wave 1 sets the population's rates
(:class:`~prakerja.simulators.rates.PopulationRates`). This system lets applicants
correct a typo and re-upload a selfie, which 2020 did not, so its own calibrated
proportions are higher after the NIK layer; a run with ``corrections=False`` should
land on the published 2020 proportions themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from prakerja.simulators.rates import PopulationRates

FUNNEL_STAGES = ("registered", "email_verified", "nik_valid", "joined", "selected")
"""The stages of the published wave-1 funnel, in order."""

WAVE_1: dict[str, int] = {
    "registered": 5_965_048,
    "email_verified": 4_428_669,
    "nik_valid": 3_294_190,
    "joined": 2_078_026,
    "selected": 168_111,
}
TOLERANCE_PP = 2.0


def quota_for(registered: int) -> int:
    """Wave 1's quota share (168,111 of 5,965,048 registered), scaled to ``registered``."""
    return max(1, round(registered * WAVE_1["selected"] / WAVE_1["registered"]))


def published_shares() -> dict[str, float]:
    """Each stage of wave 1 as a share of its registrations."""
    return {stage: count / WAVE_1["registered"] for stage, count in WAVE_1.items()}


def calibrated_shares(
    rates: PopulationRates, *, corrections: bool = True, quota_share: float | None = None
) -> dict[str, float]:
    """The share of registrations expected at each stage under ``rates``.

    ``corrections``: applicants may correct a typo and re-upload a selfie (this system);
    without, the 2020 rules. Selection takes the quota (wave 1's share by default) or
    everyone who joined, whichever is smaller.
    """
    estimate = rates.expected_funnel(1.0)
    joined = estimate.joined if corrections else estimate.joined_2020
    quota = published_shares()["selected"] if quota_share is None else quota_share
    return {
        "registered": 1.0,
        "email_verified": estimate.email_verified,
        "nik_valid": estimate.nik_valid if corrections else estimate.nik_valid_2020,
        "joined": joined,
        "selected": min(quota, joined),
    }


@dataclass(frozen=True)
class StageComparison:
    stage: str
    measured: int
    measured_share: float
    calibrated_share: float
    published_share: float
    expected: float | None = None
    """What this run's population should give, person by person (see ``expected.py``)."""

    @property
    def difference_pp(self) -> float:
        """Measured minus calibrated, in percentage points of registrations."""
        return 100.0 * (self.measured_share - self.calibrated_share)

    @property
    def within_tolerance(self) -> bool:
        return abs(self.difference_pp) <= TOLERANCE_PP

    def as_dict(self) -> dict[str, object]:
        return {
            "stage": self.stage,
            "measured": self.measured,
            "measured_share": round(self.measured_share, 6),
            "calibrated_share": round(self.calibrated_share, 6),
            "published_2020_share": round(self.published_share, 6),
            "difference_pp": round(self.difference_pp, 3),
            "within_2pp": self.within_tolerance,
            "expected_from_population": self.expected,
        }


def compare(
    counts: dict[str, int],
    calibrated: dict[str, float],
    expected: dict[str, float] | None = None,
) -> list[StageComparison]:
    """Each published stage: the run's share of its registrations against the calibration."""
    registered = counts.get("registered", 0)
    published = published_shares()
    return [
        StageComparison(
            stage=stage,
            measured=counts.get(stage, 0),
            measured_share=counts.get(stage, 0) / registered if registered else 0.0,
            calibrated_share=calibrated[stage],
            published_share=published[stage],
            expected=None if expected is None else expected.get(stage),
        )
        for stage in FUNNEL_STAGES
    ]
