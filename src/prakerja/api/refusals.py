"""What each application call can refuse, as documented problems (the routes' ``raises``).

Each group names the domain errors one application method (or one guard of the API's
own) raises, by exception class and code, so the status is the one the error map
(:mod:`prakerja.api.problems`) gives. The routes combine them.
"""

from __future__ import annotations

from prakerja.api.problem_docs import Problem, domain
from prakerja.application.applicants import ConcurrentUpdate
from prakerja.application.review import EvidenceUnavailable, NotFlagged
from prakerja.clients.training import WebhookRejected
from prakerja.domain.errors import (
    AlreadyTaken,
    CaseClosed,
    IncorrectCode,
    InvalidCredentials,
    InvalidInput,
    InvalidNik,
    NotFound,
    TransitionNotAllowed,
    UnderMinimumAge,
)
from prakerja.domain.review import ReviewClosed, ReviewHeld, SeparationOfDuties
from prakerja.projections.preview import InvalidPolicy
from prakerja.projections.queries.paging import InvalidCursor
from prakerja.security.counters import LimitExceeded

# ------------------------------------------------------------------ applicants

APPLICANT = domain(NotFound, "applicant_not_found")
CHANGED = domain(ConcurrentUpdate)
CLOSED = domain(CaseClosed, "case_closed", "membership_revoked")
UPDATE = (*APPLICANT, *CHANGED)
"""``Applicants.update``: get the case, call it, save (a concurrent change retried)."""
OWN_COMMAND = (*UPDATE, *CLOSED)
"""A command of the applicant's own on the case (each starts by refusing a closed case)."""

REGISTER = (
    *domain(InvalidInput, "invalid_email", "weak_password", "invalid_password"),
    *domain(AlreadyTaken, "email_taken"),
    *CHANGED,
)
LOGIN = domain(InvalidCredentials, "invalid_credentials")
VERIFY_EMAIL = (
    *OWN_COMMAND,
    *domain(InvalidCredentials, "invalid_email_token"),
    *domain(TransitionNotAllowed, "email_already_verified", "stage_not_open"),
)
IDENTITY = (
    *OWN_COMMAND,
    *domain(
        InvalidNik,
        "nik_malformed",
        "nik_unknown_province",
        "nik_unknown_regency",
        "nik_unknown_district",
        "nik_bad_serial",
        "nik_impossible_date",
    ),
    *domain(InvalidInput, "invalid_kk_number", "invalid_full_name", "invalid_mother_maiden_name"),
    *domain(UnderMinimumAge),
    *domain(TransitionNotAllowed, "email_not_verified", "identity_locked"),
    *domain(AlreadyTaken, "nik_taken"),
)
SELFIE = (
    *OWN_COMMAND,
    *domain(TransitionNotAllowed, "identity_not_submitted", "face_already_decided"),
    Problem(413, "payload_too_large"),
    Problem(413, "image_too_large"),
    Problem(415, "unsupported_image"),
    Problem(415, "corrupt_image"),
)
REQUEST_OTP = (
    *OWN_COMMAND,
    *domain(InvalidInput, "invalid_phone"),
    *domain(AlreadyTaken, "phone_taken"),
    *domain(LimitExceeded, "otp_locked"),
    *domain(TransitionNotAllowed, "email_not_verified", "phone_already_verified"),
)
VERIFY_OTP = (
    *OWN_COMMAND,
    *domain(LimitExceeded, "otp_locked"),
    *domain(IncorrectCode),
    *domain(
        TransitionNotAllowed,
        "phone_already_verified",
        "otp_not_requested",
        "otp_expired",
        "otp_attempts_exhausted",
        "stage_not_open",
    ),
    *domain(AlreadyTaken, "phone_taken"),
)
STATE = (
    *APPLICANT,
    *domain(NotFound, "version_not_found"),
    Problem(400, "ambiguous_query"),
    Problem(404, "not_yet_registered"),
)

# ------------------------------------------------------------------ reviews

REVIEW = domain(NotFound, "review_not_found")
REVIEW_CHANGED = CHANGED
HELD = (*domain(ReviewClosed), *domain(ReviewHeld))
JUSTIFIED = domain(InvalidInput, "justification_required")
APPLIED = (
    *domain(NotFlagged, "review_stale"),
    *domain(
        TransitionNotAllowed,
        "invalid_override",
        "nothing_to_override",
        "justification_required",
        "family_card_full",
    ),
    *domain(AlreadyTaken, "nik_taken"),
)
"""A decision applied to the case (``ReviewDesk._apply``, after ``_still_flagged``)."""
TAKE = (*APPLICANT, *domain(NotFlagged), *HELD, *REVIEW_CHANGED)
RELEASE = (*REVIEW, *HELD, *REVIEW_CHANGED)
DECIDE = (*REVIEW, *HELD, *JUSTIFIED, *APPLIED, *REVIEW_CHANGED)
APPROVE = (*REVIEW, *domain(ReviewClosed), *domain(SeparationOfDuties), *APPLIED, *REVIEW_CHANGED)
REFUSE = (*REVIEW, *domain(ReviewClosed), *domain(SeparationOfDuties), *JUSTIFIED, *CHANGED)
PHOTO = (
    *REVIEW,
    *domain(TransitionNotAllowed, "not_a_face_review"),
    *domain(SeparationOfDuties, "need_to_know"),
    *domain(NotFound, "photo_not_found"),
)
REGISTRY_PHOTO = (*PHOTO, *domain(EvidenceUnavailable))
DISPUTE = (
    *UPDATE,
    *domain(
        TransitionNotAllowed,
        "not_disputable",
        "nothing_to_dispute",
        "already_reviewed",
        "statement_required",
    ),
)

# ------------------------------------------------------------------ programme

WAVE = domain(NotFound, "wave_not_found")
PROGRAMME_CHANGED = CHANGED
SCHEDULE = (
    *domain(
        InvalidInput,
        "invalid_wave_number",
        "naive_datetime",
        "invalid_wave_window",
        "invalid_quota",
        "invalid_province",
        "invalid_priority_rank",
        "invalid_partitions",
    ),
    *domain(AlreadyTaken, "wave_exists"),
    *domain(TransitionNotAllowed, "wave_exists"),
    *WAVE,
    *PROGRAMME_CHANGED,
)
PRIORITY = (
    *WAVE,
    *domain(InvalidInput, "batch_too_large", "unknown_group"),
    *domain(InvalidNik, "nik_malformed", "nik_unknown_province", "nik_unknown_regency"),
    *domain(InvalidNik, "nik_unknown_district", "nik_bad_serial", "nik_impossible_date"),
    *domain(TransitionNotAllowed, "wave_already_open"),
    *PROGRAMME_CHANGED,
)
OPEN = (*WAVE, *domain(TransitionNotAllowed, "wave_state", "wave_window_passed"), *CHANGED)
CLOSE = (*WAVE, *domain(TransitionNotAllowed, "wave_state", "draw_mismatch"), *CHANGED)
DECREE = (
    *WAVE,
    *domain(TransitionNotAllowed, "decree_exists", "wave_state"),
    *domain(InvalidInput, "invalid_sk_number", "invalid_sk_date"),
    *CHANGED,
)
DRAWN = (*WAVE, *domain(TransitionNotAllowed, "not_drawn"))
NAMED = (*DRAWN, *domain(TransitionNotAllowed, "no_decree"))
JOIN = (
    *domain(InvalidInput, "invalid_skills_test_score"),
    *WAVE,
    *APPLICANT,
    *CLOSED,
    *domain(
        TransitionNotAllowed,
        "nik_blacklisted",
        "not_verified",
        "wave_not_open",
        "already_in_wave",
        "already_participant",
    ),
    *CHANGED,
)
SURVEY = (*UPDATE, *domain(TransitionNotAllowed, "not_trained", "unexpected_survey"))
WEBHOOK = (
    *domain(NotFound, "unknown_platform"),
    Problem(503, "platform_not_configured"),
    *domain(WebhookRejected, "unsigned_webhook", "invalid_signature", "stale_webhook"),
    Problem(400, "invalid_event"),
    *domain(InvalidInput, "invalid_event"),
    *domain(AlreadyTaken, "event_id_reused"),
    *APPLICANT,
    *domain(
        TransitionNotAllowed,
        "membership_state",
        "duplicate_order",
        "invalid_price",
        "insufficient_balance",
        "first_training_deadline_passed",
        "unknown_order",
        "already_completed",
        "training_not_completed",
        "already_reviewed",
    ),
    *CHANGED,
)

# ------------------------------------------------------------------ reports

POSITION = (Problem(400, "position_not_in_log"),)
"""An ``?after=`` no write returned (:mod:`prakerja.api.positions`)."""
READ_MODELS = (
    Problem(503, "read_models_unavailable"),
    Problem(503, "read_model_behind"),
    *POSITION,
)
"""A read of a read model (PostgreSQL only), waiting for ``?after=`` if asked."""
PAGED = domain(InvalidCursor)
POLICY = domain(InvalidPolicy)
LEDGER = (Problem(503, "ledger_unavailable"),)
PROVIDER = (Problem(503, "service_unavailable"), Problem(502, "bad_gateway"))
"""An external service called while answering (its faults: problems.on_service_*)."""
