"""An external service that does not answer is a 503 problem to retry, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from prakerja.api.app import create_app
from prakerja.bootstrap import bootstrap
from prakerja.clients.errors import ServiceContractError
from prakerja.container import Container
from prakerja.settings import ServiceUrls, Settings
from tests.api.documented import DocumentedClient
from tests.api.test_registration_api import assert_problem
from tests.helpers import staff_headers

NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused


@pytest.fixture
def offline(settings: Settings) -> Iterator[TestClient[Any]]:
    services = ServiceUrls(payments=NOWHERE, connect_timeout_s=0.2, retry_attempts=0)
    container = bootstrap(settings.model_copy(update={"services": services}), in_memory=True)
    with DocumentedClient(app=create_app(container), raise_server_exceptions=False) as client:
        yield client
    container.close()


def test_the_reconciliation_without_a_payment_provider_is_a_503_problem(
    offline: TestClient[Any],
) -> None:
    response = offline.get("/v1/finance/reconciliation", headers=staff_headers(offline, "sari"))
    body = assert_problem(response, 503, "service_unavailable")
    assert int(response.headers["retry-after"]) >= 1
    assert body["service"] == "payments"


class _Garbled:
    """A payment provider whose statement breaks the contract."""

    def statement(self) -> Any:
        raise ServiceContractError("payments", "statement", "HTTP 418", status=418)

    def pay(self, order: Any) -> Any:
        raise NotImplementedError

    def find(self, idempotency_key: str) -> Any:
        raise NotImplementedError


def test_a_service_that_breaks_its_contract_is_a_502_problem(
    container: Container, client: TestClient[Any]
) -> None:
    container.payment_provider = _Garbled()
    response = client.get("/v1/finance/reconciliation", headers=staff_headers(client, "sari"))
    body = assert_problem(response, 502, "bad_gateway")
    assert body["service"] == "payments" and "retry-after" not in response.headers
