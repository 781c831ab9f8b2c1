"""The face layer as the verification pipeline sees it: a check, and its decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prakerja.domain.decisions import Decision, Reason
from prakerja.domain.rules import Rule


@dataclass(frozen=True)
class FaceCheck:
    """The outcome of comparing a selfie with the registry photo, with its evidence."""

    outcome: str  # "matched" | "review" | "failed"
    findings: tuple[dict[str, Any], ...]
    policy_version: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def missing_selfie(cls) -> FaceCheck:
        return cls(
            "failed",
            ({"code": "unreadable_image", "measure": "stored_selfie"},),
            "storage",
            {"selfie": "deleted after its retention period"},
        )

    @classmethod
    def reference_unavailable(cls, detail: str) -> FaceCheck:
        """The registry has no usable photo: a reviewer decides, the applicant is not at fault."""
        return cls(
            "review",
            ({"code": "reference_unusable", "measure": "registry_photo"},),
            "registry",
            {"reference": detail[:200]},
        )


def face_decision(check: FaceCheck) -> tuple[Decision, bool]:
    """The decision to record, and whether it goes to a reviewer instead."""
    reasons = tuple(
        Reason(str(f["code"]), f.get("measured"), f.get("threshold")) for f in check.findings
    )
    rule = Rule("face.match", check.policy_version)
    decision = Decision(check.outcome == "matched", (rule,), check.evidence, reasons)
    return decision, check.outcome == "review"


class FaceRecognitionChecker:
    """Adapts :class:`prakerja.face.FaceVerifier`; models load once per process, lazily."""

    def __init__(self, policy: Any) -> None:
        from prakerja.face.verifier import FaceVerifier

        self._verifier = FaceVerifier(policy)

    def check(self, selfie: bytes, reference: bytes) -> FaceCheck:
        from prakerja.face.errors import ReferencePhotoUnusable

        try:
            verdict = self._verifier.verify(selfie, reference)
        except ReferencePhotoUnusable as error:
            # The registry's photo is unusable: a person must look, the applicant is not at fault.
            return FaceCheck(
                "review",
                ({"code": "reference_unusable", "measure": error.reason},),
                self._verifier.policy.version,
                {"reference": error.reason},
            )
        findings = tuple(finding.as_dict() for finding in verdict.findings)
        return FaceCheck(
            str(verdict.outcome), findings, verdict.policy_version, verdict.to_evidence()
        )
