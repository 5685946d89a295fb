"""What the fakes of external systems promise beyond their ports' contracts (Y1, Y3, Y5, N2, I1, I2)."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit

import pytest

from subscription_core.errors import ConflictError, SubscriptionError, ValidationError
from subscription_core.payments import MethodKind, PaymentMethod
from subscription_core.ports import PaymentRequest
from subscription_core_adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer, RecordingNotifier
from subscription_core_adapters.local import ManualClock

from .builders import T0, at, invoice_request, message, order, promotion

KEY = b"k" * 32
ORDER = order("ord-1", pay_by=at(3))


def request(method: PaymentMethod) -> PaymentRequest:
    return PaymentRequest(
        payment_id="pay-1", order_id="ord-1", amount="550000", currency="VND", method=method, description="AMIS"
    )


def test_y5_the_fake_signs_sorted_fields_with_hmac_sha256() -> None:
    payload = FakePaymentProvider("vnpay", KEY).notify(ORDER, event_id="evt-1")
    fields = {k: v for k, v in payload.items() if k != "signature"}
    text = "&".join(f"{k}={v}" for k, v in sorted(fields.items()))
    assert payload["signature"] == hmac.new(KEY, text.encode(), hashlib.sha256).hexdigest()
    assert fields == {
        "provider": "vnpay",
        "event_id": "evt-1",
        "order_id": "ord-1",
        "amount": "550000",
        "currency": "VND",
        "status": "succeeded",
    }


def test_y5_a_field_added_after_signing_is_refused() -> None:
    provider = FakePaymentProvider("vnpay", KEY)
    payload = {**provider.notify(ORDER, event_id="evt-1"), "note": "extra"}
    with pytest.raises(ValidationError, match="signature"):
        provider.parse_notification(payload, received_at=T0)


def test_y5_another_providers_notification_is_refused_even_signed_with_the_same_key() -> None:
    payload = FakePaymentProvider("momo", KEY).notify(ORDER, event_id="evt-1")
    with pytest.raises(ValidationError) as caught:
        FakePaymentProvider("vnpay", KEY).parse_notification(payload, received_at=T0)
    assert caught.value.field == "provider"


def test_y5_a_key_shorter_than_32_bytes_is_refused_without_showing_it() -> None:
    with pytest.raises(ValidationError) as caught:
        FakePaymentProvider("vnpay", b"short-secret")
    assert "short-secret" not in str(caught.value)
    assert "short-secret" not in repr(caught.value)
    assert "k" * 32 not in repr(FakePaymentProvider("vnpay", KEY))


def test_y1_a_method_the_provider_does_not_take_is_refused() -> None:
    provider = FakePaymentProvider("nganluong", KEY, methods=[MethodKind.E_WALLET])
    with pytest.raises(ValidationError) as caught:
        provider.start(request(PaymentMethod.bank_transfer()))
    assert caught.value.rule == "Y1"
    assert provider.started == ()


def test_y2_the_redirect_carries_the_payment_and_a_signature() -> None:
    provider = FakePaymentProvider("vnpay", KEY)
    started = provider.start(request(PaymentMethod.domestic_card("VCB")))
    assert started.redirect_url is not None
    url = urlsplit(started.redirect_url)
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    signature = query.pop("signature")
    text = "&".join(f"{k}={v}" for k, v in sorted(query.items()))
    assert signature == hmac.new(KEY, text.encode(), hashlib.sha256).hexdigest()
    assert (query["payment_id"], query["order_id"], query["amount"]) == ("pay-1", "ord-1", "550000")
    assert started.provider_ref == "vnpay-pay-1"
    assert provider.started == (request(PaymentMethod.domestic_card("VCB")),)


def test_y3_transfer_instructions_name_the_account_amount_content_and_qr() -> None:
    provider = FakePaymentProvider("bank", KEY, bank="BIDV", account="1234567890", account_name="CONG TY MISA")
    started = provider.start(request(PaymentMethod.cash()))
    assert dict(started.instructions) == {
        "bank": "BIDV",
        "account": "1234567890",
        "account_name": "CONG TY MISA",
        "amount": "550000",
        "currency": "VND",
        "transfer_content": "ord-1",
        "qr": "BIDV|1234567890|550000|VND|ord-1",
    }


@pytest.mark.parametrize("amount", ["", "abc", "-1", "NaN", "Infinity"])
def test_y5_a_malformed_amount_is_refused_even_when_signed(amount: str) -> None:
    provider = FakePaymentProvider("vnpay", KEY)
    payload = provider.notify(ORDER, event_id="evt-1")
    fields = {k: v for k, v in payload.items() if k != "signature"} | {"amount": amount}
    text = "&".join(f"{k}={v}" for k, v in sorted(fields.items()))
    signed = {**fields, "signature": hmac.new(KEY, text.encode(), hashlib.sha256).hexdigest()}
    with pytest.raises(ValidationError) as caught:
        provider.parse_notification(signed, received_at=T0)
    assert (caught.value.rule, caught.value.field) == ("Y5", "amount")


def test_n2_recording_notifier_fails_as_often_as_told_and_counts_attempts() -> None:
    notifier = RecordingNotifier()
    notifier.fail_next(2)
    for _ in range(2):
        with pytest.raises(SubscriptionError) as caught:
            notifier.send(message("msg-1"))
        assert caught.value.rule == "N2"
    notifier.send(message("msg-1"))
    assert [m.id for m in notifier.sent] == ["msg-1"]
    assert notifier.attempts == 3
    with pytest.raises(ValidationError):
        notifier.fail_next(-1)


def test_i2_memory_issuer_emails_each_invoice_once_to_the_buyer() -> None:
    issuer = MemoryInvoiceIssuer(series="1C27TAB")
    first = issuer.issue(invoice_request("ord-1"))
    issuer.issue(invoice_request("ord-1"))
    second = issuer.issue(invoice_request("ord-2"))
    assert (first.series, first.number, second.number) == ("1C27TAB", "00000001", "00000002")
    assert issuer.emailed == (("00000001", "ketoan@example.vn"), ("00000002", "ketoan@example.vn"))
    assert issuer.issued == (first, second)


def test_i1_memory_issuer_dates_invoices_by_its_clock_or_the_request() -> None:
    request = invoice_request("ord-1")
    assert MemoryInvoiceIssuer().issue(request).issued_at == request.requested_at
    assert MemoryInvoiceIssuer(clock=ManualClock(at(2))).issue(request).issued_at == at(2)


def test_i1_memory_issuer_refuses_the_same_order_part_with_another_total() -> None:
    issuer = MemoryInvoiceIssuer()
    issued = issuer.issue(invoice_request("ord-1"))
    discounted = invoice_request("ord-1", promotions=(promotion("SALE10"),))
    assert discounted.key == issued.key
    with pytest.raises(ConflictError) as caught:
        issuer.issue(discounted)
    assert caught.value.rule == "I1"
    assert issuer.issued == (issued,)
