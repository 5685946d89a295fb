"""The VNPay adapter: its checksum against VNPay's documented algorithm, its payment URL, IPNs end to end (Y1, Y2, Y5).

Expected hashes are written out: computed once with ``openssl dgst -sha512 -hmac <secret>`` over the text to
sign, written by hand from the documentation, never by this adapter.
"""

from __future__ import annotations

import datetime as dt
import json
import string
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.errors import ValidationError
from subscription_core.money import Money
from subscription_core.orders import OrderState
from subscription_core.payments import PaymentMethod, PaymentState
from subscription_core.ports import PaymentRequest
from subscription_core.unapplied import UnappliedMoney, UnappliedReason
from subscription_core_adapters.gateways import (
    IpnAnswer,
    IpnCode,
    ReturnOutcome,
    VnpayConfig,
    VnpayProvider,
    answer_ipn,
    query_fields,
)
from subscription_core_adapters.gateways.vnpay import hash_data, read_txn_ref, txn_ref_for
from subscription_core_adapters.local import ManualClock

from .conftest import CARD, SECRET, T0, TMN_CODE, Shop, reference_hash, signed, url_params

# VNPay's documented payment URL (PAY API 2.1.0, "Tạo URL Thanh toán"): its parameters and its query.
DOC_PARAMS = {
    "vnp_Amount": "1806000",
    "vnp_Command": "pay",
    "vnp_CreateDate": "20210801153333",
    "vnp_CurrCode": "VND",
    "vnp_IpAddr": "127.0.0.1",
    "vnp_Locale": "vn",
    "vnp_OrderInfo": "Thanh toan don hang :5",
    "vnp_OrderType": "other",
    "vnp_ReturnUrl": "https://domainmerchant.vn/ReturnUrl",
    "vnp_TmnCode": "DEMOV210",
    "vnp_TxnRef": "5",
    "vnp_Version": "2.1.0",
}
DOC_QUERY = (
    "vnp_Amount=1806000&vnp_Command=pay&vnp_CreateDate=20210801153333&vnp_CurrCode=VND&vnp_IpAddr=127.0.0.1"
    "&vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+don+hang+%3A5&vnp_OrderType=other"
    "&vnp_ReturnUrl=https%3A%2F%2Fdomainmerchant.vn%2FReturnUrl&vnp_TmnCode=DEMOV210&vnp_TxnRef=5&vnp_Version=2.1.0"
)
# openssl dgst -sha512 -hmac VNPAYTESTSECRETNOTREAL0123456789 over DOC_QUERY
DOC_HASH = (
    "f520afe835cb407ec9dc36950973768566f4abee39a1d6342db4777cc4107008"
    "958b677f54b0c13ece91b6f0619a898b27d246f91ffee0ee584d4baba6c3b8f3"
)
# Vietnamese, reserved characters and the two VNPay's samples disagree on (quote_plus keeps '~', escapes '*').
UNICODE_PARAMS = {
    "vnp_TxnRef": "ordZ2D0001ZZpayZ2D0001",
    "vnp_OrderInfo": "Thanh toán đơn hàng #5 & 6/7 ~*",
    "vnp_ResponseCode": "00",
    "vnp_Amount": "55000000",
    "vnp_SecureHashType": "HmacSHA512",  # never signed
    "utm_source": "mail",  # not a vnp_ parameter: never signed
}
UNICODE_TEXT = (
    "vnp_Amount=55000000&vnp_OrderInfo=Thanh+to%C3%A1n+%C4%91%C6%A1n+h%C3%A0ng+%235+%26+6%2F7+~%2A"
    "&vnp_ResponseCode=00&vnp_TxnRef=ordZ2D0001ZZpayZ2D0001"
)
UNICODE_HASH = (
    "e49ea7c14621795c83f8cd536d2a30a2b5d5df015d1c809af29bc2d7dc4f2ae0"
    "7d21801e200d925431e53efeda472606a09f0c73f3584c7cb84dba84ce12f8b6"
)


def provider(**overrides: object) -> VnpayProvider:
    settings: dict[str, object] = {
        "tmn_code": TMN_CODE,
        "hash_secret": SECRET,
        "return_url": "https://shop.example/vnpay/return",
    }
    settings.update(overrides)
    return VnpayProvider(VnpayConfig(**settings), clock=ManualClock(T0))  # type: ignore[arg-type]


def request(method: PaymentMethod = CARD, **overrides: str) -> PaymentRequest:
    fields = {
        "payment_id": "pay-0001",
        "order_id": "ord-0001",
        "amount": "6600000",
        "currency": "VND",
        "description": "MISA AMIS Kế toán, 1 năm (Đặc biệt ~*)",
        "return_url": "",
    }
    fields.update(overrides)
    return PaymentRequest(
        method=method,
        payment_id=fields["payment_id"],
        order_id=fields["order_id"],
        amount=fields["amount"],
        currency=fields["currency"],
        description=fields["description"],
        return_url=fields["return_url"],
    )


def ipn_fields(**overrides: str) -> dict[str, str]:
    fields = {
        "vnp_Amount": "660000000",
        "vnp_BankCode": "NCB",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": "Order ord-0001",
        "vnp_PayDate": "20261123091000",
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": TMN_CODE,
        "vnp_TransactionNo": "14226112",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": txn_ref_for("ord-0001", "pay-0001"),
    }
    fields.update(overrides)
    return fields


def refusal(payload: dict[str, str]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        provider().parse_notification(payload, received_at=T0)
    return caught.value


# --- The checksum, against VNPay's documentation ---------------------------------------------------------


def test_y5_the_text_to_sign_is_the_query_of_vnpays_documented_url() -> None:
    assert hash_data(DOC_PARAMS) == DOC_QUERY
    assert reference_hash(SECRET, DOC_PARAMS) == DOC_HASH


def test_y5_the_checksum_is_the_hmac_sha512_computed_independently() -> None:
    assert provider().sign(DOC_PARAMS) == DOC_HASH
    assert hash_data(UNICODE_PARAMS) == UNICODE_TEXT
    assert provider().sign(UNICODE_PARAMS) == UNICODE_HASH
    assert provider(hash_secret=SECRET.encode()).sign(UNICODE_PARAMS) == UNICODE_HASH  # bytes or text


_VALUES = st.text(max_size=30)
_NAMES = st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=12).map(lambda s: f"vnp_x{s}")


@given(extra=st.dictionaries(_NAMES, _VALUES, max_size=6), order_info=_VALUES, data=st.data())
def test_y5_any_signed_ipn_verifies_and_any_changed_character_is_refused(
    extra: dict[str, str], order_info: str, data: st.DataObject
) -> None:
    fields = {**extra, **ipn_fields(vnp_OrderInfo=order_info)}
    payload = signed(fields)
    assert provider().sign(payload) == payload["vnp_SecureHash"]
    assert provider().parse_notification(payload, received_at=T0).order_id == "ord-0001"
    name = data.draw(st.sampled_from(sorted(n for n, v in fields.items() if v)))
    value = fields[name]
    at = data.draw(st.integers(0, len(value) - 1))
    other = data.draw(st.characters(codec="utf-8").filter(lambda c: c != value[at]))
    changed = {**payload, name: value[:at] + other + value[at + 1 :]}
    assert refusal(changed).field == "signature"


def test_y5_parameters_vnpay_does_not_sign_are_ignored() -> None:
    payload = signed(ipn_fields())
    with_extras = {**payload, "vnp_SecureHashType": "HmacSHA512", "shop_session": "abc"}
    read = provider().parse_notification(with_extras, received_at=T0)
    assert dict(read.fields) == ipn_fields()


def test_y5_the_checksum_is_read_in_either_case() -> None:
    payload = signed(ipn_fields())
    upper = {**payload, "vnp_SecureHash": payload["vnp_SecureHash"].upper()}
    assert provider().parse_notification(upper, received_at=T0).succeeded


# --- vnp_TxnRef ---------------------------------------------------------------------------------------------


@given(order_id=st.text(min_size=1, max_size=4), payment_id=st.text(min_size=1, max_size=4))  # 4 × 12 each: fits
def test_y1_a_txn_ref_is_letters_and_digits_and_gives_back_both_ids(order_id: str, payment_id: str) -> None:
    ref = txn_ref_for(order_id, payment_id)
    assert ref.isascii()
    assert ref.isalnum()
    assert read_txn_ref(ref) == (order_id, payment_id)


def test_y1_txn_refs_of_readable_ids_stay_readable() -> None:
    assert txn_ref_for("ord-0001", "pay-0001") == "ordZ2D0001ZZpayZ2D0001"
    assert txn_ref_for("ZZ-Đơn", "p") == "Z5AZ5AZ2DZC4Z90ZC6ZA1nZZp"
    assert read_txn_ref("Z5AZ5AZ2DZC4Z90ZC6ZA1nZZp") == ("ZZ-Đơn", "p")


@pytest.mark.parametrize(
    "ref", ["", "ord", "ordZZ", "ZZpay", "ordZ2d0001ZZpay", "orZ64ZZpay", "ord-1ZZpay", "ordZZpayZZx", "ordZFFZZp"]
)
def test_y5_a_txn_ref_this_adapter_did_not_make_is_refused(ref: str) -> None:
    with pytest.raises(ValidationError) as caught:
        read_txn_ref(ref)
    assert (caught.value.rule, caught.value.field) == ("Y5", "vnp_TxnRef")


def test_y1_ids_too_long_for_a_txn_ref_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        provider().start(request(order_id="ord-" + "x" * 60, payment_id="pay-" + "y" * 40))
    assert caught.value.rule == "Y1"


# --- The payment URL ----------------------------------------------------------------------------------------


def test_y2_the_payment_url_carries_vnpays_parameters_and_verifies() -> None:
    started = provider().start(request())
    assert started.redirect_url is not None
    assert started.redirect_url.startswith("https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?")
    params = url_params(started.redirect_url)
    assert params == {
        "vnp_Version": "2.1.0",
        "vnp_Command": "pay",
        "vnp_TmnCode": TMN_CODE,
        "vnp_Amount": "660000000",
        "vnp_CurrCode": "VND",
        "vnp_BankCode": "NCB",
        "vnp_TxnRef": "ordZ2D0001ZZpayZ2D0001",
        "vnp_OrderInfo": "MISA AMIS Ke toan, 1 nam Dac biet",
        "vnp_OrderType": "other",
        "vnp_Locale": "vn",
        "vnp_ReturnUrl": "https://shop.example/vnpay/return",
        "vnp_IpAddr": "127.0.0.1",
        "vnp_CreateDate": "20261123090000",  # T0 in GMT+7
        "vnp_ExpireDate": "20261123091500",
        "vnp_SecureHash": reference_hash(SECRET, params),
    }
    query = started.redirect_url.split("?", 1)[1]
    assert query == f"{hash_data(params)}&vnp_SecureHash={params['vnp_SecureHash']}"
    assert started.provider_ref == "ordZ2D0001ZZpayZ2D0001"


def test_y2_an_international_card_and_a_requests_own_return_url() -> None:
    chosen = request(PaymentMethod.international_card(), return_url="https://other.example/back?x=1")
    started = provider(locale="en", order_type="billpayment").start(chosen)
    assert started.redirect_url is not None
    params = url_params(started.redirect_url)
    assert (params["vnp_BankCode"], params["vnp_ReturnUrl"]) == ("INTCARD", "https://other.example/back?x=1")
    assert (params["vnp_Locale"], params["vnp_OrderType"]) == ("en", "billpayment")


def test_y1_a_return_url_of_255_characters_is_signed_in_whole() -> None:
    # VNPay's parameter table gives vnp_ReturnUrl as Alphanumeric[10,255]: the longest it takes is sent as is.
    longest = "https://shop.example/" + "x" * 235
    assert len(longest) == 255 + 1
    taken = longest[:-1]
    started = provider().start(request(return_url=taken))
    assert started.redirect_url is not None
    assert url_params(started.redirect_url)["vnp_ReturnUrl"] == taken
    with pytest.raises(ValidationError) as caught:
        provider().start(request(return_url=longest))
    assert "at most 255" in caught.value.message
    assert longest not in str(caught.value)


@pytest.mark.parametrize(
    ("payment", "field"),
    [
        (request(PaymentMethod.e_wallet("MOMO")), "method"),
        (request(PaymentMethod.bank_transfer()), "method"),
        (request(PaymentMethod.cash()), "method"),
        (request(PaymentMethod.domestic_card("VIET_BANK")), "bank"),
        (request(currency="USD"), "currency"),
        (request(amount="6600000.50"), "amount"),
        (request(amount="0"), "amount"),
        (request(amount="10000000000"), "amount"),
        (request(amount="lots"), "amount"),
        (request(return_url="ftp://shop.example/"), "return_url"),
        (request(return_url="https://shop.example/~me/return"), "return_url"),
        (request(return_url="https://shop.example/return?" + "x" * 100_000), "return_url"),  # issue 14: 100 KB
        (request(return_url="https://shop.example/" + "x" * 235), "return_url"),  # 256 characters
    ],
)
def test_y1_what_vnpay_cannot_take_is_refused_before_any_redirect(payment: PaymentRequest, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        provider().start(payment)
    assert (caught.value.rule, caught.value.field) == ("Y1", field)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("tmn_code", "SHORT"),
        ("hash_secret", ""),
        ("hash_secret", 42),
        ("return_url", "shop.example/return"),
        ("return_url", "https://shop.example/" + "x" * 235),
        ("payment_url", "http://sandbox.vnpayment.vn/paymentv2/vpcpay.html"),
        ("payment_url", "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?x=1"),
        ("locale", "vi"),
        ("time_zone", "GMT+7"),
        ("order_type", "other goods"),
        ("ip_address", "localhost"),
        ("expire_after", dt.timedelta(0)),
    ],
)
def test_y1_a_bad_setting_is_refused(setting: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        provider(**{setting: value})
    assert caught.value.field == setting


def test_y5_the_secret_never_shows() -> None:
    vnpay = provider()
    errors = [refusal({**signed(ipn_fields()), "vnp_Amount": "1"}), refusal({}), refusal(ipn_fields())]
    with pytest.raises(ValidationError) as caught:
        provider(hash_secret=b"")
    shown = [repr(vnpay), str(vnpay), repr(vnpay._config), str(caught.value)]
    shown += [text for e in errors for text in (str(e), repr(e), repr(e.args))]
    assert all(SECRET not in text and SECRET.encode().hex() not in text for text in shown)
    assert "hash_secret=<hidden>" in repr(vnpay._config)


# --- Reading a callback -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "status", "paid"),
    [("00", "00", True), ("00", "01", False), ("24", "02", False), ("51", "02", False), ("07", "07", False)],
)
def test_y2_paid_only_when_both_codes_say_so(response: str, status: str, paid: bool) -> None:
    payload = signed(ipn_fields(vnp_ResponseCode=response, vnp_TransactionStatus=status))
    read = provider().parse_notification(payload, received_at=T0)
    assert (read.succeeded, read.amount, read.currency, read.order_id) == (paid, Decimal(6600000), "VND", "ord-0001")


def test_y5_event_ids_tell_repeats_from_new_events() -> None:
    def event(**fields: str) -> str:
        return provider().parse_notification(signed(ipn_fields(**fields)), received_at=T0).event_id

    failed = {"vnp_ResponseCode": "24", "vnp_TransactionStatus": "02", "vnp_TransactionNo": "0"}
    assert event() == event() == "ordZ2D0001ZZpayZ2D0001:14226112:00:00"
    assert event(**failed) != event()  # a failure and a success of one attempt are two events
    again = txn_ref_for("ord-0001", "pay-0002")
    assert event(**failed) != event(**failed, vnp_TxnRef=again)  # two attempts without a transaction number
    no_number = {k: v for k, v in ipn_fields().items() if k != "vnp_TransactionNo"}
    read = provider().parse_notification(signed(no_number), received_at=T0)
    assert read.event_id == event(vnp_TransactionNo="0")  # no transaction number reads as VNPay's "0"


@pytest.mark.parametrize("amount", ["66000000O", "-660000000", "660000050", "6.6e8", "", "٦٦٠٠٠٠٠٠٠"])
def test_y5_a_signed_amount_that_is_not_the_vnd_amount_times_100_is_malformed(amount: str) -> None:
    error = refusal(signed(ipn_fields(vnp_Amount=amount)))
    assert (error.rule, error.field) == ("Y5", "vnp_Amount")


@pytest.mark.parametrize(
    "missing", ["vnp_TmnCode", "vnp_TxnRef", "vnp_Amount", "vnp_ResponseCode", "vnp_TransactionStatus"]
)
def test_y5_a_signed_ipn_missing_a_field_is_malformed(missing: str) -> None:
    fields = {k: v for k, v in ipn_fields().items() if k != missing}
    assert refusal(signed(fields)).field == missing


def test_y5_another_terminals_ipn_is_refused() -> None:
    assert refusal(signed(ipn_fields(vnp_TmnCode="OTHERTMN"))).field == "vnp_TmnCode"


def test_y5_a_query_with_a_parameter_twice_is_refused() -> None:
    assert query_fields("vnp_Amount=1&vnp_Blank=&x=a+b%26") == {"vnp_Amount": "1", "vnp_Blank": "", "x": "a b&"}
    with pytest.raises(ValidationError) as caught:
        query_fields("vnp_Amount=100&vnp_Amount=200")
    assert caught.value.rule == "Y5"


# --- IPNs end to end, on the in-memory services -------------------------------------------------------------


def test_y5_the_same_ipn_ten_times_pays_once_answering_00_then_02(shop: Shop) -> None:
    order = shop.place()
    started = shop.start(order)
    assert started.redirect_url is not None
    params = url_params(started.redirect_url)
    assert params["vnp_SecureHash"] == reference_hash(SECRET, params)  # VNPay would accept the URL
    ipn = shop.ipn(started)
    answers = [shop.deliver(dict(ipn)).rsp_code for _ in range(10)]
    assert answers == ["00"] + ["02"] * 9
    assert shop.order(order.id).state is OrderState.FULFILLED
    assert [p.state for p in shop.payments(order.id)] == [PaymentState.SUCCEEDED]


@pytest.fixture
def eager_switching() -> Iterator[None]:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


@pytest.mark.usefixtures("eager_switching")
def test_y5_the_same_ipn_from_racing_threads_pays_once(shop: Shop) -> None:
    order = shop.place()
    ipn = shop.ipn(shop.start(order))
    barrier = threading.Barrier(8)
    answers: list[str] = []

    def deliver() -> None:
        barrier.wait()
        answers.append(shop.deliver(ipn).rsp_code)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.count("00") == 1
    assert set(answers) <= {"00", "02", "99"}  # 99: lost every retry of a race; VNPay calls again
    assert shop.deliver(ipn).rsp_code == "02"
    assert [p.state for p in shop.payments(order.id)] == [PaymentState.SUCCEEDED]


def test_y5_a_tampered_ipn_is_answered_97_and_changes_nothing(shop: Shop) -> None:
    order = shop.place()
    ipn = shop.ipn(shop.start(order))
    before = shop.snapshot()
    for name, value in ipn.items():
        if name != "vnp_SecureHash":
            assert shop.deliver({**ipn, name: value[:-1] + ("1" if value[-1:] != "1" else "2")}).rsp_code == "97"
    unsigned = {k: v for k, v in ipn.items() if k != "vnp_SecureHash"}
    assert shop.deliver(unsigned).rsp_code == "97"
    assert shop.deliver({**ipn, "vnp_Amount": "100"}).rsp_code == "97"
    assert shop.snapshot() == before
    assert shop.deliver(ipn).rsp_code == "00"


def only_unapplied(shop: Shop, before: dict[str, dict[Any, Any]]) -> list[UnappliedMoney]:
    """The unapplied records an IPN added, checking it changed nothing else but its processed event."""
    after = shop.snapshot()
    for table in ("customers", "subscriptions", "orders", "payments", "invoices", "outbox"):
        assert after[table] == before[table], table
    return [after["unapplied"][k] for k in sorted(set(after["unapplied"]) - set(before["unapplied"]))]


def test_y6_a_signed_ipn_for_another_amount_is_kept_unapplied_and_answered_00_then_02(shop: Shop) -> None:
    order = shop.place()
    ipn = shop.ipn(shop.start(order))
    before = shop.snapshot()
    other = signed({**ipn, "vnp_Amount": "100000"})
    assert shop.deliver(other).rsp_code == "00"  # recorded: VNPay stops calling (its retry ends on 00 or 02)
    assert shop.deliver(other).rsp_code == "02"
    (kept,) = only_unapplied(shop, before)
    assert (kept.reason, kept.amount, kept.order_id) == (
        UnappliedReason.AMOUNT_DIFFERS,
        Money.of(1000, "VND"),
        order.id,
    )


def test_y6_a_signed_ipn_paying_an_unknown_order_is_kept_unapplied(shop: Shop) -> None:
    order = shop.place()
    ipn = shop.ipn(shop.start(order))
    before = shop.snapshot()
    assert shop.deliver(signed({**ipn, "vnp_TxnRef": txn_ref_for("ord-9999", "pay-0001")})).rsp_code == "00"
    assert shop.deliver(signed({**ipn, "vnp_TxnRef": "notoursatall"})).rsp_code == "00"
    kept = only_unapplied(shop, before)
    assert sorted((m.reason.value, m.order_id) for m in kept) == [
        ("unknown_order", "notoursatall"),
        ("unknown_order", "ord-9999"),
    ]


def test_y5_a_failed_ipn_for_an_unknown_order_is_answered_01_and_records_nothing(shop: Shop) -> None:
    order = shop.place()
    ipn = shop.ipn(shop.start(order))
    before = shop.snapshot()
    declined = {**ipn, "vnp_ResponseCode": "24", "vnp_TransactionStatus": "02"}
    assert shop.deliver(signed({**declined, "vnp_TxnRef": txn_ref_for("ord-9999", "pay-0001")})).rsp_code == "01"
    assert shop.snapshot() == before


def test_y5_a_malformed_or_misrouted_ipn_is_answered_99(shop: Shop) -> None:
    order = shop.place()
    ipn = shop.ipn(shop.start(order))
    assert shop.deliver(signed({**ipn, "vnp_Amount": "12345"})).rsp_code == "99"
    assert shop.deliver([("vnp_Amount", "1")]).rsp_code == "99"  # type: ignore[arg-type]
    assert shop.deliver(signed({**ipn, "vnp_TmnCode": "OTHERTMN"})).rsp_code == "99"
    assert answer_ipn(shop.deps, ipn, provider="momo").rsp_code == "99"
    assert shop.order(order.id).state is OrderState.PLACED


def test_y5_a_cancelled_attempt_is_confirmed_00_then_a_new_attempt_pays(shop: Shop) -> None:
    order = shop.place()
    first = shop.start(order)
    assert shop.deliver(shop.ipn(first, response="24", status="02")).rsp_code == "00"
    assert shop.order(order.id).state is OrderState.PLACED
    assert [p.state for p in shop.payments(order.id)] == [PaymentState.FAILED]
    second = shop.start(order)
    assert second.provider_ref != first.provider_ref  # VNPay refuses a TxnRef used the same day
    assert shop.deliver(shop.ipn(second)).rsp_code == "00"
    assert shop.order(order.id).state is OrderState.FULFILLED
    assert [p.state for p in shop.payments(order.id)] == [PaymentState.FAILED, PaymentState.SUCCEEDED]


def test_y5_a_failure_delivered_after_the_success_of_its_attempt_changes_nothing(shop: Shop) -> None:
    order = shop.place()
    started = shop.start(order)
    success, failure = shop.ipn(started), shop.ipn(started, response="24", status="02")
    assert shop.deliver(success).rsp_code == "00"
    before = shop.snapshot()["payments"]
    assert shop.deliver(failure).rsp_code == "02"
    assert shop.snapshot()["payments"] == before
    assert shop.order(order.id).state is OrderState.FULFILLED


def test_y5_a_success_delivered_after_a_failure_of_its_attempt_pays(shop: Shop) -> None:
    order = shop.place()
    started = shop.start(order)
    assert shop.deliver(shop.ipn(started, response="11", status="02")).rsp_code == "00"
    assert shop.deliver(shop.ipn(started)).rsp_code == "00"
    assert shop.order(order.id).state is OrderState.FULFILLED
    assert [p.state for p in shop.payments(order.id)] == [PaymentState.FAILED, PaymentState.SUCCEEDED]


def test_y2_response_code_00_without_transaction_status_00_does_not_pay(shop: Shop) -> None:
    order = shop.place()
    started = shop.start(order)
    assert shop.deliver(shop.ipn(started, response="00", status="01", number="14226113")).rsp_code == "00"
    assert shop.order(order.id).state is OrderState.PLACED
    assert all(p.state is not PaymentState.SUCCEEDED for p in shop.payments(order.id))


def test_y6_a_second_paid_attempt_for_a_paid_order_is_kept_unapplied_for_staff(shop: Shop) -> None:
    order = shop.place()
    first, second = shop.start(order), shop.start(order)
    assert shop.deliver(shop.ipn(second)).rsp_code == "00"
    before = shop.snapshot()
    again = shop.ipn(first)
    assert shop.deliver(again).rsp_code == "00"  # paid twice: the money is recorded, not applied
    assert shop.deliver(again).rsp_code == "02"
    (kept,) = only_unapplied(shop, before)
    assert (kept.reason, kept.amount) == (UnappliedReason.ALREADY_PAID, order.grand_total)


def test_y2_the_return_page_reads_the_result_and_changes_nothing(shop: Shop) -> None:
    order = shop.place()
    started = shop.start(order)
    before = shop.snapshot()
    paid = shop.vnpay.read_return(shop.ipn(started))
    cancelled = shop.vnpay.read_return(shop.ipn(started, response="24", status="02"))
    forged = shop.vnpay.read_return({**shop.ipn(started), "vnp_Amount": "100"})
    assert (paid.outcome, paid.order_id, paid.amount, paid.response_code) == (
        ReturnOutcome.SUCCEEDED,
        order.id,
        Decimal(6_600_000),
        "00",
    )
    assert (cancelled.outcome, cancelled.message) == (ReturnOutcome.FAILED, "Khách hàng hủy giao dịch")
    assert (forged.outcome, forged.order_id) == (ReturnOutcome.INVALID, None)
    assert shop.vnpay.read_return({}).outcome is ReturnOutcome.INVALID
    assert shop.snapshot() == before
    assert shop.order(order.id).state is OrderState.PLACED


def test_y5_the_ipn_answer_is_vnpays_json() -> None:
    answers = {code: json.loads(IpnAnswer(code=code).as_json()) for code in IpnCode}
    assert answers[IpnCode.CONFIRMED] == {"RspCode": "00", "Message": "Confirm Success"}
    assert answers[IpnCode.INVALID_SIGNATURE] == {"RspCode": "97", "Message": "Invalid signature"}
    assert sorted(a["RspCode"] for a in answers.values()) == ["00", "01", "02", "04", "97", "99"]


def test_y5_a_parameter_name_vnpay_never_signs_fails_the_checksum() -> None:
    payload = signed(ipn_fields())
    assert refusal({**payload, "vnp_Odd&Name": "1"}).field == "signature"
    with pytest.raises(ValidationError):
        hash_data({"vnp_Odd=Name": "1"})
