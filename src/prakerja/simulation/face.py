"""A face layer for simulation runs: the decision a selfie's marker asks for, at no cost.

Real face recognition costs 0.1-0.5 s of CPU per selfie; a simulation of 100,000
applicants would spend hours in dlib alone on two cores. This checker sits behind the
same port as the real one (:class:`prakerja.verification.runner.FaceChecker`), so the
worker still fetches the registry photo over HTTP, decrypts the stored selfie and
records the decision event; only the image analysis is replaced. Its decisions carry
the policy version ``simulated-face@1``, so no event can be mistaken for a real check.
The real layer's throughput is measured on its own (``python -m bench``).
"""

from __future__ import annotations

from prakerja.face.quality import Reason
from prakerja.simulation.selfies import GOOD, marker_of
from prakerja.simulators.person import SelfieIssue
from prakerja.verification.face import FaceCheck

POLICY_VERSION = "simulated-face@1"

REASONS = {
    SelfieIssue.BLURRY: Reason.BLURRY,
    SelfieIssue.GLASSES: Reason.GLASSES,
    SelfieIssue.EARS_NOT_VISIBLE: Reason.NOT_FRONTAL,
    SelfieIssue.HEAD_TILTED: Reason.TILTED,
    SelfieIssue.DARK: Reason.DARK,
    SelfieIssue.HAT: Reason.HAT,
}
"""The published reason of each simulated flaw, as the real quality checks name it."""


class SimulatedFaceChecker:
    """Matches a simulated selfie, or fails it for the flaw it carries."""

    def check(self, selfie: bytes, reference: bytes) -> FaceCheck:
        marker = marker_of(selfie)
        evidence: dict[str, object] = {"simulated": True, "marker": marker}
        if marker == GOOD:
            return FaceCheck("matched", (), POLICY_VERSION, {**evidence, "outcome": "matched"})
        try:
            reason = REASONS[SelfieIssue(marker or "")]
        except ValueError:
            reason = Reason.UNREADABLE_IMAGE
        finding = {"code": reason.value, "measure": "simulated", "measured": 1.0, "threshold": 0.0}
        return FaceCheck("failed", (finding,), POLICY_VERSION, {**evidence, "outcome": "failed"})
