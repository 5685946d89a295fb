"""VNPay's merchant API client against a local VNPay (vnpay_api_server) with real sockets and signatures (Y6, Y8).

Expected checksums are literals computed once with ``printf '%s' <text> | openssl dgst -sha512 -hmac <secret>``
over texts written by hand from VNPay's documented field orders, never by the adapter.
"""

from __future__ import annotations

import datetime as dt
import doctest
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subscription_core.errors import ValidationError
from subscription_core.money import Money
from subscription_core.ports import IdGenerator
from subscription_core_adapters.gateways import (
    Outcome,
    QueryResult,
    RefundKind,
    RefundResult,
    TransactionKind,
    TransactionStatus,
    VnpayApiClient,
    VnpayApiConfig,
    VnpayConfig,
    read_event_id,
)
from subscription_core_adapters.gateways.vnpay_api_wire import (
    QUERY_REQUEST_FIELDS,
    QUERY_RESPONSE_FIELDS,
    REFUND_REQUEST_FIELDS,
    pipe_checksum,
)
from subscription_core_adapters.local import ManualClock, RandomIds, SequentialIds

from .vnpay_api_server import FakeVnpay, Running, hmac512, start

ROOT = Path(__file__).resolve().parents[3]
SECRET = "VNPAYTESTSECRETNOTREAL0123456789"  # noqa: S105 - a test key
TMN = "TESTTMN1"
REF = "ordZ2D0001ZZpayZ2D0001"  # txn_ref_for("ord-0001", "pay-0001")
PAID_AT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # the payment URL's vnp_CreateDate: 09:00 GMT+7
PAID_ON = "20261123090000"
NOW = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)  # 10:00 GMT+7
PAID = Money.of(6_000_000, "VND")
TIMEOUT = dt.timedelta(seconds=1)  # generous: the machine may be busy; late answers come after 3 s
WRONG_SECRET = "NOTTHETERMINALSSECRET"  # noqa: S105 - a test key

# VNPay's refund checksum text for the first refund of the tests below, and its HMAC (openssl).
REFUND_TEXT = (
    "vnp0001|2.1.0|refund|TESTTMN1|02|ordZ2D0001ZZpayZ2D0001|600000000|14226112|20261123090000|staff-7"
    "|20261201100000|127.0.0.1|Hoan tien ordZ2D0001ZZpayZ2D0001"
)
REFUND_HASH = (
    "f5c46a03635ef0d7fa1e4aa0df9c1eea564a86e3d68a298a46bd8d393a3ef0c7"
    "01619a6280bcde9bf19bfcb950008040649b012470e22c6e4a6ccb0a60e11b00"
)
QUERY_TEXT = (
    "vnp0001|2.1.0|querydr|TESTTMN1|ordZ2D0001ZZpayZ2D0001|20261123090000|20261201100000|127.0.0.1"
    "|Truy van giao dich ordZ2D0001ZZpayZ2D0001"
)
QUERY_HASH = (
    "d224dde85774db3ff01705850fed6d93fb00a7f9a2e4cf106fde4210fa890924"
    "37abb7b466fca67f28d5006c96e3cfb4364eb7beaab347078ea9aec127e826f8"
)
# A querydr answer (promotion code and amount empty) and its HMAC (openssl).
QUERY_ANSWER = {
    "vnp_ResponseId": "resp0001",
    "vnp_Command": "querydr",
    "vnp_ResponseCode": "00",
    "vnp_Message": "QueryDR Success",
    "vnp_TmnCode": "TESTTMN1",
    "vnp_TxnRef": REF,
    "vnp_Amount": "600000000",
    "vnp_BankCode": "NCB",
    "vnp_PayDate": "20261123091000",
    "vnp_TransactionNo": "14226112",
    "vnp_TransactionType": "01",
    "vnp_TransactionStatus": "00",
    "vnp_OrderInfo": "Thanh toan don hang ord-0001",
}
QUERY_ANSWER_HASH = (
    "d607fe07723fcab3ac0262b4ffdf35f356a647c4502df0a5627d3e4c3796c581"
    "82f56692a96653bbb921085698e45b9aeeb0e6a0d7a74f3959cd3e0d8d99f758"
)


@pytest.fixture
def vnpay() -> Iterator[FakeVnpay]:
    running: Running = start(FakeVnpay(secret=SECRET, tmn_code=TMN))
    try:
        yield running.vnpay
    finally:
        running.stop()


def client_for(vnpay: FakeVnpay, *, secret: str = SECRET, ids: IdGenerator | None = None) -> VnpayApiClient:
    config = VnpayApiConfig(tmn_code=TMN, hash_secret=secret, api_url=vnpay.url, timeout=TIMEOUT)
    return VnpayApiClient(config, clock=ManualClock(NOW), request_ids=ids or SequentialIds())


def refund(
    client: VnpayApiClient, amount: int = 6_000_000, *, ref: str = REF, number: str = "14226112"
) -> RefundResult:
    return client.refund(
        txn_ref=ref,
        transaction_no=number,
        transaction_date=PAID_AT,
        amount=Money.of(amount, "VND"),
        paid=PAID,
        created_by="staff-7",
    )


def query(client: VnpayApiClient, ref: str = REF) -> QueryResult:
    return client.query(txn_ref=ref, transaction_date=PAID_AT)


# --- the checksums, against VNPay's documented orders ---


def test_the_documented_field_orders_give_the_openssl_hashes() -> None:
    assert hmac512(SECRET, REFUND_TEXT) == REFUND_HASH
    refund_fields = dict(zip(REFUND_REQUEST_FIELDS, REFUND_TEXT.split("|"), strict=True))
    assert pipe_checksum(SECRET.encode(), refund_fields, REFUND_REQUEST_FIELDS) == REFUND_HASH
    query_fields = dict(zip(QUERY_REQUEST_FIELDS, QUERY_TEXT.split("|"), strict=True))
    assert pipe_checksum(SECRET.encode(), query_fields, QUERY_REQUEST_FIELDS) == QUERY_HASH
    # missing promotion fields count as empty: the text ends "|ord-0001||"
    assert pipe_checksum(SECRET.encode(), QUERY_ANSWER, QUERY_RESPONSE_FIELDS) == QUERY_ANSWER_HASH


def test_the_client_sends_the_documented_request_and_hash(vnpay: FakeVnpay) -> None:
    vnpay.pay(REF, PAID_ON, 6_000_000)
    result = refund(client_for(vnpay))
    assert result.outcome is Outcome.SUCCEEDED
    sent = vnpay.received[0]
    assert sent == {
        "vnp_RequestId": "vnp0001",
        "vnp_Version": "2.1.0",
        "vnp_Command": "refund",
        "vnp_TmnCode": TMN,
        "vnp_TransactionType": "02",
        "vnp_TxnRef": REF,
        "vnp_Amount": "600000000",
        "vnp_OrderInfo": f"Hoan tien {REF}",
        "vnp_TransactionNo": "14226112",
        "vnp_TransactionDate": PAID_ON,
        "vnp_CreateBy": "staff-7",
        "vnp_CreateDate": "20261201100000",
        "vnp_IpAddr": "127.0.0.1",
        "vnp_SecureHash": REFUND_HASH,
    }
    query(client_for(vnpay))
    assert vnpay.received[1]["vnp_SecureHash"] == QUERY_HASH


# --- refunds ---


def test_y8_a_full_refund_succeeds(vnpay: FakeVnpay) -> None:
    vnpay.pay(REF, PAID_ON, 6_000_000)
    result = refund(client_for(vnpay))
    assert (result.outcome, result.code, result.kind) == (Outcome.SUCCEEDED, "00", RefundKind.FULL)
    assert result.message.startswith("VNPay 00: ")
    assert result.response_id == "resp0001"
    assert result.transaction_no.isdigit()
    assert result.amount == PAID
    assert vnpay.transactions[REF, PAID_ON].refunded_x100 == 600_000_000


def test_y8_a_partial_refund_is_type_03_and_the_query_shows_it(vnpay: FakeVnpay) -> None:
    vnpay.pay(REF, PAID_ON, 6_000_000)
    client = client_for(vnpay)
    result = refund(client, 2_500_000)
    assert (result.outcome, result.kind, result.amount) == (
        Outcome.SUCCEEDED,
        RefundKind.PARTIAL,
        Money.of(2_500_000, "VND"),
    )
    assert vnpay.received[0]["vnp_TransactionType"] == "03"
    assert vnpay.received[0]["vnp_Amount"] == "250000000"
    found = query(client)
    assert found.transaction is not None
    assert found.transaction.kind is TransactionKind.PARTIAL_REFUND
    assert found.transaction.status is TransactionStatus.REFUND_PROCESSING
    assert found.refunded
    assert not found.paid


def test_y8_a_duplicate_refund_request_is_unknown_and_the_query_settles_it(vnpay: FakeVnpay) -> None:
    vnpay.pay(REF, PAID_ON, 6_000_000)
    client = client_for(vnpay)
    assert refund(client).outcome is Outcome.SUCCEEDED
    again = refund(client)
    assert (again.outcome, again.code) == (Outcome.UNKNOWN, "94")
    assert again.message.startswith("VNPay 94: ")
    assert again.request_id != vnpay.received[0]["vnp_RequestId"]  # a new request id each call
    assert query(client).refunded


@pytest.mark.parametrize(
    ("setup", "code"),
    [("failed", "95"), ("unknown", "91"), ("too_much", "93")],
)
def test_y8_a_refused_refund_names_vnpays_code(vnpay: FakeVnpay, setup: str, code: str) -> None:
    if setup == "failed":
        vnpay.pay(REF, PAID_ON, 6_000_000, status="02")
    elif setup == "too_much":
        vnpay.pay(REF, PAID_ON, 1_000_000)
    result = refund(client_for(vnpay))
    assert (result.outcome, result.code) == (Outcome.REFUSED, code)
    assert result.message.startswith(f"VNPay {code}: ")
    assert result.transaction_no == ""


def test_y6_a_refund_answered_too_late_is_unknown_and_the_query_says_refunded(vnpay: FakeVnpay) -> None:
    vnpay.pay(REF, PAID_ON, 6_000_000)
    vnpay.misbehave.append("late")
    client = client_for(vnpay)
    result = refund(client)
    assert (result.outcome, result.code) == (Outcome.UNKNOWN, "")
    assert result.message == "no answer within 1 s"  # the client gave up at its timeout
    settled = query(client)
    assert settled.outcome is Outcome.SUCCEEDED
    assert settled.refunded


def test_y6_a_refund_lost_before_vnpay_did_it_is_unknown_and_the_query_says_paid(vnpay: FakeVnpay) -> None:
    vnpay.pay(REF, PAID_ON, 6_000_000)
    vnpay.misbehave.append("hang")
    client = client_for(vnpay)
    assert refund(client).outcome is Outcome.UNKNOWN
    settled = query(client)
    assert settled.paid  # VNPay never refunded it: asking again is safe
    assert settled.transaction is not None
    assert settled.transaction.amount == PAID
    assert refund(client).outcome is Outcome.SUCCEEDED


# --- queries ---


@pytest.mark.parametrize(("status", "paid"), [("00", True), ("02", False)])
def test_querydr_of_a_paid_and_a_failed_payment(vnpay: FakeVnpay, status: str, paid: bool) -> None:
    vnpay.pay(REF, PAID_ON, 6_000_000, status=status, promotion=("VNPAYKM", "5000000"))  # both signed, in order
    result = query(client_for(vnpay))
    assert (result.outcome, result.code, result.paid, result.refunded) == (Outcome.SUCCEEDED, "00", paid, False)
    assert result.transaction is not None
    assert result.transaction.kind is TransactionKind.PAYMENT
    assert result.transaction.status is TransactionStatus(status)
    assert result.transaction.amount == PAID


def test_querydr_of_a_transaction_vnpay_does_not_have_is_refused_not_found(vnpay: FakeVnpay) -> None:
    vnpay.pay(REF, "20261123085959", 6_000_000)  # another date: VNPay looks up TxnRef and date
    result = query(client_for(vnpay))
    assert (result.outcome, result.code, result.not_found) == (Outcome.REFUSED, "91", True)
    assert result.transaction is None
    assert result.message.startswith("VNPay 91: ")


# --- answers that cannot be trusted ---


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("tampered", "the answer's vnp_SecureHash does not verify"),
        ("other_secret", "the answer's vnp_SecureHash does not verify"),
        ("unsigned", "the answer carries no vnp_SecureHash"),
        ("http500", "VNPay answered HTTP 500"),
        ("not_json", "the answer is not JSON"),
    ],
)
def test_an_answer_that_cannot_be_trusted_is_unknown(vnpay: FakeVnpay, mode: str, message: str) -> None:
    vnpay.pay(REF, PAID_ON, 6_000_000)
    client = client_for(vnpay)
    vnpay.misbehave.extend([mode, mode])
    refunded, queried = refund(client), query(client)
    assert (refunded.outcome, refunded.code, refunded.message) == (Outcome.UNKNOWN, "", message)
    assert (queried.outcome, queried.transaction, queried.message) == (Outcome.UNKNOWN, None, message)


@pytest.mark.parametrize("mode", ["numeric", "extras"])
def test_an_answer_with_numbers_or_unsigned_fields_is_read(vnpay: FakeVnpay, mode: str) -> None:
    vnpay.pay(REF, PAID_ON, 6_000_000)
    client = client_for(vnpay)
    vnpay.misbehave.extend([mode, mode])
    assert refund(client, 1_000_000).outcome is Outcome.SUCCEEDED
    assert query(client).refunded


def test_a_wrong_secret_is_never_read_as_refused_or_succeeded(vnpay: FakeVnpay) -> None:
    vnpay.pay(REF, PAID_ON, 6_000_000)
    result = refund(client_for(vnpay, secret=WRONG_SECRET))
    # VNPay answers 97, signed with the terminal's real secret: this client cannot verify it
    assert (result.outcome, result.code) == (Outcome.UNKNOWN, "")
    assert vnpay.transactions[REF, PAID_ON].refunded_x100 == 0


def test_no_server_is_unknown() -> None:
    running = start(FakeVnpay(secret=SECRET, tmn_code=TMN))
    running.stop()  # the port is closed now
    result = query(client_for(running.vnpay))
    assert result.outcome is Outcome.UNKNOWN
    assert result.message == "the connection failed (ConnectionRefusedError)"


# --- the secret stays secret ---


def test_the_secret_is_never_in_a_repr_an_error_a_result_or_a_log(
    vnpay: FakeVnpay, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = VnpayApiConfig(tmn_code=TMN, hash_secret=SECRET, api_url=vnpay.url, timeout=TIMEOUT)
    client = VnpayApiClient(config, clock=ManualClock(NOW))
    texts = [repr(config), repr(client), str(config)]
    for bad in ({"tmn_code": "short"}, {"api_url": "http://vnpay.example/x"}, {"timeout": dt.timedelta(0)}):
        with pytest.raises(ValidationError) as caught:
            VnpayApiConfig(**{"tmn_code": TMN, "hash_secret": SECRET, "api_url": vnpay.url} | bad)
        texts.append(str(caught.value))
    vnpay.misbehave.extend(["tampered", "late"])
    texts += [repr(refund(client)), repr(refund(client)), repr(query(client))]
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(body) for body in vnpay.received]
    assert caplog.records
    assert all(SECRET not in text for text in texts)
    assert "<hidden>" in repr(config)
    assert "<hidden>" in repr(client)


# --- inputs refused before anything is sent ---


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": Money.of(6_000_001, "VND")}, "amount"),
        ({"amount": Money.of(10, "USD")}, "amount"),
        ({"amount": Money.of(0, "VND")}, "amount"),
        ({"txn_ref": "ord-0001"}, "txn_ref"),
        ({"transaction_no": "0x1"}, "transaction_no"),
        ({"created_by": "staff|7"}, "created_by"),
        ({"transaction_date": dt.datetime(2026, 11, 23, 9, 0)}, "transaction_date"),  # noqa: DTZ001 - naive on purpose
    ],
)
def test_y8_bad_refund_inputs_are_refused_before_sending(
    vnpay: FakeVnpay, change: dict[str, object], field: str
) -> None:
    arguments = {
        "txn_ref": REF,
        "transaction_no": "14226112",
        "transaction_date": PAID_AT,
        "amount": PAID,
        "paid": PAID,
        "created_by": "staff-7",
    } | change
    with pytest.raises(ValidationError) as caught:
        client_for(vnpay).refund(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert vnpay.received == []


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reason=st.text(max_size=400), amount=st.integers(min_value=1, max_value=6_000_000))
def test_y8_any_reason_and_amount_make_a_request_vnpay_verifies(vnpay: FakeVnpay, reason: str, amount: int) -> None:
    vnpay.pay(REF, PAID_ON, 6_000_000)  # a fresh payment each example
    vnpay.received.clear()
    result = client_for(vnpay, ids=RandomIds()).refund(
        txn_ref=REF,
        transaction_no="14226112",
        transaction_date=PAID_AT,
        amount=Money.of(amount, "VND"),
        paid=PAID,
        created_by="staff-7",
        reason=reason,
    )
    assert result.outcome is Outcome.SUCCEEDED  # VNPay's side found the checksum right (else 97)
    info = vnpay.received[0]["vnp_OrderInfo"]
    assert info.isascii()
    assert "|" not in info
    assert 0 < len(info) <= 255
    assert len(result.request_id) == 32  # RandomIds' ids are too long: 32 hex digits of their SHA-256


# --- configuration and references ---


def test_read_event_id_gives_the_txn_ref_and_the_transaction_number() -> None:
    assert read_event_id(f"{REF}:14226112:00:00") == (REF, "14226112")
    for bad in (f"{REF}:0:24:02", f"{REF}:14226112:00", f"{REF}:1:00:00:00", "a-b:1:00:00", REF, "", 12):
        with pytest.raises(ValidationError):
            read_event_id(bad)  # type: ignore[arg-type]


def test_the_api_config_of_a_terminal_takes_its_code_secret_and_address() -> None:
    terminal = VnpayConfig(
        tmn_code=TMN, hash_secret=SECRET, return_url="https://shop.example/vnpay/return", ip_address="203.0.113.10"
    )
    config = VnpayApiConfig.of_terminal(terminal)
    assert (config.tmn_code, config.hash_secret, config.ip_address) == (TMN, SECRET.encode(), "203.0.113.10")
    assert config.api_url == "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"
    with pytest.raises(ValidationError):
        VnpayApiConfig.of_terminal(config)  # type: ignore[arg-type]


def test_y8_the_docs_refunds_and_queries_run_as_written(vnpay: FakeVnpay) -> None:
    vnpay.pay(REF, PAID_ON, 6_000_000)  # the payment the page refunds
    vnpay.pay("ordZ2D0002ZZpayZ2D0002", PAID_ON, 6_000_000)  # the one its gateway example refunds
    page = ROOT / "docs" / "adapters" / "vnpay.md"
    failures, tried = doctest.testfile(
        str(page),
        module_relative=False,
        globs={"api_url": vnpay.url},
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert tried > 0
    assert failures == 0
