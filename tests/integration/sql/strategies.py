"""Hypothesis strategies for every entity the SQL adapter stores, built through the domain's own verbs.

Instants come in several time zones (UTC, Asia/Ho_Chi_Minh, UTC-05:00), so that the converter's "stored in
UTC" rule is exercised; subscriptions take a random walk through the lifecycle (trials, renewals,
commitments with proofs, expiry, purge, cancellation) so their history mixes the lifecycle's actor and the
customer-side one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from subscription_core import testing
from subscription_core.commitments import commit_to_pay, submit_proof
from subscription_core.customers import Actor, Contact, Customer, InvoiceInfo, Party, check_digit
from subscription_core.errors import SubscriptionError
from subscription_core.invoices import IssuedInvoice
from subscription_core.lifecycle import advance, cancel, start_trial, subscribe
from subscription_core.money import Currency, Money
from subscription_core.notices import Channel, OutboxMessage, notice_kinds
from subscription_core.orders import Order, OrderKind
from subscription_core.payments import Payment, PaymentMethod, PaymentProof
from subscription_core.promotions import Promotion, PurchaseKind
from subscription_core.redemptions import Redemption
from subscription_core.renewals import renew
from subscription_core.subscriptions import Entitlement, Note, Opening, StorageBought, Subscription

from .builders import PRODUCT, STAFF

__all__ = ["ENTITIES", "instants"]

ZONES = (dt.UTC, ZoneInfo("Asia/Ho_Chi_Minh"), dt.timezone(dt.timedelta(hours=-5)))
# hypothesis takes naive bounds and attaches the zones itself.
instants = st.datetimes(
    min_value=dt.datetime(2024, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.sampled_from(ZONES),
)
ids = st.from_regex(r"\A[a-z]{2,4}-[0-9A-Za-z]{1,8}\Z")
_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
words = st.text(alphabet=_LETTERS + _LETTERS.upper() + "0123456789&.-", min_size=1, max_size=12)
names = st.lists(words, min_size=1, max_size=5).map(" ".join)
emails = st.from_regex(r"\A[a-z0-9]([a-z0-9_]{0,8}[a-z0-9])?@[a-z]{1,10}\.(vn|com)\Z")
phones = st.none() | st.from_regex(r"\A\+84[0-9]{9}\Z")


@st.composite
def tax_codes(draw: st.DrawFn) -> str:
    """A valid tax code of any form (U1): enterprise, branch or personal."""
    kind = draw(st.sampled_from(("enterprise", "branch", "personal")))
    if kind == "personal":
        return draw(testing.personal_numbers())  # U3: a published province code and a fitting century digit
    # U3: the sequence (3rd to 9th digits) is never 0000000.
    head = draw(st.from_regex(r"\A[0-9]{9}\Z").filter(lambda h: h[2:] != "0000000" and check_digit(h) is not None))
    code = f"{head}{check_digit(head)}"
    return code if kind == "enterprise" else f"{code}-{draw(st.integers(1, 999)):03d}"


def parties() -> st.SearchStrategy[Party]:
    """The details of a unit on an order (O2)."""
    return st.builds(
        Party,
        unit_name=names,
        address=names,
        email=emails,
        tax_code=st.none() | tax_codes(),
        phone=phones,
    )


actors = st.one_of(
    st.builds(Actor.staff, ids),
    st.builds(Actor.customer_user, ids, ids),
    st.builds(Actor.accountant, ids),
    st.just(Actor.scheduler()),
)


@st.composite
def customers(draw: st.DrawFn) -> Customer:
    """A customer with any of its optional details."""
    subscriber = draw(parties())
    invoice = draw(st.sampled_from((InvoiceInfo.same_as(subscriber), InvoiceInfo.of(draw(parties())))))
    return Customer(
        id=draw(ids),
        name=draw(names),
        tax_code=draw(tax_codes()),
        subscriber=subscriber,
        invoice=invoice,
        business_code=draw(st.none() | ids),
        accountant_id=draw(st.none() | ids),
        buyers=draw(st.frozensets(ids, max_size=4)),
        version=draw(st.integers(0, 50)),
    )


_ENTERPRISE_WITH_STORAGE = Entitlement.of(PRODUCT, "ENT", "1Y").with_storage(
    (StorageBought(addon="STO", units=2, amount=10),)
)


def _steps(draw: st.DrawFn) -> list[Callable[[Subscription, dt.datetime], Subscription]]:
    actor = draw(actors)
    return [
        lambda s, t: advance(s, t).subscription,
        lambda s, t: renew(s, Entitlement.of(PRODUCT, "STD", "1Y"), t, actor=actor).subscription,
        lambda s, t: renew(s, _ENTERPRISE_WITH_STORAGE, t, actor=actor).subscription,  # a later term waits (S10)
        lambda s, t: (
            commit_to_pay(s, t, due_on=t.date() + dt.timedelta(days=30), pledged=True, actor=actor).subscription
        ),
        lambda s, t: submit_proof(s, t, transfer_content="CK 001", attachment="file-1", actor=actor).subscription,
        lambda s, t: cancel(s, t, actor=actor, reason="closing down").subscription,
    ]


@st.composite
def subscriptions(draw: st.DrawFn) -> Subscription:
    """A subscription after a random walk through its lifecycle: whatever steps the rules allow."""
    opening = Opening(subscription_id=draw(ids), customer_id=draw(ids), product=PRODUCT)
    start, actor = draw(instants), draw(actors)
    if draw(st.booleans()):
        sub = start_trial(opening, PRODUCT.plans[0], start, actor=actor).subscription
    else:
        option = draw(st.sampled_from((("STD", "1M"), ("STD", "1Y"), ("ENT", "1Y"))))
        sub = subscribe(opening, Entitlement.of(PRODUCT, *option), start, actor=actor).subscription
    steps = _steps(draw)
    for _ in range(draw(st.integers(0, 5))):
        when = sub.history[-1].at + dt.timedelta(hours=draw(st.integers(0, 24 * 400)))
        try:
            sub = draw(st.sampled_from(steps))(sub, when)
        except SubscriptionError:
            continue  # a step the rules refuse in this state
    for _ in range(draw(st.integers(0, 2))):  # S8: notes of several lines, by anyone
        text = draw(st.text(alphabet="Ghi nhớ: gia hạn\n\t.", min_size=1, max_size=40).filter(str.strip))
        sub = sub.with_note(Note(at=sub.history[-1].at, author=draw(actors), text=text))
    return sub


@st.composite
def orders(draw: st.DrawFn, *, awaiting_payment: bool = False) -> Order:
    """An order priced from a random catalog and promotions, in any state of O4 (or placed, if asked)."""
    inputs = draw(testing.quote_inputs())
    priced = inputs.quote()
    new = priced.purchase is PurchaseKind.NEW
    subscriber = draw(parties())
    created = draw(instants)
    order = Order.from_quote(
        priced,
        id=draw(ids),
        kind=OrderKind.NEW_PURCHASE if new else OrderKind.RENEWAL,
        customer_id=draw(ids),
        subscriber=subscriber,
        invoice=InvoiceInfo.same_as(subscriber) if draw(st.booleans()) else InvoiceInfo.of(draw(parties())),
        placed_by=draw(actors),
        idempotency_key=draw(ids),
        at=created,
        subscription_id=None if new else draw(ids),
        notify=draw(st.none() | st.builds(Contact, name=names, email=emails, phone=phones)),
    )
    if not awaiting_payment and draw(st.booleans()):
        return order
    order = order.place(at=created, pay_by=created + dt.timedelta(days=draw(st.integers(1, 30))), confirmed=True)
    then = created + dt.timedelta(hours=draw(st.integers(0, 24 * 40)))
    ending = (
        "placed" if awaiting_payment else draw(st.sampled_from(("placed", "paid", "fulfilled", "cancelled", "lapsed")))
    )
    if ending in ("paid", "fulfilled"):
        order = order.mark_paid(at=then, payment_id=draw(ids), by=STAFF)
    if ending == "fulfilled":
        order = order.fulfil(at=then, by=STAFF)
    if ending == "cancelled":
        order = order.cancel(at=then, by=draw(actors), reason="changed mind")
    if ending == "lapsed" and order.pay_by is not None:
        order = order.lapse(at=max(then, order.pay_by), by=STAFF)
    return order


@st.composite
def promotions(draw: st.DrawFn) -> Promotion:
    """A promotion of any scope, benefit, window and limits."""
    return draw(testing.promotions(draw(testing.catalogs())).filter(bool).map(lambda found: found[0]))


_METHODS = (
    PaymentMethod.domestic_card("VCB"),
    PaymentMethod.e_wallet("MOMO"),
    PaymentMethod.international_card(),
    PaymentMethod.bank_transfer(),
    PaymentMethod.cash(),
)


@st.composite
def payments(draw: st.DrawFn) -> Payment:
    """A payment of a placed order: started, succeeded, received offline or failed (Y1-Y3)."""
    placed = draw(orders(awaiting_payment=True))
    method = draw(st.sampled_from(_METHODS))
    started = draw(instants)
    payment = Payment.start(id=draw(ids), order=placed, method=method, at=started)
    later = started + dt.timedelta(minutes=draw(st.integers(0, 10_000)))
    ending = draw(st.sampled_from(("started", "settled", "failed")))
    if ending == "failed":
        return payment.fail(at=later, reason="declined")
    if ending == "settled" and method.is_online:
        return payment.succeed(at=later, provider_ref=draw(ids))
    if ending == "settled":
        return payment.receive(amount=payment.amount, at=later, by=STAFF)
    return payment


@st.composite
def proofs(draw: st.DrawFn) -> PaymentProof:
    """A proof of payment, submitted, verified or rejected (Y4)."""
    submitted = draw(instants)
    proof = PaymentProof(
        id=draw(ids),
        order_id=draw(ids),
        transfer_content=draw(names),
        attachment=draw(ids),
        submitted_at=submitted,
        submitted_by=draw(actors),
    )
    later = submitted + dt.timedelta(hours=draw(st.integers(0, 100)))
    return draw(
        st.sampled_from(
            (proof, proof.verify(at=later, by=STAFF), proof.reject(at=later, by=STAFF, reason="unreadable image"))
        )
    )


@st.composite
def redemptions(draw: st.DrawFn) -> Redemption:
    """A redemption, reserved, consumed or released (P9)."""
    reserved = draw(instants)
    held = Redemption(code=draw(ids), order_id=draw(ids), customer_id=draw(ids), reserved_at=reserved)
    later = reserved + dt.timedelta(hours=draw(st.integers(0, 100)))
    return draw(st.sampled_from((held, held.consume(later), held.release(later))))


def _money() -> st.SearchStrategy[Money]:
    return st.sampled_from(("VND", "USD", "JPY")).flatmap(lambda code: testing.amounts(Currency.of(code)))


invoices = st.builds(
    IssuedInvoice,
    order_id=ids,
    part=st.integers(0, 20),
    series=st.from_regex(r"\A[0-9][CK][0-9]{2}[A-Z]{3}\Z"),
    number=st.from_regex(r"\A[0-9]{8}\Z"),
    issued_at=instants,
    grand_total=_money(),
)

messages = st.builds(
    OutboxMessage,
    id=ids,
    kind=st.sampled_from(sorted(notice_kinds())),
    channel=st.sampled_from(Channel),
    recipient=emails,
    subject_id=ids,
    created_at=instants,
    data=st.dictionaries(words, names, max_size=4),
)

ENTITIES: dict[type, st.SearchStrategy[object]] = {
    Customer: customers(),
    Subscription: subscriptions(),
    Order: orders(),
    Promotion: promotions(),
    Payment: payments(),
    PaymentProof: proofs(),
    Redemption: redemptions(),
    IssuedInvoice: invoices,
    OutboxMessage: messages,
}
"""A strategy for every entity the adapter stores as a JSON document."""
