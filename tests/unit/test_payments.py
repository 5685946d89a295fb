"""Payment methods, payments, provider notifications, proofs of payment and payment links (Y1-Y5, O5, A2)."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from subscription_core import subscriptions
from subscription_core.catalog import Catalog, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.customers import Actor, InvoiceInfo, Party
from subscription_core.errors import (
    CurrencyMismatchError,
    InvalidTransitionError,
    NotEligibleError,
    PermissionDeniedError,
    SubscriptionError,
    ValidationError,
)
from subscription_core.money import Currency, Money
from subscription_core.orders import Order, OrderKind
from subscription_core.payment_links import PaymentLinkSigner
from subscription_core.payments import (
    MethodKind,
    Payment,
    PaymentMethod,
    PaymentProof,
    PaymentState,
    ProofState,
    ProviderNotification,
    Verdict,
    check_notification,
)
from subscription_core.pricing import quote
from subscription_core.quotes import PlanSelection
from subscription_core.tax import VatSchedule

VND = Currency.of("VND")
ICT = dt.timezone(dt.timedelta(hours=7))
T0 = dt.datetime(2027, 4, 30, 10, 0, tzinfo=ICT)
STAFF = Actor.staff("st-1")
BUYER = Actor.customer_user("u-1", "cus-1")
SYSTEM = Actor.system("vnptpay")
KEY = bytes(range(32))
SUBSCRIBER = Party(unit_name="Công ty MISA", address="Hà Nội", email="ketoan@misa.com.vn", tax_code="0101243150")


def vnd(amount: int) -> Money:
    return Money.of(amount, VND)


def make_order() -> Order:
    plan = Plan(
        code="PRO",
        name="AMIS Professional",
        options=[PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=vnd(12_000_000))],
        vat=VatSchedule.flat("8%"),
    )
    catalog = Catalog(currency=VND, products=[Product(code="AMIS", name="AMIS.VN", plans=[plan])])
    q = quote(catalog, [PlanSelection(plan="PRO", option="1Y")], as_of=T0.date())
    order = Order.from_quote(
        q,
        id="ord-1",
        kind=OrderKind.NEW_PURCHASE,
        customer_id="cus-1",
        subscriber=SUBSCRIBER,
        invoice=InvoiceInfo.same_as(SUBSCRIBER),
        placed_by=BUYER,
        idempotency_key="k-1",
        at=T0,
    )
    return order.place(at=T0, pay_by=T0 + dt.timedelta(days=3), confirmed=True)


ORDER = make_order()  # 12,000,000 + 8% = 12,960,000 VND


def notification(**changes: Any) -> ProviderNotification:
    fields: dict[str, Any] = {
        "provider": "vnptpay",
        "event_id": "evt-1",
        "order_id": "ord-1",
        "amount": "12960000",
        "currency": "VND",
        "succeeded": True,
        "signature": "c2lnbmF0dXJl",
        "received_at": T0 + dt.timedelta(minutes=3),
        "fields": {"vnp_ResponseCode": "00", "vnp_TxnRef": "ord-1"},
    }
    fields.update(changes)
    return ProviderNotification(**fields)


def valid(_: ProviderNotification) -> bool:
    return True


# --- Y1: methods -----------------------------------------------------------------------------------------


def test_y1_methods_and_whether_they_are_online() -> None:
    assert PaymentMethod.domestic_card(" vcb ").bank == "VCB"
    assert PaymentMethod.e_wallet("NganLuong").wallet == "NGANLUONG"
    online = [
        PaymentMethod.domestic_card("BIDV"),
        PaymentMethod.e_wallet("VNPTPAY"),
        PaymentMethod.international_card(),
    ]
    assert all(m.is_online for m in online)
    assert not PaymentMethod.bank_transfer().is_online
    assert not PaymentMethod.cash().is_online
    assert {m.kind for m in [*online, PaymentMethod.cash(), PaymentMethod.bank_transfer()]} == set(MethodKind)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": MethodKind.DOMESTIC_CARD}, "bank"),
        ({"kind": MethodKind.E_WALLET}, "wallet"),
        ({"kind": MethodKind.CASH, "bank": "VCB"}, "bank"),
        ({"kind": MethodKind.INTERNATIONAL_CARD, "wallet": "MOMO"}, "wallet"),
        ({"kind": MethodKind.DOMESTIC_CARD, "bank": "V"}, "bank"),
        ({"kind": MethodKind.DOMESTIC_CARD, "bank": "Việt Com"}, "bank"),
        ({"kind": MethodKind.E_WALLET, "wallet": 7}, "wallet"),
        ({"kind": "cash"}, "kind"),
    ],
)
def test_y1_bad_methods_are_refused(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PaymentMethod(**fields)
    assert caught.value.field == field


# --- Y2, Y3: payments ------------------------------------------------------------------------------------


def test_y2_an_online_payment_succeeds_on_the_providers_confirmation() -> None:
    payment = Payment.start(id="pay-1", order=ORDER, method=PaymentMethod.e_wallet("VNPTPAY"), at=T0)
    assert (payment.state, payment.amount, payment.order_id) == (PaymentState.STARTED, vnd(12_960_000), "ord-1")
    done = payment.succeed(at=T0 + dt.timedelta(minutes=2), provider_ref="evt-1")
    assert (done.state, done.provider_ref, done.version) == (PaymentState.SUCCEEDED, "evt-1", 1)
    assert done.settled_at == dt.datetime(2027, 4, 30, 3, 2, tzinfo=dt.UTC)
    with pytest.raises(InvalidTransitionError, match="succeeded payment cannot fail"):
        done.fail(at=T0, reason="late")


def test_y2_a_failed_attempt_stays_failed() -> None:
    payment = Payment.start(id="pay-1", order=ORDER, method=PaymentMethod.international_card(), at=T0)
    failed = payment.fail(at=T0, reason=" card declined ")
    assert (failed.state, failed.failure) == (PaymentState.FAILED, "card declined")
    with pytest.raises(InvalidTransitionError):
        failed.succeed(at=T0, provider_ref="evt-2")
    with pytest.raises(ValidationError, match="reason is required"):
        payment.fail(at=T0, reason="")


def test_y3_offline_money_is_recorded_as_received_by_staff() -> None:
    payment = Payment.start(id="pay-1", order=ORDER, method=PaymentMethod.bank_transfer(), at=T0)
    received_at = T0 + dt.timedelta(hours=5)
    done = payment.receive(amount=vnd(12_960_000), at=received_at, by=STAFF)
    assert (done.state, done.received_at, done.received_by) == (PaymentState.SUCCEEDED, received_at, STAFF)
    direct = Payment.received_offline(
        id="pay-2", order=ORDER, method=PaymentMethod.cash(), amount=vnd(12_960_000), at=received_at, by=STAFF
    )
    assert (direct.state, direct.received_at) == (PaymentState.SUCCEEDED, received_at)


def test_a2_only_staff_record_offline_money() -> None:
    payment = Payment.start(id="pay-1", order=ORDER, method=PaymentMethod.cash(), at=T0)
    with pytest.raises(PermissionDeniedError, match="only vendor staff") as caught:
        payment.receive(amount=vnd(12_960_000), at=T0, by=BUYER)
    assert (caught.value.rule, caught.value.value) == ("A2", "u-1")
    with pytest.raises(ValidationError, match="must be an Actor"):
        payment.receive(amount=vnd(12_960_000), at=T0, by="st-1")  # type: ignore[arg-type]


def test_y3_offline_amount_must_be_the_orders_total_and_methods_must_match() -> None:
    payment = Payment.start(id="pay-1", order=ORDER, method=PaymentMethod.cash(), at=T0)
    with pytest.raises(ValidationError, match="total is 12,960,000 VND") as caught:
        payment.receive(amount=vnd(12_000_000), at=T0, by=STAFF)
    assert (caught.value.rule, caught.value.field) == ("Y3", "amount")
    with pytest.raises(ValidationError, match="provider confirms online payments"):
        payment.succeed(at=T0, provider_ref="evt-1")
    online = Payment.start(id="pay-2", order=ORDER, method=PaymentMethod.international_card(), at=T0)
    with pytest.raises(ValidationError, match="staff record offline payments") as caught:
        online.receive(amount=vnd(12_960_000), at=T0, by=STAFF)
    assert caught.value.rule == "Y3"


def test_y5_a_payment_starts_only_while_the_order_awaits_payment() -> None:
    paid = ORDER.mark_paid(at=T0 + dt.timedelta(hours=1), payment_id="pay-0", by=SYSTEM)
    with pytest.raises(InvalidTransitionError, match="is paid, not awaiting payment"):
        Payment.start(id="pay-1", order=paid, method=PaymentMethod.cash(), at=T0)
    with pytest.raises(ValidationError, match="must be an Order"):
        Payment.start(id="pay-1", order="ord-1", method=PaymentMethod.cash(), at=T0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", ""),
        ("order_id", None),
        ("method", "cash"),
        ("amount", 12_960_000),
        ("started_at", dt.datetime(2027, 4, 30)),  # noqa: DTZ001
        ("state", "started"),
        ("version", -1),
        ("provider_ref", ""),
        ("received_by", "st-1"),
        ("failure", 3),
    ],
)
def test_y2_bad_payment_fields_raise_validation_errors(field: str, value: object) -> None:
    payment = Payment.start(id="pay-1", order=ORDER, method=PaymentMethod.cash(), at=T0)
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(payment, **{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field


# --- Y5: provider notifications --------------------------------------------------------------------------


def test_y5_a_valid_success_pays_and_a_valid_failure_fails() -> None:
    assert check_notification(notification(), ORDER, signature_valid=valid) is Verdict.PAY
    assert check_notification(notification(succeeded=False), ORDER, signature_valid=valid) is Verdict.FAIL
    assert check_notification(notification(amount=Decimal("12960000.00")), ORDER, signature_valid=valid) is Verdict.PAY


def test_y5_a_bad_signature_is_refused_first() -> None:
    with pytest.raises(ValidationError, match="invalid vnptpay signature") as caught:
        check_notification(notification(amount="1"), ORDER, signature_valid=lambda _: False)
    assert (caught.value.rule, caught.value.field) == ("Y5", "signature")


def test_y5_the_signature_hook_sees_the_notification() -> None:
    seen: list[ProviderNotification] = []

    def record(n: ProviderNotification) -> bool:
        seen.append(n)
        return n.signature == "c2lnbmF0dXJl"

    assert check_notification(notification(), ORDER, signature_valid=record) is Verdict.PAY
    assert seen == [notification()]


def test_y5_a_repeat_is_already_done_never_applied_twice() -> None:
    n = notification()
    paid = ORDER.mark_paid(at=T0 + dt.timedelta(hours=1), payment_id="pay-1", by=SYSTEM)
    assert check_notification(n, paid, signature_valid=valid, processed={n.key}) is Verdict.ALREADY_DONE
    assert check_notification(n, ORDER, signature_valid=valid, processed={("vnptpay", "evt-1")}) is Verdict.ALREADY_DONE
    # The same event id from another provider is not a repeat.
    other = notification(provider="nganluong")
    assert check_notification(other, ORDER, signature_valid=valid, processed={n.key}) is Verdict.PAY


@pytest.mark.parametrize(
    ("changes", "error", "field", "message"),
    [
        ({"amount": "12959999"}, ValidationError, "amount", "total is 12,960,000 VND"),
        ({"amount": "129600"}, ValidationError, "amount", "total is"),
        ({"currency": "USD"}, CurrencyMismatchError, "currency", "order is in VND"),
        ({"order_id": "ord-2"}, ValidationError, "order_id", "does not name this order"),
    ],
)
def test_y5_the_precise_reason_is_raised(
    changes: dict[str, Any], error: type[SubscriptionError], field: str, message: str
) -> None:
    with pytest.raises(error, match=message) as caught:
        check_notification(notification(**changes), ORDER, signature_valid=valid)
    assert (caught.value.rule, caught.value.field) == ("Y5", field)


def test_y5_an_order_not_awaiting_payment_is_refused() -> None:
    paid = ORDER.mark_paid(at=T0 + dt.timedelta(hours=1), payment_id="pay-1", by=SYSTEM)
    with pytest.raises(InvalidTransitionError, match="is paid, not awaiting payment") as caught:
        check_notification(notification(event_id="evt-2"), paid, signature_valid=valid)
    assert (caught.value.rule, caught.value.field, caught.value.value) == ("Y5", "state", "paid")
    lapsed = ORDER.lapse(at=T0 + dt.timedelta(days=3), by=Actor.scheduler())
    with pytest.raises(InvalidTransitionError, match="lapsed"):
        check_notification(notification(), lapsed, signature_valid=valid)


def test_y5_currency_is_compared_without_regard_to_case() -> None:
    assert check_notification(notification(currency="vnd"), ORDER, signature_valid=valid) is Verdict.PAY


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("provider", ""),
        ("event_id", None),
        ("amount", 1.5),
        ("amount", "abc"),
        ("currency", ""),
        ("succeeded", "00"),
        ("signature", None),
        ("received_at", dt.datetime(2027, 4, 30)),  # noqa: DTZ001
        ("fields", 5),
    ],
)
def test_y5_bad_notification_fields_raise_validation_errors(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        notification(**{field: value})
    assert caught.value.field == field


def test_y5_raw_fields_are_kept_as_pairs() -> None:
    assert notification().fields == (("vnp_ResponseCode", "00"), ("vnp_TxnRef", "ord-1"))
    assert notification(fields=[("a", "1")]).fields == (("a", "1"),)


def test_y5_check_wants_a_notification_and_an_order() -> None:
    with pytest.raises(ValidationError, match="ProviderNotification"):
        check_notification("{}", ORDER, signature_valid=valid)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be an Order"):
        check_notification(notification(), "ord-1", signature_valid=valid)  # type: ignore[arg-type]


# --- Y4: proofs of payment -------------------------------------------------------------------------------


def proof(**changes: Any) -> PaymentProof:
    fields: dict[str, Any] = {
        "id": "pr-1",
        "order_id": "ord-1",
        "transfer_content": "MISA ord-1 0101243150",
        "attachment": "file-7f3a",
        "submitted_at": T0,
        "submitted_by": BUYER,
    }
    fields.update(changes)
    return PaymentProof(**fields)


def test_y4_staff_verify_a_proof() -> None:
    verified = proof().verify(at=T0 + dt.timedelta(hours=2), by=STAFF)
    assert (verified.state, verified.reviewed_by, verified.version) == (ProofState.VERIFIED, STAFF, 1)
    with pytest.raises(InvalidTransitionError, match="verified proof cannot be rejected") as caught:
        verified.reject(at=T0, by=STAFF, reason="x")
    assert caught.value.rule == "Y4"


def test_y4_staff_reject_a_proof_with_a_reason() -> None:
    rejected = proof().reject(at=T0 + dt.timedelta(hours=2), by=STAFF, reason=" ảnh không rõ ")
    assert (rejected.state, rejected.rejection) == (ProofState.REJECTED, "ảnh không rõ")
    with pytest.raises(ValidationError, match="reason is required"):
        proof().reject(at=T0, by=STAFF, reason="  ")


def test_a2_only_staff_review_proofs() -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        proof().verify(at=T0, by=BUYER)
    assert caught.value.rule == "A2"
    with pytest.raises(PermissionDeniedError):
        proof().reject(at=T0, by=Actor.accountant("k-1"), reason="x")


def test_y4_a_proof_becomes_the_lifecycles_commitment_proof() -> None:
    commitment_proof = proof().as_commitment_proof()
    assert commitment_proof == subscriptions.CommitmentProof(
        submitted_at=T0, transfer_content="MISA ord-1 0101243150", attachment="file-7f3a"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", ""),
        ("transfer_content", " "),
        ("attachment", b"\x89PNG"),
        ("submitted_at", "today"),
        ("submitted_by", "u-1"),
        ("state", "verified"),
        ("reviewed_by", "st-1"),
        ("rejection", ""),
    ],
)
def test_y4_bad_proof_fields_raise_validation_errors(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        proof(**{field: value})
    assert caught.value.field == field


# --- O5: payment links -----------------------------------------------------------------------------------

SIGNER = PaymentLinkSigner(key=KEY)
EXPIRES = T0 + dt.timedelta(days=3)


def test_o5_a_token_verifies_to_its_order_until_it_expires() -> None:
    token = SIGNER.issue("ord-1", EXPIRES)
    assert SIGNER.verify(token, T0) == "ord-1"
    assert SIGNER.verify(token, EXPIRES - dt.timedelta(seconds=1)) == "ord-1"
    with pytest.raises(NotEligibleError, match="expired at 2027-05-03T03:00:00") as caught:
        SIGNER.verify(token, EXPIRES)
    assert (caught.value.rule, caught.value.value) == ("O5", "ord-1")


def test_o5_the_token_reveals_only_the_order_id_and_expiry() -> None:
    token = SIGNER.issue("ord-1", EXPIRES)
    payload, mac = token.split(".")
    assert base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)) == f"{int(EXPIRES.timestamp())}:ord-1".encode()
    assert len(base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))) == 32


def test_o5_another_key_or_a_forged_token_is_refused() -> None:
    token = SIGNER.issue("ord-1", EXPIRES)
    with pytest.raises(ValidationError, match="malformed or was altered") as caught:
        PaymentLinkSigner(key=b"k" * 32).verify(token, T0)
    assert (caught.value.rule, caught.value.field, caught.value.has_value) == ("O5", "token", False)
    forged = SIGNER.issue("ord-2", EXPIRES).split(".")[0] + "." + token.split(".")[1]
    for bad in (forged, "", "abc", "a.b.c", token + ".", token.replace(".", ""), "!!!." + token.split(".")[1]):
        with pytest.raises(ValidationError, match="malformed or was altered"):
            SIGNER.verify(bad, T0)
    with pytest.raises(ValidationError):
        SIGNER.verify(None, T0)  # type: ignore[arg-type]


def test_o5_order_ids_with_any_printable_text_round_trip() -> None:
    for order_id in ("a.b:c", "đơn-hàng/2027", "x" * 200):
        assert SIGNER.verify(SIGNER.issue(order_id, EXPIRES), T0) == order_id
    for bad in ("", " ", "a\nb", 7):
        with pytest.raises(ValidationError) as caught:
            SIGNER.issue(bad, EXPIRES)  # type: ignore[arg-type]
        assert caught.value.field == "order_id"


def test_o5_instants_must_be_aware() -> None:
    with pytest.raises(ValidationError) as caught:
        SIGNER.issue("ord-1", dt.datetime(2027, 5, 3))  # noqa: DTZ001
    assert caught.value.rule == "D2"
    with pytest.raises(ValidationError) as caught:
        SIGNER.verify(SIGNER.issue("ord-1", EXPIRES), dt.datetime(2027, 5, 1))  # noqa: DTZ001
    assert caught.value.rule == "D2"


def test_o5_the_key_is_never_shown() -> None:
    secret = b"super-secret-signing-key-0123456789"
    signer = PaymentLinkSigner(key=secret)
    shown = [repr(signer), str(signer), f"{signer}", repr([signer])]
    token = signer.issue("ord-1", EXPIRES)
    for action in (
        lambda: signer.verify(token + "x", T0),
        lambda: signer.verify(token, EXPIRES + dt.timedelta(days=1)),
        lambda: signer.issue("", EXPIRES),
        lambda: PaymentLinkSigner(key=secret[:10]),
        lambda: PaymentLinkSigner(key=secret.decode()),  # type: ignore[arg-type]
    ):
        with pytest.raises(SubscriptionError) as caught:
            action()
        shown += [str(caught.value), repr(caught.value), repr(caught.value.value)]
    for text in shown:
        assert secret.decode() not in text
        assert secret.hex() not in text
        assert base64.b64encode(secret).decode() not in text
        assert "super-secret" not in text


def test_o5_a_short_or_textual_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32 bytes") as caught:
        PaymentLinkSigner(key=b"short")
    assert (caught.value.field, caught.value.has_value) == ("key", False)
    with pytest.raises(ValidationError, match="must be bytes"):
        PaymentLinkSigner(key="a" * 40)  # type: ignore[arg-type]


def test_o5_signers_compare_by_identity() -> None:
    assert PaymentLinkSigner(key=KEY) != PaymentLinkSigner(key=KEY)  # keys are never compared


_TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ "  # noqa: S105 - an alphabet


@given(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("C", "Z")), min_size=1, max_size=40),
    st.integers(min_value=1, max_value=10**6),
    st.data(),
)
def test_o5_any_single_character_change_is_refused(order_id: str, minutes: int, data: st.DataObject) -> None:
    token = SIGNER.issue(order_id, T0 + dt.timedelta(minutes=minutes))
    assert SIGNER.verify(token, T0) == order_id
    position = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from(_TOKEN_CHARS))
    assume(replacement != token[position])
    changed = token[:position] + replacement + token[position + 1 :]
    with pytest.raises(ValidationError, match="malformed or was altered"):
        SIGNER.verify(changed, T0)


@given(st.data())
def test_o5_dropping_or_adding_a_character_is_refused(data: st.DataObject) -> None:
    token = SIGNER.issue("ord-1", EXPIRES)
    position = data.draw(st.integers(0, len(token) - 1))
    for changed in (token[:position] + token[position + 1 :], token[:position] + "A" + token[position:]):
        with pytest.raises(ValidationError, match="malformed or was altered"):
            SIGNER.verify(changed, T0)
