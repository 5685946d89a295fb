"""The bank-transfer provider (Y1, Y3, Y5, O5), the table of banks, and the adapter's documentation.

The BINs below are the published ones, checked against three sources that agree: the State Bank of
Vietnam's BIN list as republished in github.com/subiz/vietqr (``bank.csv``), the VietQR.IO bank list
(api.vietqr.io/v2/banks, which gives the codes ICB, VBA, TCB, STB, ...), and
github.com/xuannghia/vietnam-qr-pay (``src/constants/banks.ts``).
"""

from __future__ import annotations

import datetime as dt
import doctest
import logging
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core import VIETNAM_TZ, load_catalog
from subscription_core.customers import Actor, Customer, InvoiceInfo, Party
from subscription_core.errors import NotFoundError, ValidationError
from subscription_core.payments import MethodKind, PaymentMethod
from subscription_core.ports import PaymentRequest
from subscription_core.services import Checkout, NewPurchase, place_order, start_payment
from subscription_core.transfers import find_references, transfer_reference
from subscription_core_adapters.banking import BANKS, DEFAULT_NAME, Bank, BankTransferProvider, find_bank, parse_payload
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.local import ManualClock, SequentialIds

ROOT = Path(__file__).resolve().parents[3]
ACCOUNT = "0011004000000"
HOLDER = "CONG TY CO PHAN PHAN MEM SAO VIET"
PUBLISHED_BINS = {
    "VCB": ("Vietcombank", "970436"),
    "BIDV": ("BIDV", "970418"),
    "ICB": ("VietinBank", "970415"),
    "VBA": ("Agribank", "970405"),
    "TCB": ("Techcombank", "970407"),
    "MB": ("MBBank", "970422"),
    "ACB": ("ACB", "970416"),
    "VPB": ("VPBank", "970432"),
    "TPB": ("TPBank", "970423"),
    "STB": ("Sacombank", "970403"),
}
OTHER_KINDS = [kind for kind in MethodKind if kind is not MethodKind.BANK_TRANSFER]


def provider(**changes: str) -> BankTransferProvider:
    fields = {"bank": "VCB", "account": ACCOUNT, "account_name": HOLDER, **changes}
    return BankTransferProvider(**fields)


def request(
    *, order_id: str = "ord-1", amount: str = "1100000", currency: str = "VND", kind: MethodKind | None = None
) -> PaymentRequest:
    method = PaymentMethod.bank_transfer() if kind is None else method_of(kind)
    return PaymentRequest(
        payment_id="pay-1",
        order_id=order_id,
        amount=amount,
        currency=currency,
        method=method,
        description="AMIS Standard, 1 năm",
    )


def method_of(kind: MethodKind) -> PaymentMethod:
    if kind is MethodKind.DOMESTIC_CARD:
        return PaymentMethod.domestic_card("VCB")
    if kind is MethodKind.E_WALLET:
        return PaymentMethod.e_wallet("VNPTPAY")
    return PaymentMethod(kind=kind)


# --- the table of banks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "published"), sorted(PUBLISHED_BINS.items()))
def test_y3_the_common_banks_have_their_published_bin(code: str, published: tuple[str, str]) -> None:
    short_name, bin_ = published
    bank = find_bank(code)
    assert (bank.short_name, bank.bin) == published
    assert find_bank(short_name) is bank
    assert find_bank(f"  {short_name.upper()} ") is bank
    assert find_bank(bin_) is bank


def test_y3_old_names_and_tickers_find_their_bank() -> None:
    assert find_bank("CTG").code == "ICB"
    assert find_bank("BID").code == "BIDV"
    assert find_bank("mbb").code == "MB"


def test_y3_no_two_banks_share_a_name_or_a_bin() -> None:
    names = [name.casefold() for bank in BANKS for name in {*bank.names}]
    assert len(names) == len(set(names))
    assert len({bank.bin for bank in BANKS}) == len(BANKS)


def test_y3_an_unknown_bank_is_not_found_and_the_error_lists_the_known_ones() -> None:
    for unknown in ("Ngân hàng ABC", "", None, "970499"):
        with pytest.raises(NotFoundError) as caught:
            find_bank(unknown)
        assert (caught.value.rule, caught.value.field, caught.value.value) == ("Y3", "bank", unknown)
        assert "VCB" in caught.value.message


@pytest.mark.parametrize(
    ("field", "value"),
    [("code", "vcb"), ("code", "V"), ("bin", "97043"), ("bin", 970436), ("short_name", " "), ("name", "")],
)
def test_y3_a_bank_with_a_bad_field_is_refused(field: str, value: object) -> None:
    fields: dict[str, object] = {"code": "KLB", "short_name": "KienLongBank", "bin": "970452", "name": "Kiên Long"}
    with pytest.raises(ValidationError) as caught:
        Bank(**{**fields, field: value})  # type: ignore[arg-type]
    assert (caught.value.rule, caught.value.field) == ("Y3", field)


# --- configuration --------------------------------------------------------------------------------------


def test_y3_the_configuration_is_validated_when_the_provider_is_built() -> None:
    with pytest.raises(NotFoundError) as unknown:
        provider(bank="Ngân hàng ABC")
    assert unknown.value.field == "bank"
    for field, value, argument in (
        ("account", "0011-004", "account"),
        ("account", "1" * 20, "account"),
        ("account", "", "account"),
        ("account_name", "  ", "account_name"),
        ("account_name", "X" * 101, "account_name"),
        ("account_name", "CONG TY\nABC", "account_name"),
        ("name", "", "name"),
    ):
        with pytest.raises(ValidationError) as caught:
            provider(**{argument: value})
        assert caught.value.field == field, (argument, value)


def test_y3_a_bank_missing_from_the_table_is_given_as_a_bank() -> None:
    kienlong = Bank(code="KLB", short_name="KienLongBank", bin="970452", name="Ngân hàng TMCP Kiên Long")
    started = BankTransferProvider(bank=kienlong, account=" 123456789 ", account_name=HOLDER).start(request())
    assert (started.instructions["bank"], started.instructions["bin"]) == ("KienLongBank", "970452")
    assert started.instructions["account"] == "123456789"
    assert parse_payload(started.instructions["qr"]).bin == "970452"


def test_the_provider_is_named_bank_transfer_unless_told_otherwise() -> None:
    assert provider().name == DEFAULT_NAME == "bank_transfer"
    assert provider(name="vcb-transfer").name == "vcb-transfer"


def test_its_repr_shows_the_name_and_bank_but_no_account_details() -> None:
    shown = repr(provider())
    assert shown == "BankTransferProvider(name='bank_transfer', bank='VCB')"
    assert ACCOUNT not in shown
    assert HOLDER not in shown


# --- starting a payment ---------------------------------------------------------------------------------


def test_y3_instructions_carry_the_account_amount_reference_and_qr() -> None:
    started = provider().start(request(order_id="ord-0001", amount="1100000"))
    reference = transfer_reference("ord-0001")
    assert started.redirect_url is None
    assert started.provider_ref == reference
    told = dict(started.instructions)
    qr = told.pop("qr")
    assert told == {
        "bank": "Vietcombank",
        "bank_code": "VCB",
        "bank_name": "Ngân hàng TMCP Ngoại thương Việt Nam",
        "bin": "970436",
        "account": ACCOUNT,
        "account_name": HOLDER,
        "amount": "1100000",
        "currency": "VND",
        "transfer_content": reference,
    }
    read = parse_payload(qr)
    assert (read.bin, read.account, read.amount, read.purpose, read.dynamic) == (
        "970436",
        ACCOUNT,
        Decimal(1_100_000),
        reference,
        True,
    )


def test_y3_the_reference_a_bank_passes_on_from_the_qr_finds_the_order_again() -> None:
    purpose = parse_payload(provider().start(request(order_id="ord-0001")).instructions["qr"]).purpose
    statement = f"MBVCB.3301.{purpose}.CT tu 0011004123456 CONG TY ABC toi {ACCOUNT}"
    assert find_references(statement) == (transfer_reference("ord-0001"),)


@given(
    st.text(min_size=1, max_size=40).filter(str.strip),
    st.integers(min_value=1, max_value=10**13 - 1),
    st.sampled_from(["", ".0", ".00"]),
)
def test_y3_for_any_order_and_whole_amount_the_qr_reads_back_to_them(order_id: str, amount: int, cents: str) -> None:
    started = provider(bank="ICB").start(request(order_id=order_id, amount=f"{amount}{cents}"))
    read = parse_payload(started.instructions["qr"])
    assert (read.amount, read.purpose) == (Decimal(amount), transfer_reference(order_id))
    assert started.instructions["amount"] == str(amount)


@pytest.mark.parametrize("kind", OTHER_KINDS, ids=lambda kind: kind.value)
def test_y1_methods_other_than_bank_transfer_are_refused(kind: MethodKind) -> None:
    with pytest.raises(ValidationError) as caught:
        provider().start(request(kind=kind))
    assert (caught.value.rule, caught.value.field, caught.value.value) == ("Y1", "method", kind.value)


def test_y1_something_other_than_a_payment_request_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        provider().start({"order_id": "ord-1"})  # type: ignore[arg-type]
    assert (caught.value.rule, caught.value.field) == ("Y1", "request")


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("currency", {"currency": "USD"}),
        ("amount", {"amount": "1100000.50"}),
        ("amount", {"amount": "0"}),
        ("amount", {"amount": "-1000"}),
        ("amount", {"amount": "1e3x"}),
        ("amount", {"amount": "NaN"}),
        ("amount", {"amount": "Infinity"}),
        ("amount", {"amount": str(10**13)}),
    ],
)
def test_y3_an_amount_or_currency_a_vietqr_cannot_carry_is_refused(field: str, changes: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as caught:
        provider().start(request(**changes))  # type: ignore[arg-type]
    assert (caught.value.rule, caught.value.field) == ("Y3", field)


def test_y3_the_log_names_the_payment_and_order_only(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="subscription_core_adapters.banking"):
        provider().start(request(order_id="ord-0001"))
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "pay-1" in logged
    assert "ord-0001" in logged
    for detail in (ACCOUNT, HOLDER, "970436", transfer_reference("ord-0001")):
        assert detail not in logged


# --- notifications --------------------------------------------------------------------------------------


@given(st.dictionaries(st.text(max_size=12), st.text(max_size=40), max_size=6))
def test_y5_every_notification_is_refused_since_transfers_are_found_on_statements(payload: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as caught:
        provider().parse_notification(payload, received_at=dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC))
    assert (caught.value.rule, caught.value.field) == ("Y5", "payload")
    assert "bank statement" in caught.value.message


# --- end to end through the services --------------------------------------------------------------------


def test_y3_o5_a_transfer_started_through_the_services_queues_the_qr_and_reference() -> None:
    clock = ManualClock(dt.datetime(2027, 4, 28, 14, 0, tzinfo=VIETNAM_TZ))
    bank = provider(bank="Vietcombank")
    deps = bootstrap_memory(
        load_catalog(ROOT / "examples" / "catalogs" / "amis_vn.toml"),
        clock=clock,
        ids=SequentialIds(),
        providers={bank.name: bank},
        routes={MethodKind.BANK_TRANSFER: bank.name},
    )
    buyer = Actor.customer_user("u-haidang", "cus-haidang")
    details = Party(unit_name="Công ty CP Hải Đăng", address="Cầu Giấy, Hà Nội", email="admin@haidang.vn")
    with deps.uow() as uow:
        uow.customers.add(
            Customer(
                id="cus-haidang",
                name="Công ty CP Hải Đăng",
                tax_code="0106001003",
                subscriber=details,
                invoice=InvoiceInfo.same_as(details),
                buyers={"u-haidang"},
            )
        )
        uow.commit()
    request_ = NewPurchase(customer_id="cus-haidang", plan="amis-standard", option="1y")
    order = place_order(deps, buyer, request_, Checkout(confirmed=True), idempotency_key="buy")
    started = start_payment(
        deps, buyer, order_id=order.id, method=PaymentMethod.bank_transfer(), idempotency_key="transfer"
    )

    reference = transfer_reference(order.id)
    told = dict(started.instructions)
    assert (started.provider_ref, told["transfer_content"]) == (reference, reference)
    assert (told["bank"], told["account"], told["account_name"]) == ("Vietcombank", ACCOUNT, HOLDER)
    read = parse_payload(told["qr"])
    assert (read.amount, read.purpose, read.bin) == (order.grand_total.amount, reference, "970436")
    with deps.uow() as uow:
        queued = [m for m in uow.outbox.pending(clock.now(), limit=100) if f"instructions:{started.payment_id}" in m.id]
        assert [o.id for o in uow.orders.by_transfer_reference(reference)] == [order.id]
    assert len(queued) == 2  # by e-mail and in the app (N1)
    for message in queued:
        facts = dict(message.data)
        assert (facts["qr"], facts["transfer_content"], facts["method"]) == (told["qr"], reference, "bank_transfer")
    with pytest.raises(NotFoundError):  # no provider takes cards here
        start_payment(deps, buyer, order_id=order.id, method=PaymentMethod.domestic_card("VCB"), idempotency_key="c")


# --- the documentation ----------------------------------------------------------------------------------


def test_the_bank_transfer_doc_runs_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    page = ROOT / "docs" / "adapters" / "bank-transfer.md"
    failures, tried = doctest.testfile(
        str(page), module_relative=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert tried > 0
    assert failures == 0
