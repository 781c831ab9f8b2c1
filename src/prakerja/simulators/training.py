"""Training-platform simulator: participants buy and finish trainings, and the platform
tells the programme through signed webhooks, as a real platform (Skill Academy, Pintaria…)
would: at least once, retried on failure, and sometimes twice.

``POST /orders`` is a participant buying a training with their balance; ``POST
/orders/{id}/completion`` is them finishing it (with or without the review);
``POST /orders/{id}/review`` a review given later. ``POST /_admin/events/{id}/redeliver``
replays an event, freshly signed, and ``GET /_admin/deliveries`` lists what was sent.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import msgspec
from litestar import Litestar, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_404_NOT_FOUND, HTTP_409_CONFLICT

from prakerja.clients.training import signed_headers
from prakerja.simulators.app import build_app
from prakerja.simulators.config import TrainingPlatformConfig
from prakerja.simulators.faults import FaultInjector
from prakerja.simulators.problems import Problem

Deliver = Callable[[str, bytes, dict[str, str]], int]
"""POST a body with headers to a URL; the HTTP status, or 0 when nothing answered."""


def deliver_over_http(url: str, body: bytes, headers: dict[str, str]) -> int:
    try:
        return httpx.post(url, content=body, headers=headers, timeout=10.0).status_code
    except httpx.HTTPError:
        return 0


class OrderRequest(msgspec.Struct, frozen=True):
    participant_id: uuid.UUID
    training_id: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    price: Annotated[int, msgspec.Meta(gt=0)]
    occurred_at: dt.datetime | None = None


class CompletionRequest(msgspec.Struct, frozen=True):
    reviewed: bool = True
    occurred_at: dt.datetime | None = None


class ReviewRequest(msgspec.Struct, frozen=True):
    occurred_at: dt.datetime | None = None


class Delivery(msgspec.Struct, frozen=True):
    event_id: str
    type: str
    status: int
    attempts: int


class OrderOut(msgspec.Struct, frozen=True):
    order_id: str
    participant_id: uuid.UUID
    training_id: str
    price: int
    status: str
    deliveries: list[Delivery]


@dataclass
class Order:
    order_id: str
    participant_id: uuid.UUID
    training_id: str
    price: int
    status: str = "purchased"
    deliveries: list[Delivery] = field(default_factory=list)

    def out(self) -> OrderOut:
        return OrderOut(
            self.order_id,
            self.participant_id,
            self.training_id,
            self.price,
            self.status,
            list(self.deliveries),
        )


class Platform:
    def __init__(
        self,
        config: TrainingPlatformConfig,
        *,
        seed: int,
        deliver: Deliver = deliver_over_http,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.config = config
        self._secret = config.webhook_secret.get_secret_value().encode()
        self._rng = random.Random(seed)  # noqa: S311 (simulation, not security)
        self._deliver = deliver
        self._clock = clock
        self.orders: dict[str, Order] = {}
        self.events: dict[str, bytes] = {}
        self.deliveries: list[Delivery] = []

    def purchase(self, request: OrderRequest) -> Order:
        order = Order(
            f"ord_{uuid.uuid4().hex[:16]}",
            request.participant_id,
            request.training_id,
            request.price,
        )
        self.orders[order.order_id] = order
        self._emit(
            order,
            "training.purchased",
            request.occurred_at,
            training_id=order.training_id,
            price=order.price,
        )
        return order

    def complete(self, order_id: str, request: CompletionRequest) -> Order:
        order = self._order(order_id)
        if order.status != "purchased":
            raise Problem(HTTP_409_CONFLICT, "already_completed", "This order is completed.")
        order.status = "completed"
        self._emit(order, "training.completed", request.occurred_at, reviewed=request.reviewed)
        return order

    def review(self, order_id: str, request: ReviewRequest) -> Order:
        order = self._order(order_id)
        if order.status != "completed":
            raise Problem(HTTP_409_CONFLICT, "not_completed", "Only a completed order is reviewed.")
        order.status = "reviewed"
        self._emit(order, "training.reviewed", request.occurred_at)
        return order

    def redeliver(self, event_id: str) -> Delivery:
        body = self.events.get(event_id)
        if body is None:
            raise Problem(HTTP_404_NOT_FOUND, "event_not_found", "No such event.")
        kind = json.loads(body)["type"]
        return self._send(event_id, kind, body)

    def _order(self, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None:
            raise Problem(HTTP_404_NOT_FOUND, "order_not_found", "No such order.")
        return order

    def _emit(self, order: Order, kind: str, occurred_at: dt.datetime | None, **extra: Any) -> None:
        event_id = f"evt_{uuid.uuid4().hex}"
        body = json.dumps(
            {
                "event_id": event_id,
                "type": kind,
                "participant_id": str(order.participant_id),
                "order_id": order.order_id,
                "occurred_at": (occurred_at or self._clock()).isoformat(),
                **extra,
            }
        ).encode()
        self.events[event_id] = body
        order.deliveries.append(self._send(event_id, kind, body))
        if self._rng.random() < self.config.duplicate_rate:
            order.deliveries.append(self._send(event_id, kind, body))

    def _send(self, event_id: str, kind: str, body: bytes) -> Delivery:
        status, attempts = 0, 0
        while attempts < self.config.delivery_attempts:
            attempts += 1
            headers = signed_headers(self._secret, int(self._clock().timestamp()), body)
            status = self._deliver(self.config.webhook_url, body, headers)
            if 0 < status < 500:
                break
            time.sleep(min(0.05 * 2**attempts, 1.0))
        delivery = Delivery(event_id, kind, status, attempts)
        self.deliveries.append(delivery)
        return delivery


@post("/orders", sync_to_thread=True, status_code=HTTP_201_CREATED)
def buy(data: JSONBody[OrderRequest], platform: NamedDependency[Platform]) -> OrderOut:
    """A participant buys a training with their Prakerja balance."""
    return platform.purchase(data).out()


@post("/orders/{order_id:str}/completion", sync_to_thread=True, status_code=HTTP_201_CREATED)
def complete(
    order_id: FromPath[str], data: JSONBody[CompletionRequest], platform: NamedDependency[Platform]
) -> OrderOut:
    return platform.complete(order_id, data).out()


@post("/orders/{order_id:str}/review", sync_to_thread=True, status_code=HTTP_201_CREATED)
def review(
    order_id: FromPath[str], data: JSONBody[ReviewRequest], platform: NamedDependency[Platform]
) -> OrderOut:
    return platform.review(order_id, data).out()


@post("/_admin/events/{event_id:str}/redeliver", sync_to_thread=True, status_code=200)
def redeliver(event_id: FromPath[str], platform: NamedDependency[Platform]) -> Delivery:
    """Send an event again (a platform's retry, or a replay)."""
    return platform.redeliver(event_id)


@get("/_admin/deliveries", sync_to_thread=False)
def deliveries(platform: NamedDependency[Platform]) -> list[Delivery]:
    return list(platform.deliveries)


def create_training_app(
    config: TrainingPlatformConfig,
    faults: FaultInjector,
    *,
    seed: int,
    deliver: Deliver = deliver_over_http,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Litestar:
    platform = Platform(config, seed=seed, deliver=deliver, clock=clock)
    return build_app(
        [buy, complete, review, redeliver, deliveries],
        faults=faults,
        dependencies={"platform": platform},
    )
