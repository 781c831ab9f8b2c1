"""Face checks per second: a worker process against face_recognition in a plain loop.

Three loops over the same selfie (640 x 480 JPEG) and registry photo (a 300 x 400 crop
of the same person, so every check takes the full path: quality, two encodings):

1. plain: ``face_recognition.face_encodings`` of both images and their distance, in a
   loop (the library at its defaults: HOG detection, upsample 1);
2. verifier: the project's :class:`~prakerja.face.verifier.FaceVerifier` in a loop
   (what it adds: the quality checks, detection on a resized copy);
3. worker: ``prakerja worker --face --processes 1`` taking check_face messages from the
   broker, fetching the registry photo from the civil-registry simulator over HTTP,
   decrypting the stored selfie and recording each decision as an event.

The worker's overhead is its time per image over the plain loop's.
"""

from __future__ import annotations

import io
import time
import uuid

import psycopg

from bench.common import Loaded, container_for
from bench.report import Measurement, Target
from prakerja.clients.civil_registry import FieldMatches, IdentityCheck
from prakerja.container import Container
from prakerja.domain.applicant import Applicant
from prakerja.domain.contact import EmailAddress
from prakerja.domain.decisions import Decision
from prakerja.domain.identity import Identity
from prakerja.domain.rules import EMAIL_OWNERSHIP, MINIMUM_AGE_YEARS
from prakerja.domain.stages import Step
from prakerja.settings import PasswordHashing, Settings
from prakerja.simulation.stack import Stack, StackOptions
from prakerja.simulators.population import Population
from prakerja.verification.policies import decide_identity
from prakerja.verification.runner import StepRunner
from prakerja.workers.actors import declare_actors
from prakerja.workers.broker import build_broker

_DECIDED = (
    "%Applicant.FaceMatched",
    "%Applicant.FaceMatchFailed",
    "%Applicant.FaceReviewRequested",
)
_POPULATION = 1_000


def measure(loaded: Loaded, images: int) -> list[Measurement]:
    try:
        selfie, reference = _photos()
    except ImportError as error:
        reason = f"sample photos need the test extras (matplotlib, scikit-image): {error}"
        return [_skipped(reason)]
    plain = _plain_loop(selfie, reference, images)
    verifier = _verifier_loop(selfie, reference, images)
    worker = _worker(loaded, selfie, reference, images)
    overhead = plain / worker - 1 if worker else None
    plumbing = verifier / worker - 1 if worker else None
    return [
        Measurement(
            id="face.worker",
            title="Face checks, one worker process (full step: fetch, decrypt, verify, record)",
            unit="images/s",
            value=round(worker, 2),
            baseline_title="face_recognition in a plain loop (encode both, distance)",
            baseline=round(plain, 2),
            size=None,
            target=Target(
                "worker overhead ≤ 5% over the same checks in a plain loop", "value_max", 5.0
            ),
            details={
                "images": images,
                "plain_images_per_s": round(plain, 2),
                "verifier_images_per_s": round(verifier, 2),
                "worker_images_per_s": round(worker, 2),
                "worker_overhead_percent": None if overhead is None else round(100 * overhead, 1),
                "plumbing_overhead_percent": (
                    None if plumbing is None else round(100 * plumbing, 1)
                ),
                "selfie": "640x480 JPEG, astronaut (scikit-image sample), matched path",
            },
            note=(
                f"the project's verifier (quality checks, detection on a resized copy) in a"
                f" plain loop does {verifier:.2f} images/s; the target judges the worker's"
                f" time per image over that loop's, in % (its plumbing: queue, HTTP fetch of"
                f" the registry photo, decryption, the decision event):"
                f" {100 * (plumbing or 0.0):+.1f}%; over the face_recognition loop:"
                f" {100 * (overhead or 0.0):+.1f}%"
            ),
            target_value=None if plumbing is None else 100 * plumbing,
        ),
    ]


def _skipped(reason: str) -> Measurement:
    from bench.report import skipped

    return skipped("face.worker", "Face checks per worker process", None, reason)


def _photos() -> tuple[bytes, bytes]:
    from prakerja.face.measure import registry_photo, sample_photos, selfie_at

    astronaut = sample_photos()["astronaut"]
    return selfie_at(astronaut, (640, 480)), registry_photo(astronaut)


def _plain_loop(selfie: bytes, reference: bytes, images: int) -> float:
    import face_recognition
    import numpy as np
    from PIL import Image

    def encodings(data: bytes) -> list[object]:
        pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        return list(face_recognition.face_encodings(pixels))

    encodings(selfie)  # models loaded before the clock starts
    started = time.perf_counter()
    for _ in range(images):
        mine, theirs = encodings(selfie), encodings(reference)
        face_recognition.face_distance([theirs[0]], mine[0])
    return images / (time.perf_counter() - started)


def _verifier_loop(selfie: bytes, reference: bytes, images: int) -> float:
    from prakerja.face.verifier import FaceVerifier

    verifier = FaceVerifier()
    verifier.verify(selfie, reference)
    started = time.perf_counter()
    for _ in range(images):
        verifier.verify(selfie, reference)
    return images / (time.perf_counter() - started)


def _worker(loaded: Loaded, selfie: bytes, reference: bytes, images: int) -> float:
    photos_dir = loaded.work_dir / "face" / "registry"
    photos_dir.mkdir(parents=True, exist_ok=True)
    (photos_dir / "registry.jpg").write_bytes(reference)
    options = StackOptions(
        population=_POPULATION,
        face="dlib",
        face_processes=1,
        photos_dir=photos_dir,
        read_models=False,
        password_hashing=PasswordHashing(),
    )
    container = container_for(loaded, pool=4)
    try:
        ids = _pending_face_checks(container, selfie, images + 1)
        with Stack(
            loaded.database,
            loaded.work_dir / "face",
            options,
            parts={"simulators", "face"},
            keys=loaded.keys,
        ) as stack:
            broker = build_broker(stack.broker_url)
            actors = declare_actors(broker, _no_runner, Settings().verification)
            conninfo = loaded.database.address.conninfo
            actors[Step.CHECK_FACE].send(str(ids[0]))  # warm-up: the worker loads its models
            _wait_for(conninfo, ids[:1], stack)
            started = time.perf_counter()
            for applicant_id in ids[1:]:
                actors[Step.CHECK_FACE].send(str(applicant_id))
            _wait_for(conninfo, ids[1:], stack)
            return images / (time.perf_counter() - started)
    finally:
        container.close()


def _no_runner() -> StepRunner:
    raise RuntimeError("this process only sends messages")


def _pending_face_checks(container: Container, selfie: bytes, count: int) -> list[uuid.UUID]:
    """Applicants whose identity passed at the registry and whose selfie waits for a check."""
    applicants = container.applicants
    people = Population(2020, _POPULATION)
    everyone = (people.person(index) for index in range(_POPULATION))
    adults = [p for p in everyone if p.age_on(people.as_of) >= MINIMUM_AGE_YEARS]
    ids = []
    for number in range(count):
        person = adults[number % len(adults)]
        email = EmailAddress.parse(f"face-{uuid.uuid4().hex[:10]}@example.com")
        applicant = Applicant(email.value, "unused-hash", "id")
        applicant.record_email_sent(1, "m")
        applicant.verify_email(1, Decision(True, (EMAIL_OWNERSHIP,), {"method": "link-token"}))
        identity = Identity(
            person.nik,
            person.kk_number,
            person.full_name,
            person.birth_date,
            person.mother_maiden_name,
        )
        applicant.submit_identity(identity, True, today=people.as_of)
        check = IdentityCheck(True, FieldMatches(True, True, True, True), 30, person.photo_ref)
        applicant.record_identity_check(1, decide_identity(check), person.photo_ref)
        stored = container.photos.put(applicant.id, selfie, "image/jpeg")
        applicant.upload_selfie(stored.ref, stored.sha256, "image/jpeg", 640, 480)
        applicants.save(applicant)
        ids.append(applicant.id)
    return ids


def _wait_for(conninfo: str, ids: list[uuid.UUID], stack: Stack, timeout_s: float = 900) -> None:
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(DISTINCT originator_id) FROM prakerja_events"
                " WHERE originator_id = ANY(%s) AND topic LIKE ANY(%s)",
                (ids, list(_DECIDED)),
            ).fetchone()
            if row is not None and row[0] >= len(ids):
                return
            stack.check_alive()
            time.sleep(0.05)
    raise TimeoutError(f"face checks not done; see {stack.logs / 'face.log'}")
