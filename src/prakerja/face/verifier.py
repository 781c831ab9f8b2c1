"""The face check of layer 3: selfie quality first, then a match with the registry photo.

A bad selfie is the applicant's to fix, so it gives a failed verdict listing every
reason at once (never an exception), and the applicant re-uploads only the selfie.
A bad registry photo is not the applicant's fault: it raises
:class:`~prakerja.face.errors.ReferencePhotoUnusable` for the caller to retry or flag.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prakerja.face.alignment import align_face
from prakerja.face.detection import SECOND_FACE_RETRY, detect_faces, find_landmarks, to_pixels
from prakerja.face.errors import ImageRejected
from prakerja.face.images import decode_image
from prakerja.face.matching import (
    FacePolicy,
    Outcome,
    encode_face,
    encode_reference,
    face_distance,
)
from prakerja.face.measures import measure_face
from prakerja.face.models import load_models
from prakerja.face.quality import (
    QualityFinding,
    Reason,
    assess_face,
    choose_applicant,
)
from prakerja.face.timing import Stopwatch


@dataclass(frozen=True)
class FaceVerdict:
    """The decision and everything an auditor needs to see how it was reached."""

    outcome: Outcome
    distance: float | None
    findings: tuple[QualityFinding, ...]
    policy_version: str
    thresholds: dict[str, float]
    timings_ms: dict[str, float]
    measures: dict[str, float] = field(default_factory=dict)
    """Quality measures of the applicant's face, empty if no face was found."""

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """The distinct reason codes, in the order found (one advice each)."""
        return tuple(dict.fromkeys(finding.code for finding in self.findings))

    def to_evidence(self) -> dict[str, object]:
        """A JSON-serialisable record for the event that stores this verdict."""
        return {
            "outcome": str(self.outcome),
            "distance": None if self.distance is None else round(self.distance, 4),
            "reasons": [str(code) for code in self.reasons],
            "findings": [finding.as_dict() for finding in self.findings],
            "policy_version": self.policy_version,
            "thresholds": dict(self.thresholds),
            "measures": dict(self.measures),
            "timings_ms": {stage: round(ms, 1) for stage, ms in self.timings_ms.items()},
        }


class FaceVerifier:
    """Checks a selfie (the applicant holding their KTP) against the registry photo."""

    def __init__(self, policy: FacePolicy | None = None) -> None:
        self.policy = policy or FacePolicy()

    @staticmethod
    def preload() -> None:
        """Load the face models now (about 1 s), e.g. in a worker before it forks, so
        the first verdict's timings don't include it and forked processes share them."""
        load_models()

    def verify(self, selfie: bytes, reference: bytes) -> FaceVerdict:
        """Judge the selfie's quality, then match it with the reference photo.

        The reference is only decoded once the selfie passes. Raises
        :class:`~prakerja.face.errors.ReferencePhotoUnusable` when it cannot be used;
        nothing else escapes for bad input.
        """
        policy, watch = self.policy, Stopwatch()

        def verdict(
            outcome: Outcome,
            findings: tuple[QualityFinding, ...],
            distance: float | None = None,
            measures: dict[str, float] | None = None,
        ) -> FaceVerdict:
            return FaceVerdict(
                outcome=outcome,
                distance=distance,
                findings=findings,
                policy_version=policy.version,
                thresholds=policy.thresholds(),
                timings_ms=watch.result(),
                measures=measures or {},
            )

        with watch.stage("decode"):
            try:
                image = decode_image(selfie, policy.max_pixels, policy.working_max_side)
            except ImageRejected as exc:
                unreadable = QualityFinding(Reason.UNREADABLE_IMAGE, exc.code, 0.0, 1.0)
                return verdict(Outcome.FAILED, (unreadable,))
        with watch.stage("detect"):
            faces = detect_faces(
                image,
                max_side=policy.detect_max_side,
                upsample=policy.selfie_upsample,
                retry_below=SECOND_FACE_RETRY,
            )
        applicant, findings = choose_applicant(faces, policy.quality)
        if applicant is None:
            return verdict(Outcome.FAILED, findings)

        pixels = to_pixels(image)
        with watch.stage("landmarks"):
            landmarks = find_landmarks(pixels, applicant)
        with watch.stage("quality"):
            measured = measure_face(align_face(image, landmarks))
            findings += assess_face(measured, policy.quality)
        if findings:
            return verdict(Outcome.FAILED, findings, measures=measured.as_dict())

        with watch.stage("encode"):
            selfie_encoding = encode_face(pixels, applicant, policy.num_jitters)
        reference_encoding = encode_reference(reference, policy, watch)
        distance = face_distance(selfie_encoding, reference_encoding)
        outcome, reason, threshold = policy.decide(distance)
        band = () if reason is None else (QualityFinding(reason, "distance", distance, threshold),)
        return verdict(outcome, band, distance, measured.as_dict())
