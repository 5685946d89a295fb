"""NgânLượng's wire details: the password digest, the order code, amounts, XML answers and the settings (Y1, Y5).

MD5 vectors were computed outside Python, never by the adapter:
``printf %s matkhauketnoi | openssl md5`` and ``printf %s 'mật khẩu 2026' | openssl md5`` (UTF-8).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.errors import ValidationError
from subscription_core.payments import PaymentMethod
from subscription_core.ports import PaymentRequest
from subscription_core_adapters.gateways import NganLuongBuyer, NganLuongConfig
from subscription_core_adapters.gateways.nganluong_protocol import (
    BANKS,
    DETAIL_ANSWER_FIELDS,
    UnreadableAnswerError,
    amount_text,
    described,
    method_fields,
    order_code_for,
    password_digest,
    read_amount,
    read_answer,
    read_order_code,
)

SETTINGS: dict[str, Any] = {
    "merchant_id": "36680",
    "merchant_password": "matkhauketnoi",
    "receiver_email": "demo@nganluong.vn",
    "return_url": "https://shop.example/nganluong/return",
}


@pytest.mark.parametrize(
    ("password", "digest"),
    [
        ("matkhauketnoi", "43c64ca011d7a33f746a74e736bde6e4"),
        ("mật khẩu 2026", "c2831d0fadefe319b0d4c85f2093cb8c"),
        ("212325", "034cdf00b48ea2ba265880b9e357f62b"),
    ],
)
def test_y5_the_password_is_sent_as_phps_md5_hex(password: str, digest: str) -> None:
    assert password_digest(password) == digest


@given(st.text(min_size=1, max_size=4), st.text(min_size=1, max_size=4))
def test_y1_an_order_code_is_letters_and_digits_and_gives_back_both_ids(order_id: str, payment_id: str) -> None:
    code = order_code_for(order_id, payment_id)  # 4 characters of 4 UTF-8 bytes each fit in 100 once escaped
    assert code.isascii()
    assert code.isalnum()
    assert read_order_code(code) == (order_id, payment_id)


def test_y1_ids_too_long_for_an_order_code_are_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        order_code_for("ord-" + "9" * 60, "pay-" + "9" * 60)
    assert refused.value.rule == "Y1"


@pytest.mark.parametrize("code", ["", "ord-1", "12345", "ordZZ", "Z4"])
def test_y5_an_order_code_this_adapter_did_not_make_reads_as_none(code: str) -> None:
    assert read_order_code(code) is None


def request(**changes: Any) -> PaymentRequest:
    fields: dict[str, Any] = {
        "payment_id": "pay-1",
        "order_id": "ord-1",
        "amount": "1100000",
        "currency": "VND",
        "method": PaymentMethod.domestic_card("VCB"),
        "description": "AMIS",
    }
    return PaymentRequest(**(fields | changes))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"currency": "USD"}, "currency"),
        ({"amount": "1100000.5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "1" * 16}, "amount"),
    ],
)
def test_y1_an_amount_nganluong_cannot_take_is_refused(changes: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        amount_text(request(**changes))
    assert (refused.value.rule, refused.value.field) == ("Y1", field)


def test_y1_a_whole_vnd_amount_is_sent_as_digits() -> None:
    assert amount_text(request(amount="1100000.00")) == "1100000"


@pytest.mark.parametrize(("text", "amount"), [("150000", Decimal(150000)), ("150000.00", Decimal(150000))])
def test_y5_an_answers_amount_reads_with_or_without_decimals(text: str, amount: Decimal) -> None:
    assert read_amount(text) == amount


@pytest.mark.parametrize("text", ["", "-1", "1e5", "1,000", "x", " 1"])
def test_y5_an_answers_malformed_amount_is_refused(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        read_amount(text)
    assert (refused.value.rule, refused.value.field) == ("Y5", "total_amount")


def test_y1_methods_map_as_nganluongs_samples_send_them() -> None:
    assert method_fields(PaymentMethod.domestic_card("BIDV"), BANKS) == {
        "payment_method": "ATM_ONLINE",
        "bank_code": "BIDV",
    }
    assert method_fields(PaymentMethod.international_card(), BANKS) == {"payment_method": "VISA", "bank_code": ""}
    assert method_fields(PaymentMethod.e_wallet("NL"), BANKS) == {"payment_method": "NL", "bank_code": ""}
    for refused in (
        PaymentMethod.bank_transfer(),
        PaymentMethod.e_wallet("VNPTPAY"),
        PaymentMethod.domestic_card("CTG"),
    ):
        with pytest.raises(ValidationError):
            method_fields(refused, BANKS)


def test_y5_an_answer_with_a_raw_ampersand_reads_as_the_samples_read_it() -> None:
    raw = (
        b'<?xml version="1.0" encoding="utf-8"?><result><error_code>00</error_code><token>1-ab</token>'
        b"<checkout_url>https://nl.example/checkout.php?token=1-ab&amp;x=1&lang=vi</checkout_url>"
        b"<unknown>kept out</unknown></result>"
    )
    assert read_answer(raw, ("error_code", "token", "checkout_url")) == {
        "error_code": "00",
        "token": "1-ab",
        "checkout_url": "https://nl.example/checkout.php?token=1-ab&x=1&lang=vi",
    }


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not xml",
        b"\xff\xfe<result/>",
        b'<!DOCTYPE r [<!ENTITY a "aaaa">]><result><token>&a;</token></result>',
        b"<result>" + b"<x>1</x>" * 10_000 + b"</result>",
    ],
)
def test_y5_an_answer_that_is_not_nganluongs_xml_is_unreadable(raw: bytes) -> None:
    with pytest.raises(UnreadableAnswerError):
        read_answer(raw, DETAIL_ANSWER_FIELDS)


def test_y5_error_codes_are_described_with_nganluongs_message() -> None:
    assert described("29") == "error 29 (Token không tồn tại)"
    assert described("777") == "error 777 (not in NgânLượng table)"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("merchant_id", ""),
        ("merchant_id", "36 680"),
        ("merchant_password", ""),
        ("merchant_password", b"bytes"),
        ("receiver_email", "not-an-address"),
        ("return_url", "http://shop.example/return"),
        ("return_url", "https://shop.example/return#frag"),
        ("api_url", "http://nganluong.example/api"),
        ("timeout", dt.timedelta(0)),
        ("timeout", dt.timedelta(minutes=2)),
        ("timeout", 10),
        ("banks", frozenset({"vcb"})),
        ("banks", frozenset()),
    ],
)
def test_y1_a_bad_setting_is_refused_naming_it(setting: str, value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        NganLuongConfig(**(SETTINGS | {setting: value}))
    assert (refused.value.rule, refused.value.field) == ("Y1", setting)
    assert "matkhauketnoi" not in str(refused.value)


def test_y1_http_is_taken_only_on_a_loopback_address() -> None:
    config = NganLuongConfig(**(SETTINGS | {"api_url": "http://127.0.0.1:8088/nl30/checkout.api.nganluong.post.php"}))
    assert config.api_url.startswith("http://127.0.0.1")


def test_y5_the_password_and_the_receiver_never_show_whole() -> None:
    config = NganLuongConfig(**SETTINGS)
    assert "matkhauketnoi" not in repr(config)
    assert "demo@nganluong.vn" not in repr(config)
    with pytest.raises(ValidationError) as refused:
        NganLuongConfig(**(SETTINGS | {"receiver_email": "ketoan.truong@congty.vn x"}))
    assert "ketoan.truong" not in str(refused.value)


def test_y1_a_buyer_needs_name_email_and_mobile_and_shows_none_of_them() -> None:
    buyer = NganLuongBuyer(fullname="Nguyễn Văn A", email="a@example.vn", mobile="0912345678")
    assert "Nguyễn" not in repr(buyer)
    assert "0912345678" not in repr(buyer)
    for missing in ("fullname", "email", "mobile"):
        fields = {"fullname": "Nguyễn Văn A", "email": "a@example.vn", "mobile": "0912345678", missing: " "}
        with pytest.raises(ValidationError) as refused:
            NganLuongBuyer(**fields)
        assert refused.value.field == f"buyer_{missing}"
