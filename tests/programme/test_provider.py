"""The payment-provider client against its simulator, and the webhook signature scheme."""

from __future__ import annotations

import datetime as dt

import pytest

from prakerja.clients.errors import ServiceContractError, TransientServiceFault
from prakerja.clients.payments import HttpPaymentProvider, PaymentOrder, PaymentStatus
from prakerja.clients.training import WebhookRejected, sign, verify
from prakerja.simulators.config import PaymentBehaviour
from tests.programme.conftest import ProviderAdmin


def order(key: str, amount: int = 600_000, destination: str = "+6281200000001") -> PaymentOrder:
    return PaymentOrder(key, amount, destination, f"ref {key}")


def test_one_payment_per_key_whatever_the_retries(
    provider: HttpPaymentProvider, provider_admin: ProviderAdmin
) -> None:
    assert provider.find("k-1") is None
    first = provider.pay(order("k-1"))
    again = provider.pay(order("k-1"))
    assert first == again
    assert first.status is PaymentStatus.PAID
    assert provider.find("k-1") == first
    with pytest.raises(ServiceContractError) as reused:
        provider.pay(order("k-1", amount=50_000))
    assert reused.value.code == "idempotency_key_reused"
    [made] = provider_admin.payments()
    assert made["requests"] == 2


def test_a_late_confirmation_and_a_lost_answer(
    provider: HttpPaymentProvider, provider_admin: ProviderAdmin
) -> None:
    provider_admin.misbehave(PaymentBehaviour(confirm_after_s=60))
    assert provider.pay(order("k-2")).status is PaymentStatus.PROCESSING
    assert provider_admin.settle() == 1
    found = provider.find("k-2")
    assert found is not None
    assert found.status is PaymentStatus.PAID
    provider_admin.misbehave(PaymentBehaviour(lost_answer_rate=1.0, lost_answer_hang_s=0.5))
    # The first answer is lost after paying; the client's retry gets the payment made.
    answered = provider.pay(order("k-3"))
    assert answered.status is PaymentStatus.PAID
    assert [p["idempotency_key"] for p in provider_admin.payments()].count("k-3") == 1


def test_the_statement_lists_settled_payments_over_pages(provider: HttpPaymentProvider) -> None:
    for number in range(23):
        provider.pay(order(f"s-{number}", amount=50_000))
    provider.statement_page = 5
    lines = provider.statement()
    assert len(lines) == 23
    assert sum(line.amount for line in lines) == 23 * 50_000
    assert len({line.idempotency_key for line in lines}) == 23


def test_an_unreachable_provider_is_a_transient_fault() -> None:
    from prakerja.clients.config import ClientConfig

    config = ClientConfig(base_url="http://127.0.0.1:9", retry_attempts=0, connect_timeout_s=0.2)
    with HttpPaymentProvider(config) as unreachable, pytest.raises(TransientServiceFault):
        unreachable.pay(order("k-9"))


def test_signatures_check_secret_body_and_time() -> None:
    now = dt.datetime(2020, 4, 11, tzinfo=dt.UTC)
    stamp = int(now.timestamp())
    good = sign(b"s", stamp, b"{}")
    rotated = f"{sign(b'old', stamp, b'{}')}, {good}"
    window = dt.timedelta(minutes=5)
    verify(b"s", str(stamp), good, b"{}", now=now, tolerance=window)
    verify(b"s", str(stamp), rotated, b"{}", now=now, tolerance=window)
    for timestamp, signature, body, code in [
        (str(stamp), good, b"{ }", "invalid_signature"),
        (str(stamp), sign(b"t", stamp, b"{}"), b"{}", "invalid_signature"),
        ("soon", good, b"{}", "invalid_signature"),
        (str(stamp - 301), sign(b"s", stamp - 301, b"{}"), b"{}", "stale_webhook"),
        (None, good, b"{}", "unsigned_webhook"),
        (str(stamp), good[:-1] + "é", b"{}", "invalid_signature"),
        (str(stamp), f"v1=ü, {good[:-1]}0", b"{}", "invalid_signature"),
        ("9" * 20, good, b"{}", "stale_webhook"),  # past any date a datetime holds
        ("9" * 5_000, good, b"{}", "stale_webhook"),  # past what int() parses
        ("0", good, b"{}", "stale_webhook"),
        ("".join(chr(0x0660 + int(d)) for d in str(stamp)), good, b"{}", "invalid_signature"),
        (f"+{stamp}", good, b"{}", "invalid_signature"),
        (f"-{stamp}", good, b"{}", "invalid_signature"),
        (f"{stamp // 1000}_{stamp % 1000:03d}", good, b"{}", "invalid_signature"),
        (f"{stamp}.0", good, b"{}", "invalid_signature"),
    ]:
        with pytest.raises(WebhookRejected) as refused:
            verify(b"s", timestamp, signature, body, now=now, tolerance=window)
        assert refused.value.code == code
