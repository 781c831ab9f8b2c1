"""Training platforms report purchases, completions and reviews here, by signed webhook.

No bearer token: the platform proves itself with an HMAC signature over the raw body
under the secret it shares with us (:mod:`prakerja.clients.training`). A redelivery is
answered ``duplicate`` and changes nothing; a refusal by the rules (a purchase after the
30 days, more than the balance) is a 409 the platform must not retry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Literal
from uuid import UUID

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import RawBody
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prakerja.api.auth import public
from prakerja.api.bounds import MAX_RUPIAH
from prakerja.api.problem_docs import raises
from prakerja.api.problems import ProblemError
from prakerja.api.refusals import WEBHOOK
from prakerja.api.text import Line, PathText
from prakerja.application.programme import Programme, TrainingEvent, TrainingEventType
from prakerja.clients.training import (
    DEVELOPMENT_SECRET,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)
from prakerja.domain.errors import NotFound
from prakerja.settings import Mode, Settings


class TrainingEventIn(BaseModel):
    """The signed body. Unknown fields are ignored (platforms add fields over time)."""

    model_config = ConfigDict(extra="ignore")

    event_id: Line = Field(min_length=1, max_length=200)
    type: Literal["training.purchased", "training.completed", "training.reviewed"]
    participant_id: UUID
    order_id: Line = Field(min_length=1, max_length=200)
    occurred_at: dt.datetime
    training_id: Line | None = Field(default=None, max_length=100)
    price: int | None = Field(default=None, gt=0, le=MAX_RUPIAH)
    reviewed: bool = False


class WebhookOut(BaseModel):
    event_id: str
    status: Literal["recorded", "duplicate"]


class TrainingWebhookRoutes(Controller):
    path = "/v1/training/webhooks"
    tags = ["training"]

    @post(
        "/{platform:str}",
        opt=public() | raises(WEBHOOK),
        sync_to_thread=True,
        status_code=200,
        summary="A training platform's event (signed: X-Prakerja-Timestamp, X-Prakerja-Signature)",
    )
    def receive(
        self,
        platform: PathText,
        body: RawBody,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        programme: NamedDependency[Programme],
    ) -> WebhookOut:
        secret = settings.programme.training_platforms.get(platform)
        if secret is None:
            raise NotFound("No such training platform.", code="unknown_platform")
        if settings.mode is Mode.PRODUCTION and secret.get_secret_value() == DEVELOPMENT_SECRET:
            raise ProblemError(503, "platform_not_configured", "No webhook secret is set.")
        verify(
            secret.get_secret_value().encode(),
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
            now=programme.clock(),
            tolerance=dt.timedelta(seconds=settings.programme.webhook_tolerance_s),
        )
        event = _parse(body)
        fact = TrainingEvent(
            event_id=event.event_id,
            type=TrainingEventType(event.type),
            participant_id=event.participant_id,
            order_id=event.order_id,
            occurred_at=event.occurred_at,
            training_id=event.training_id,
            price=event.price,
            reviewed=event.reviewed,
        )
        # The digest is of the content, not of the bytes: a platform may re-serialise a retry.
        canonical = json.dumps(event.model_dump(mode="json"), sort_keys=True).encode()
        status = programme.record_training_event(
            platform, fact, hashlib.sha256(canonical).hexdigest()
        )
        return WebhookOut(
            event_id=event.event_id, status="recorded" if status == "recorded" else "duplicate"
        )


def _parse(body: bytes) -> TrainingEventIn:
    try:
        event = TrainingEventIn.model_validate_json(body)
    except ValidationError as error:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in error.errors()})
        raise ProblemError(400, "invalid_event", f"Invalid event: {', '.join(fields)}") from None
    if event.occurred_at.tzinfo is None:
        raise ProblemError(400, "invalid_event", "occurred_at needs a time zone.")
    return event
