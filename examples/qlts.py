"""MISA QLTS: public-sector units renew on a commitment to pay later.

Public units pay through the State Treasury, often after their licence runs out, so QLTS lets them renew
on a *commitment*: they enter a payment due date, tick "I commit to pay on time", and keep working until
then (K1). Through the application services on the in-memory adapters, with a manual clock:

* Trường THCS Nguyễn Du registers its renewal on a commitment before its licence expires, and works on
  past the old expiry date (K1);
* near the first due date it asks for a second commitment, at most 180 days after the registration (K3);
  a third is refused (K3);
* it submits proof of payment, the transfer content and a scan of the treasury withdrawal slip; MISA staff
  verify it and the renewal becomes official, with its new term (Y4, K5);
* Phòng Tài chính – Kế hoạch huyện Ba Vì registers a commitment and never pays: at its due date it is cut
  off and its order is closed (K4).

Run: ``python examples/qlts.py``. :func:`run` returns the facts the narrative tells, for the tests.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs

from subscription_core import VIETNAM_TZ, Money, NotEligibleError, load_catalog, local_date
from subscription_core.customers import Actor, Customer, InvoiceInfo, Party
from subscription_core.orders import OrderState
from subscription_core.payments import PaymentMethod
from subscription_core.services import (
    Checkout,
    NewPurchase,
    Services,
    SubscriptionDetail,
    extend_commitment,
    handle_notification,
    place_order,
    register_commitment,
    relay_outbox,
    run_scheduler,
    start_payment,
    submit_payment_proof,
    subscription_details,
    verify_payment_proof,
)
from subscription_core.subscriptions import State
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer, RecordingNotifier
from subscription_core_adapters.local import ManualClock, SequentialIds

CATALOG = Path(__file__).resolve().parent / "catalogs" / "qlts.toml"
PROVIDER = "vnpay"
NGUYEN_DU = Actor.customer_user("u-nguyendu", "cus-nguyendu")
BA_VI = Actor.customer_user("u-bavi", "cus-bavi")
STAFF = Actor.staff("st-minh")
NAMES = {NGUYEN_DU.id: "Nguyễn Du", BA_VI.id: "Ba Vì"}
COPY_LICENCE = Checkout(confirmed=True, invoice_same_as_subscriber=True)  # "Sao chép thông tin giấy phép"


def local(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    """An instant in Hà Nội time."""
    return dt.datetime(year, month, day, hour, tzinfo=VIETNAM_TZ)


@attrs.frozen(kw_only=True)
class World:
    """The services on a fresh in-memory store, and the fakes and clock behind them."""

    deps: Services
    clock: ManualClock
    provider: FakePaymentProvider
    notifier: RecordingNotifier

    def at(self, when: dt.datetime) -> str:
        """Move the clock to ``when`` and return its local date, for the narrative."""
        self.clock.set(when)
        return local_date(when).isoformat()


def _unit(customer_id: str, name: str, tax_code: str, buyer: str) -> Customer:
    email = f"ketoan@{customer_id.removeprefix('cus-')}.edu.vn"
    details = Party(unit_name=name, address="Hà Nội", email=email, tax_code=tax_code)
    return Customer(
        id=customer_id,
        name=name,
        tax_code=tax_code,
        subscriber=details,
        invoice=InvoiceInfo.same_as(details),
        business_code=f"QHNS-{tax_code[-7:]}",  # the budget unit's relationship code
        buyers={buyer},
    )


def make_world() -> World:
    """Wire QLTS with one payment gateway and two public units."""
    clock = ManualClock(local(2026, 1, 8))
    provider = FakePaymentProvider(PROVIDER, b"qlts-demo-signing-key-0123456789abcdef")
    notifier = RecordingNotifier()
    deps = bootstrap_memory(
        load_catalog(CATALOG),
        clock=clock,
        ids=SequentialIds(),
        providers={PROVIDER: provider},
        invoices=MemoryInvoiceIssuer(series="1C27TQL", clock=clock),
        notifier=notifier,
        link_key=b"qlts-demo-payment-link-key-0123456789",
    )
    with deps.uow() as uow:  # the host's customer records: no use case creates customers
        uow.customers.add(_unit("cus-nguyendu", "Trường THCS Nguyễn Du", "0107801235", "u-nguyendu"))
        uow.customers.add(_unit("cus-bavi", "Phòng Tài chính – Kế hoạch huyện Ba Vì", "0200456128", "u-bavi"))
        uow.commit()
    return World(deps=deps, clock=clock, provider=provider, notifier=notifier)


def view_of(world: World, actor: Actor) -> SubscriptionDetail:
    """The unit's one subscription as it is now (S7, S8)."""
    (view,) = subscription_details(world.deps, actor, str(actor.customer_id))
    return view


def buy_licence(world: World, actor: Actor, plan: str) -> SubscriptionDetail:
    """The unit buys a year of ``plan`` and pays by card (Y2)."""
    customer_id = str(actor.customer_id)
    order = place_order(
        world.deps,
        actor,
        NewPurchase(customer_id=customer_id, plan=plan, option="1y"),
        COPY_LICENCE,
        idempotency_key=f"buy-{customer_id}",
    )
    start_payment(
        world.deps,
        actor,
        order_id=order.id,
        method=PaymentMethod.domestic_card("BIDV"),
        idempotency_key=f"pay-{order.id}",
    )
    handle_notification(world.deps, PROVIDER, world.provider.notify(order, event_id=f"evt-{order.id}"))
    return view_of(world, actor)


def commit(world: World, actor: Actor, due_on: dt.date) -> tuple[str, Money, dt.date]:
    """Register a renewal on a commitment to pay by ``due_on`` (K1); return its order, total and deadline."""
    order = register_commitment(
        world.deps,
        actor,
        subscription_id=view_of(world, actor).id,
        due_on=due_on,
        pledged=True,
        checkout=COPY_LICENCE,
        idempotency_key=f"commit-{actor.id}",
    )
    if order.pay_by is None:
        raise SystemExit("a placed order has a payment deadline")
    return order.id, order.grand_total, local_date(order.pay_by)


@attrs.frozen(kw_only=True)
class PaidLater:
    """Nguyễn Du: renewed on commitment, a second commitment, a third refused, proof verified (K1-K5, Y4)."""

    old_last_day: dt.date | None
    commitment_total: Money
    order_pay_by: dt.date
    state_after_old_expiry: State
    second_due_on: dt.date
    third_refusal: NotEligibleError
    order_state: OrderState
    state: State
    new_last_day: dt.date | None


@attrs.frozen(kw_only=True)
class CutOff:
    """Ba Vì: renewed on commitment and never paid (K4)."""

    order_id: str
    state: State
    closed_orders: tuple[str, ...]
    notices: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Story:
    """What happened, as the tests check it."""

    lines: tuple[str, ...]
    nguyen_du: PaidLater
    ba_vi: CutOff


def _third_refused(world: World, subscription_id: str, due_on: dt.date) -> NotEligibleError:
    try:
        extend_commitment(
            world.deps, NGUYEN_DU, subscription_id=subscription_id, due_on=due_on, pledged=True, idempotency_key="third"
        )
    except NotEligibleError as refused:
        return refused
    raise SystemExit("a third commitment should have been refused")


def _nguyen_du(world: World, out: list[str], bought: SubscriptionDetail) -> PaidLater:
    deps = world.deps
    day = world.at(local(2026, 12, 28))
    run_scheduler(deps)  # the yellow banner: expiry warnings 30, 15, 7 days ahead (S3)
    first_due = dt.date(2027, 2, 26)
    order_id, total, pay_by = commit(world, NGUYEN_DU, first_due)
    out.append(
        f"{day}  Nguyễn Du renews for 1 year ({total}) on a commitment to pay by {first_due}; "
        f"order {order_id} awaits payment until {pay_by} (registration + 180 days)."
    )
    day = world.at(local(2027, 1, 20))
    run_scheduler(deps)
    after_expiry = view_of(world, NGUYEN_DU).state
    out.append(f"{day}  Past its old expiry date the unit still works: {after_expiry.value}.")
    day = world.at(local(2027, 2, 22))
    run_scheduler(deps)  # reminders before the due date (K2)
    second_due = dt.date(2027, 5, 29)
    extend_commitment(
        deps, NGUYEN_DU, subscription_id=bought.id, due_on=second_due, pledged=True, idempotency_key="second"
    )
    out.append(f"{day}  The treasury has not paid yet: a second commitment, to pay by {second_due}.")
    day = world.at(local(2027, 5, 20))
    third = _third_refused(world, bought.id, dt.date(2027, 6, 20))
    out.append(f"{day}  A third commitment is refused [{third.rule}]: {third.message}.")
    day = world.at(local(2027, 5, 25, 10))
    proof = submit_payment_proof(
        deps,
        NGUYEN_DU,
        order_id=order_id,
        transfer_content=f"Thanh toan phan mem QLTS {order_id}",
        attachment="giay-rut-du-toan-2027-05-25.jpg",
        idempotency_key="proof",
    )
    paid = verify_payment_proof(
        deps, STAFF, proof_id=proof.id, reason="treasury slip matches the bank statement", idempotency_key="verify"
    )
    official = view_of(world, NGUYEN_DU)
    out.append(
        f"{day}  It sends the treasury withdrawal slip; staff verify it: order {paid.state.value}, "
        f"licence {official.state.value} until {official.resources.last_day}."
    )
    return PaidLater(
        old_last_day=bought.resources.last_day,
        commitment_total=total,
        order_pay_by=pay_by,
        state_after_old_expiry=after_expiry,
        second_due_on=second_due,
        third_refusal=third,
        order_state=paid.state,
        state=official.state,
        new_last_day=official.resources.last_day,
    )


def _ba_vi(world: World, out: list[str]) -> CutOff:
    day = world.at(local(2027, 6, 1))
    due = dt.date(2027, 7, 30)
    order_id, _, _ = commit(world, BA_VI, due)
    out.append(f"{day}  Ba Vì renews on a commitment to pay by {due}, then neither pays nor asks for more time.")
    for daily in range(20, 31):  # the host runs the scheduler every night; it reminds 7, 3 and 1 days ahead (K2)
        world.at(local(2027, 7, daily, 0))
        run_scheduler(world.deps)
    day = world.at(local(2027, 7, 31, 0))
    run = run_scheduler(world.deps)
    cut = view_of(world, BA_VI)
    while relay_outbox(world.deps).sent:
        pass
    since = local(2027, 6, 1)
    notices = tuple(
        m.kind + (f" (D-{dict(m.data)['days_left']})" if "days_left" in dict(m.data) else "")
        for m in world.notifier.sent
        if m.recipient == "cus-bavi" and m.created_at >= since
    )
    out.append(
        f"{day}  At the end of {due} Ba Vì is {cut.state.value} and order {', '.join(run.cancelled)} closed; "
        f"its notices: {', '.join(notices)}."
    )
    return CutOff(order_id=order_id, state=cut.state, closed_orders=run.cancelled, notices=notices)


def run() -> Story:
    """Play the user guide's story through the services and return what happened."""
    world = make_world()
    out: list[str] = ["MISA QLTS: renewal on commitment"]
    bought = {}
    for when, actor, plan in (
        (local(2026, 1, 8), NGUYEN_DU, "qlts-unit"),
        (local(2026, 6, 10), BA_VI, "qlts-authority"),
    ):
        day = world.at(when)
        bought[actor.id] = view = buy_licence(world, actor, plan)
        out.append(f"{day}  {NAMES[actor.id]} buys a 1-year {view.plan_code} licence, until {view.resources.last_day}.")
    nguyen_du = _nguyen_du(world, out, bought[NGUYEN_DU.id])
    ba_vi = _ba_vi(world, out)
    return Story(lines=tuple(out), nguyen_du=nguyen_du, ba_vi=ba_vi)


def main() -> None:
    """Print the narrative."""
    print("\n".join(run().lines))


if __name__ == "__main__":
    main()
