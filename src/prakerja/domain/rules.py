"""Named, versioned rules. Every decision event records the rule it applied."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """A rule's stable id and version; a changed rule gets a new version, never a new meaning."""

    id: str
    version: int | str

    @property
    def ref(self) -> str:
        """``id@version`` as events store it (a bare id for an unversioned rule)."""
        return f"{self.id}@{self.version}" if self.version != "" else self.id

    @classmethod
    def parse(cls, ref: str) -> Rule:
        """The rule an event's stored reference names (the inverse of :attr:`ref`)."""
        rule_id, _, version = ref.rpartition("@")
        if not rule_id or not version:
            return cls(ref, "")
        canonical = version.isdigit() and str(int(version)) == version
        return cls(rule_id, int(version) if canonical else version)


EMAIL_OWNERSHIP = Rule("email.link-token", 1)
REGISTRY_MATCH = Rule("identity.registry-match", 1)
MINIMUM_AGE = Rule("identity.minimum-age", 1)
NOT_IN_SCHOOL = Rule("education.not-enrolled", 1)
NOT_EXCLUDED = Rule("exclusion.lists", 1)
FAMILY_CARD_LIMIT = Rule("exclusion.family-card-limit", 1)
PHONE_OTP = Rule("phone.otp", 1)

MINIMUM_AGE_YEARS = 18
MAX_APPLICANTS_PER_FAMILY_CARD = 2

# programme: selection, decree, training, incentives (amounts in rupiah)
SELECTION = Rule("programme.selection-priority-then-lottery", 1)
FIRST_TRAINING_DEADLINE = Rule("programme.first-training-within-30-days", 1)
MONTHLY_INCENTIVE = Rule("incentive.monthly", 1)
SURVEY_INCENTIVE = Rule("incentive.survey", 1)

TRAINING_BALANCE = 1_000_000
FIRST_TRAINING_DAYS = 30
MONTHLY_INCENTIVE_AMOUNT = 600_000
INCENTIVE_MONTHS = 4
INCENTIVE_INTERVAL_DAYS = 30
SURVEY_INCENTIVE_AMOUNT = 50_000
SURVEYS = 3
MAX_SKILLS_TEST_SCORE = 100
