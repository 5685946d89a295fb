"""NgânLượng end to end against the local stand-in of its API: every return confirmed server side (Y1, Y2, Y5, Y6).

The stand-in (``fakes.nganluong_sandbox``) plays NgânLượng with real MD5 password checks and XML answers;
the buyer's side is its ``pay``, ``cancel`` and ``hold`` controls, and ``return_query`` the query the
buyer's browser brings back to the shop's return URL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs
import pytest

from subscription_core.customers import Actor, Contact
from subscription_core.errors import RetryLaterError, ValidationError
from subscription_core.money import Money
from subscription_core.orders import OrderState
from subscription_core.payments import PaymentMethod, PaymentState
from subscription_core.ports import PaymentRequest
from subscription_core.services import NotificationStatus, cancel_order, unapplied_money
from subscription_core.unapplied import UnappliedReason
from subscription_core_adapters.fakes.nganluong_sandbox import NganLuongSandbox
from subscription_core_adapters.gateways import NganLuongOutcome, NganLuongProvider, answer_return

from .nganluong_shop import PASSWORD, NlShop, config, stand_in

STAFF_VIEW = Actor.staff("st-1")


@pytest.fixture
def sandbox() -> Iterator[NganLuongSandbox]:
    """NgânLượng's stand-in on 127.0.0.1, knowing the test merchant."""
    with stand_in() as running:
        yield running


@pytest.fixture
def shop(sandbox: NganLuongSandbox) -> NlShop:
    """A fresh shop taking online payments through the stand-in."""
    return NlShop.make(sandbox)


def test_y2_start_asks_nganluong_for_a_checkout_and_redirects_to_it(shop: NlShop) -> None:
    order = shop.place()
    started = shop.start(order)
    assert started.provider_ref is not None
    assert (
        started.redirect_url
        == f"https://sandbox.nganluong.vn:8088/nl30/checkout.php?token={started.provider_ref}&lang=vi"
    )
    sent = shop.sandbox.transaction(started.provider_ref)
    assert (sent.amount, sent.payment_method, sent.bank_code) == (int(order.grand_total.amount), "ATM_ONLINE", "VCB")
    back = dict(parse_qsl(urlsplit(sent.return_url).query))
    assert back == {"lang": "vi", "order_code": sent.order_code}  # the attempt is named in the return URL
    assert shop.payments(order.id)[0].state is PaymentState.STARTED


@pytest.mark.parametrize(
    ("method", "sent"),
    [
        (PaymentMethod.international_card(), ("VISA", "")),
        (PaymentMethod.e_wallet("NGANLUONG"), ("NL", "")),
        (PaymentMethod.domestic_card("ICB"), ("ATM_ONLINE", "ICB")),
    ],
)
def test_y1_each_online_method_maps_to_nganluongs_payment_method(
    shop: NlShop, method: PaymentMethod, sent: tuple[str, str]
) -> None:
    started = shop.start(shop.place(), method)
    assert started.provider_ref is not None
    found = shop.sandbox.transaction(started.provider_ref)
    assert (found.payment_method, found.bank_code) == sent


@pytest.mark.parametrize(
    ("method", "field"),
    [(PaymentMethod.e_wallet("MOMO"), "method"), (PaymentMethod.domestic_card("NCB"), "bank")],
)
def test_y1_a_method_nganluong_does_not_take_is_refused_before_any_call(
    shop: NlShop, method: PaymentMethod, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        shop.start(shop.place(), method)
    assert (refused.value.rule, refused.value.field) == ("Y1", field)
    assert shop.sandbox.calls.get("SetExpressCheckout", 0) == 0


def test_y2_a_confirmed_payment_pays_the_order(shop: NlShop) -> None:
    order = shop.place()
    started = shop.start(order)
    assert started.provider_ref is not None
    shop.sandbox.pay(started.provider_ref)
    page = shop.back(started)
    assert (page.outcome, page.status, page.order_id) == (
        NganLuongOutcome.SUCCEEDED,
        NotificationStatus.APPLIED,
        order.id,
    )
    assert page.amount == order.grand_total.amount
    assert shop.order(order.id).state is OrderState.FULFILLED
    (paid,) = shop.payments(order.id)
    assert paid.state is PaymentState.SUCCEEDED
    assert paid.provider_ref is not None
    assert paid.provider_ref.startswith(f"{started.provider_ref}:")


def test_y5_a_cancelled_checkout_fails_the_attempt_and_a_new_one_pays(shop: NlShop) -> None:
    order = shop.place()
    first = shop.start(order)
    assert first.provider_ref is not None
    shop.sandbox.cancel(first.provider_ref)
    assert shop.back(first).outcome is NganLuongOutcome.FAILED
    assert shop.payments(order.id)[0].state is PaymentState.FAILED
    assert shop.order(order.id).awaiting_payment
    second = shop.start(order)
    assert second.provider_ref is not None
    shop.sandbox.pay(second.provider_ref)
    assert shop.back(second).status is NotificationStatus.APPLIED


def test_y5_a_held_payment_records_nothing_until_nganluong_confirms_it(shop: NlShop) -> None:
    order = shop.place()
    started = shop.start(order)
    assert started.provider_ref is not None
    shop.sandbox.hold(started.provider_ref)
    for _ in range(3):
        page = shop.back(started)
        assert (page.outcome, page.status, page.nl_code) == (NganLuongOutcome.PENDING, None, "01")
    assert shop.payments(order.id)[0].state is PaymentState.STARTED  # the attempt is not failed
    shop.sandbox.pay(started.provider_ref)
    assert shop.back(started).status is NotificationStatus.APPLIED  # nothing was recorded before: applied now


def test_y5_a_return_before_the_buyer_paid_is_pending(shop: NlShop) -> None:
    started = shop.start(shop.place())
    page = shop.back(started)
    assert (page.outcome, page.nl_code) == (NganLuongOutcome.PENDING, "81")


def test_y6_another_amount_confirmed_by_nganluong_is_kept_unapplied(shop: NlShop) -> None:
    order = shop.place()
    started = shop.start(order)
    assert started.provider_ref is not None
    shop.sandbox.pay(started.provider_ref, amount=1000)
    page = shop.back(started)
    assert (page.outcome, page.status, page.amount) == (
        NganLuongOutcome.SUCCEEDED,
        NotificationStatus.UNAPPLIED,
        Decimal(1000),
    )
    (kept,) = unapplied_money(shop.deps, STAFF_VIEW)
    assert (kept.reason, kept.amount, kept.order_id) == (
        UnappliedReason.AMOUNT_DIFFERS,
        Money.of(1000, "VND"),
        order.id,
    )
    assert shop.order(order.id).awaiting_payment
    assert shop.back(started).status is NotificationStatus.ALREADY_PROCESSED


def test_y6_a_confirmed_payment_for_a_cancelled_order_is_kept_unapplied(shop: NlShop) -> None:
    order = shop.place()
    started = shop.start(order)
    assert started.provider_ref is not None
    cancel_order(shop.deps, STAFF_VIEW, order.id, reason="wrong plan", idempotency_key=shop.key())
    shop.sandbox.pay(started.provider_ref)
    assert shop.back(started).status is NotificationStatus.UNAPPLIED
    (kept,) = unapplied_money(shop.deps, STAFF_VIEW)
    assert kept.amount == order.grand_total


def test_y5_the_same_return_twenty_times_applies_once(shop: NlShop) -> None:
    order = shop.place()
    started = shop.start(order)
    assert started.provider_ref is not None
    shop.sandbox.pay(started.provider_ref)
    statuses = [shop.back(started).status for _ in range(20)]
    assert statuses == [NotificationStatus.APPLIED] + [NotificationStatus.ALREADY_PROCESSED] * 19
    assert [p.state for p in shop.payments(order.id)] == [PaymentState.SUCCEEDED]
    assert shop.sandbox.calls["GetTransactionDetail"] == 20  # each return was confirmed with NgânLượng


def test_y5_a_forged_or_unknown_token_is_invalid_and_records_nothing(shop: NlShop) -> None:
    order = shop.place()
    started = shop.start(order)
    assert started.provider_ref is not None
    shop.sandbox.pay(started.provider_ref)
    genuine = shop.sandbox.return_query(started.provider_ref)
    for token in ("135999-00000000000000000000000000000000", started.provider_ref + "0"):
        assert shop.back(started, {**genuine, "token": token}).outcome is NganLuongOutcome.INVALID
        with pytest.raises(ValidationError, match="error 29") as refused:
            shop.nganluong.parse_notification({**genuine, "token": token}, received_at=dt.datetime.now(dt.UTC))
        assert (refused.value.rule, refused.value.field) == ("Y5", "token")
    assert shop.back(started).status is NotificationStatus.APPLIED  # nothing recorded by the forgeries


def test_y5_another_orders_token_is_invalid(shop: NlShop) -> None:
    mine, theirs = shop.place(), shop.place()
    started, other = shop.start(mine), shop.start(theirs)
    assert other.provider_ref is not None
    shop.sandbox.pay(other.provider_ref)
    assert started.provider_ref is not None
    forged = {**shop.sandbox.return_query(started.provider_ref), "token": other.provider_ref}
    assert shop.back(started, forged).outcome is NganLuongOutcome.INVALID
    assert shop.order(mine.id).awaiting_payment
    assert shop.back(other).status is NotificationStatus.APPLIED


def test_y5_a_claimed_success_nganluong_denies_is_invalid(shop: NlShop) -> None:
    order = shop.place()
    started = shop.start(order)
    assert started.provider_ref is not None
    shop.sandbox.cancel(started.provider_ref)
    forged = {**shop.sandbox.return_query(started.provider_ref), "error_code": "00"}
    assert shop.back(started, forged).outcome is NganLuongOutcome.INVALID
    assert shop.payments(order.id)[0].state is PaymentState.STARTED  # a forgery does not even fail the attempt


def test_y5_a_check_that_times_out_records_nothing_and_a_later_one_applies(sandbox: NganLuongSandbox) -> None:
    shop = NlShop.make(sandbox, timeout=dt.timedelta(milliseconds=300))
    order = shop.place()
    started = shop.start(order)
    assert started.provider_ref is not None
    sandbox.pay(started.provider_ref)
    sandbox.delay(5)
    page = shop.back(started)
    assert (page.outcome, page.status) == (NganLuongOutcome.PENDING, None)
    with pytest.raises(RetryLaterError, match=r"no answer from NgânLượng within 0\.3 s") as late:
        shop.nganluong.parse_notification(
            sandbox.return_query(started.provider_ref), received_at=dt.datetime.now(dt.UTC)
        )
    assert late.value.retryable
    sandbox.delay(0)
    assert shop.back(started).status is NotificationStatus.APPLIED


def test_y1_a_wrong_connection_password_is_refused_by_nganluong_naming_its_code(sandbox: NganLuongSandbox) -> None:
    good = NlShop.make(sandbox)
    order = good.place()
    started = good.start(order)
    assert started.provider_ref is not None
    sandbox.pay(started.provider_ref)
    forged = NlShop.make(sandbox, merchant_password="not-the-password")  # noqa: S106 - a wrong one
    with pytest.raises(ValidationError, match=r"error 07 \(Sai mật khẩu của merchant\)") as refused:
        forged.start(forged.place())
    assert (refused.value.rule, refused.value.field) == ("Y1", "merchant_password")
    query = sandbox.return_query(started.provider_ref)
    with pytest.raises(ValidationError, match="error 07"):
        forged.nganluong.parse_notification(query, received_at=dt.datetime.now(dt.UTC))
    assert good.back(started).status is NotificationStatus.APPLIED


@pytest.mark.parametrize(
    ("setting", "value", "field", "code"),
    [("merchant_id", "99999", "merchant_id", "06"), ("receiver_email", "other@example.vn", "receiver_email", "08")],
)
def test_y1_nganluongs_refusals_name_the_code_and_the_setting(
    sandbox: NganLuongSandbox, setting: str, value: str, field: str, code: str
) -> None:
    changed: dict[str, Any] = {setting: value}
    shop = NlShop.make(sandbox, None, **changed)
    with pytest.raises(ValidationError, match=f"error {code} ") as refused:
        shop.start(shop.place())
    assert refused.value.field == field
    assert "other@example.vn" not in str(refused.value)


def test_y1_without_a_buyer_function_the_buyer_is_the_orders_contact(sandbox: NganLuongSandbox) -> None:
    provider = NganLuongProvider(config(sandbox))
    contact = Contact(name="Lê Văn Mua", email="mua@example.vn", phone="0912345678")
    request = PaymentRequest(
        payment_id="pay-1",
        order_id="ord-1",
        amount="1100000",
        currency="VND",
        method=PaymentMethod.e_wallet("NGANLUONG"),
        description="Order ord-1",
        buyer=contact,
    )
    token = provider.start(request).provider_ref
    assert token is not None
    assert sandbox.transaction(token).buyer == ("Lê Văn Mua", "mua@example.vn", "0912345678", "")
    assert "mua@" not in repr(request)  # personal data: the request's repr leaves the buyer out
    asked = dict(sandbox.calls)
    for missing, field in ((None, "buyer"), (Contact(name="Lê Văn Mua", email="mua@example.vn"), "buyer_mobile")):
        with pytest.raises(ValidationError) as refused:
            provider.start(attrs.evolve(request, buyer=missing))
        assert (refused.value.rule, refused.value.field) == ("Y1", field)
    assert sandbox.calls == asked  # refused before NgânLượng is asked


def test_y5_an_unreachable_nganluong_starts_nothing(sandbox: NganLuongSandbox) -> None:
    shop = NlShop.make(sandbox)
    order = shop.place()
    sandbox.stop()
    with pytest.raises(RetryLaterError, match="connection to NgânLượng failed"):
        shop.start(order)
    assert shop.payments(order.id) == []  # start_payment's unit of work rolled back


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"order_code": "ordZ2D1ZZpayZ2D1"},
        {"token": "", "order_code": "x"},
        {"token": "1-ab"},
        {"token": "1-ab", "order_code": "x" * 10_000},
        {"token": "1-ab" * 1000, "order_code": "x"},
        {"token": "1-ab", "order_code": "x", "error_code": "000"},
        {"token": "1-ab\u202e", "order_code": "x"},
    ],
)
def test_y5_a_hostile_return_is_refused_before_nganluong_is_asked(shop: NlShop, query: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as refused:
        shop.nganluong.parse_notification(query, received_at=dt.datetime.now(dt.UTC))
    assert refused.value.rule == "Y5"
    assert shop.sandbox.calls.get("GetTransactionDetail", 0) == 0


@pytest.mark.parametrize("payload", [None, [("token", "1-ab")], {"token": b"1-ab", "order_code": "x"}, {1: "x"}])
def test_y5_a_return_that_is_not_text_fields_is_invalid_and_never_raises(shop: NlShop, payload: object) -> None:
    assert answer_return(shop.deps, payload).outcome is NganLuongOutcome.INVALID  # type: ignore[arg-type]


def test_y5_the_password_never_shows(shop: NlShop) -> None:
    shown = [repr(shop.nganluong), repr(shop.deps.provider("nganluong"))]
    with pytest.raises(ValidationError) as refused:
        shop.nganluong.parse_notification(
            {"token": "1-ab", "order_code": "x", "error_code": "7"}, received_at=dt.datetime.now(dt.UTC)
        )
    shown += [str(refused.value), repr(refused.value.as_dict())]
    assert all(PASSWORD not in text and "43c64ca011d7a33f746a74e736bde6e4" not in text for text in shown)


def test_y6_a_confirmed_payment_for_an_order_this_shop_does_not_know_is_kept_unapplied(shop: NlShop) -> None:
    stray = PaymentRequest(
        payment_id="pay-0009",
        order_id="ord-9999",
        amount="500000",
        currency="VND",
        method=PaymentMethod.domestic_card("BIDV"),
        description="an order of another system",
    )
    token = shop.nganluong.start(stray).provider_ref
    assert token is not None
    shop.sandbox.pay(token)
    page = answer_return(shop.deps, shop.sandbox.return_query(token))
    assert (page.outcome, page.status, page.order_id) == (
        NganLuongOutcome.SUCCEEDED,
        NotificationStatus.UNAPPLIED,
        "ord-9999",
    )
    (kept,) = unapplied_money(shop.deps, STAFF_VIEW)
    assert (kept.reason, kept.amount) == (UnappliedReason.UNKNOWN_ORDER, Money.of(500000, "VND"))


def test_y1_a_return_nganluong_refuses_to_answer_for_the_settings_is_pending_and_records_nothing(
    sandbox: NganLuongSandbox,
) -> None:
    good = NlShop.make(sandbox)
    started = good.start(good.place())
    assert started.provider_ref is not None
    sandbox.pay(started.provider_ref)
    misconfigured = NlShop.make(sandbox, merchant_id="99999")
    page = answer_return(misconfigured.deps, sandbox.return_query(started.provider_ref))
    assert (page.outcome, page.status) == (NganLuongOutcome.PENDING, None)
    assert good.back(started).status is NotificationStatus.APPLIED


@pytest.mark.parametrize(
    ("error_code", "status", "outcome"),
    [
        ("115", "", NganLuongOutcome.FAILED),  # cancelled, said without an amount: told, nothing recorded
        ("114", "", NganLuongOutcome.PENDING),  # in progress
        ("99", "", NganLuongOutcome.PENDING),  # NgânLượng's own trouble
        ("777", "", NganLuongOutcome.PENDING),  # a code its table does not name
        ("", "03", NganLuongOutcome.PENDING),  # a status its samples do not name: nothing recorded
    ],
)
def test_y5_nganluongs_other_answers_map_to_the_librarys_outcomes(
    shop: NlShop, error_code: str, status: str, outcome: NganLuongOutcome
) -> None:
    order = shop.place()
    started = shop.start(order)
    assert started.provider_ref is not None
    shop.sandbox.answer_with(started.provider_ref, error_code=error_code, transaction_status=status)
    page = shop.back(started)
    assert page.outcome is outcome
    assert (page.nl_code, page.status) == (error_code or status, None)
    assert shop.payments(order.id)[0].state is PaymentState.STARTED  # nothing recorded
    shop.sandbox.answer_with(started.provider_ref)
    shop.sandbox.pay(started.provider_ref)
    assert shop.back(started).status is NotificationStatus.APPLIED
