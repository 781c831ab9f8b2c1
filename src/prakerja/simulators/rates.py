"""How often each funnel flag is set in the synthetic population, calibrated to wave 1.

Every share is drawn independently of the others, so a share is both the
unconditional share and the share among the people who reach that stage. The
published WAVE-1 funnel (5,965,048 registered → 4,428,669 email verified →
3,294,190 NIK valid → 2,078,026 joined → 168,111 selected) maps onto the defaults so:

==========================  =======  ==========================================================
flag (field)                default  how it maps to the published figures
==========================  =======  ==========================================================
mailbox_unreachable         25.76%   1 - 4,428,669 / 5,965,048 = 25.76% never verified email
**NIK layer**               25.62%   1 - 3,294,190 / 4,428,669 = 25.62% of the verified failed
  nik_typo                   9.00%   one NIK digit or one name letter wrong at first; in 2020
                                     this was lost (start over), here a resubmit fixes it
  nik_not_in_registry        6.50%   Dukcapil does not know the NIK (not synced, new card)
  data_mismatch              7.50%   registry holds another mother's maiden name: never passes
  minor                      2.62%   under 18 on ``as_of`` (15-17 years old)
**after the NIK layer**              with the rows below: joined / NIK valid =
                                     2,078,026 / 3,294,190 = 63.08%
  university_student         4.50%   current students fail layer 2 (audits later found 54,856
  school_student             1.50%   paid students: the ministry's data is late, so modest)
  dtks                       5.00%   per family card (KK): the whole family is on DTKS
  civil_servant              1.20%
  military_police            0.40%
  legislator                 0.05%
  village_official           0.40%
  soe_staff                  0.60%   state-owned-enterprise staff
  earlier_participant        0.00%   none in wave 1; raise it to simulate later waves
  (on any list)              7.49%   1 - (1-dtks)(1-civil_servant)...(1-earlier_participant)
  selfie_issue              16.00%   first selfie fails a quality check (≈32,000 of 200,000 in
                                     wave 1); fatal in 2020, fixed by a re-upload here
  abandons                  13.64%   never joins a wave (gives up, misses the closing time);
                                     solves (1-0.06)(1-0.0749)(1-0.16)(1-a) = 0.6308
==========================  =======  ==========================================================

Selection (168,111 of 2,078,026 = 8.09%) is the programme's quota draw, not a flag.
:meth:`PopulationRates.expected_funnel` reproduces the published counts ("2020"
columns, where typos and failed selfies were losses) and the counts this system
should reach when applicants may correct a typo and re-upload a selfie.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

Share = Annotated[float, Field(ge=0.0, le=1.0)]


@dataclass(frozen=True)
class FunnelEstimate:
    """Expected head counts at each stage for a number of registrations."""

    registered: float
    email_verified: float
    nik_valid_2020: float
    nik_valid: float
    joined_2020: float
    joined: float


class PopulationRates(BaseModel):
    """Shares of the population carrying each funnel flag (see the module table)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mailbox_unreachable: Share = 0.2576
    nik_typo: Share = 0.09
    nik_not_in_registry: Share = 0.065
    data_mismatch: Share = 0.075
    minor: Share = 0.0262
    university_student: Share = 0.045
    school_student: Share = 0.015
    dtks: Share = 0.05
    civil_servant: Share = 0.012
    military_police: Share = 0.004
    legislator: Share = 0.0005
    village_official: Share = 0.004
    soe_staff: Share = 0.006
    earlier_participant: Share = 0.0
    selfie_issue: Share = 0.16
    abandons: Share = 0.1364

    @model_validator(mode="after")
    def _categories_fit(self) -> PopulationRates:
        if self.identity_failure > 1.0:
            raise ValueError("the identity-issue shares add up to more than 1")
        if self.university_student + self.school_student > 1.0:
            raise ValueError("the student shares add up to more than 1")
        return self

    @property
    def identity_failure(self) -> float:
        """Share failing the NIK layer on the first attempt (typos included)."""
        return self.nik_typo + self.nik_not_in_registry + self.data_mismatch + self.minor

    @property
    def per_person_lists(self) -> dict[str, float]:
        """The exclusion lists drawn per person (DTKS is drawn per family card)."""
        return {
            "civil_servant": self.civil_servant,
            "military_police": self.military_police,
            "legislator": self.legislator,
            "village_official": self.village_official,
            "soe_staff": self.soe_staff,
            "earlier_participant": self.earlier_participant,
        }

    @property
    def excluded(self) -> float:
        """Share on at least one exclusion list."""
        clear = 1.0 - self.dtks
        for share in self.per_person_lists.values():
            clear *= 1.0 - share
        return 1.0 - clear

    def expected_funnel(self, registered: float) -> FunnelEstimate:
        verified = registered * (1.0 - self.mailbox_unreachable)
        valid_2020 = verified * (1.0 - self.identity_failure)
        valid = verified * (1.0 - self.identity_failure + self.nik_typo)
        eligible = (1.0 - self.university_student - self.school_student) * (1.0 - self.excluded)
        stays = eligible * (1.0 - self.abandons)
        return FunnelEstimate(
            registered=registered,
            email_verified=verified,
            nik_valid_2020=valid_2020,
            nik_valid=valid,
            joined_2020=valid_2020 * stays * (1.0 - self.selfie_issue),
            joined=valid * stays,
        )
