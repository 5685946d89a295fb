"""VNPT oneSME: one company registers four subscriptions, online (ON) and in cash (OS).

oneSME sells 1-cycle packages (one pricing option) and multi-cycle packages (the buyer picks how many
monthly cycles), with add-on services priced per cycle, and lets the buyer pick one promotion for the
package, one for each add-on service and one for the whole invoice (C1, C3, P1, P3, P5). Through the
application services on the in-memory adapters, with a manual clock, Công ty CP Công nghệ Sao Việt:

* ON flow: registers the 1-cycle package and then the 12-cycle package, each with an add-on service and a
  promotion at each of the three levels, and pays through VNPT Pay by international card: active at once
  (Y2);
* OS flow: registers the 1-cycle package and a 6-cycle package, again with promotions, and pays in cash
  ("send the order only"); once VNPT staff record the cash, each subscription is active by the end of the
  next business day, here after the Vietnam Cultural Day holiday of Tue 2026-11-24 (Y3, D4);
* opens the subscription list and each subscription's detail: quotas granted and used, seats, expiry,
  payment method, invoices and history (S7, S8).

Run: ``python examples/onesme.py``. :func:`run` returns the facts the narrative tells, for the tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import attrs

from subscription_core import (
    VIETNAM_TZ,
    AddonSelection,
    AmountOff,
    Money,
    PercentOff,
    PlanSelection,
    Promotion,
    Scope,
    Selection,
    eligible_promotions,
    load_catalog,
    local_date,
)
from subscription_core.customers import Actor, Customer, InvoiceInfo, Party
from subscription_core.orders import Order
from subscription_core.payments import MethodKind, PaymentMethod
from subscription_core.services import (
    AddonChoice,
    Checkout,
    NewPurchase,
    Services,
    SubscriptionDetail,
    handle_notification,
    place_order,
    record_offline_payment,
    run_scheduler,
    start_payment,
    subscription_details,
)
from subscription_core.subscriptions import State
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer, RecordingNotifier
from subscription_core_adapters.local import ManualClock, SequentialIds

CATALOG = Path(__file__).resolve().parent / "catalogs" / "onesme.toml"
VNPT_PAY = "vnptpay"
CASHIER = "vnpt-cashier"
COMPANY = "cus-saoviet"
ADMIN = Actor.customer_user("u-admin", COMPANY)
STAFF = Actor.staff("st-vnpt-thu")


def vnd(amount: int) -> Money:
    """An amount in whole đồng."""
    return Money.of(amount, "VND")


PROMOTIONS = (
    Promotion(code="START-20", scope=Scope.PACKAGE, benefit=PercentOff(percent=Decimal(20)), targets={"onesme-start"}),
    Promotion(code="BIZ-10", scope=Scope.PACKAGE, benefit=PercentOff(percent=Decimal(10)), targets={"onesme-business"}),
    Promotion(code="BACKUP-50", scope=Scope.ADDON, benefit=PercentOff(percent=Decimal(50)), targets={"onesme-backup"}),
    Promotion(code="CARE-100K", scope=Scope.ADDON, benefit=AmountOff(amount=vnd(100_000)),
              targets={"onesme-support-247"}),
    Promotion(code="SME-5", scope=Scope.INVOICE, benefit=PercentOff(percent=Decimal(5), cap=vnd(200_000))),
    Promotion(code="WELCOME-30K", scope=Scope.INVOICE, benefit=AmountOff(amount=vnd(30_000)), min_amount=vnd(150_000)),
)  # fmt: skip
"""The promotions VNPT runs (P1, P2): two per level, all chosen from a list rather than typed in (P3)."""


def local(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    """An instant in Hà Nội time."""
    return dt.datetime(year, month, day, hour, tzinfo=VIETNAM_TZ)


@attrs.frozen(kw_only=True)
class World:
    """The services on a fresh in-memory store, and the fakes and clock behind them."""

    deps: Services
    clock: ManualClock
    vnpt_pay: FakePaymentProvider
    issuer: MemoryInvoiceIssuer

    def at(self, when: dt.datetime) -> str:
        """Move the clock to ``when`` and return its local date, for the narrative."""
        self.clock.set(when)
        return local_date(when).isoformat()


def make_world() -> World:
    """Wire oneSME: VNPT Pay takes the online methods (ON), VNPT's cashier desk takes cash and transfers (OS)."""
    clock = ManualClock(local(2026, 11, 19))
    vnpt_pay = FakePaymentProvider(VNPT_PAY, b"vnpt-pay-demo-signing-key-0123456789ab")
    cashier = FakePaymentProvider(
        CASHIER,
        b"vnpt-cashier-demo-signing-key-012345678",
        methods=[MethodKind.CASH, MethodKind.BANK_TRANSFER],
        bank="VietinBank",
        account="113000000000",
        account_name="TONG CONG TY DICH VU VIEN THONG",
    )
    offline = (MethodKind.CASH, MethodKind.BANK_TRANSFER)
    issuer = MemoryInvoiceIssuer(series="1C26TVN", clock=clock)
    deps = bootstrap_memory(
        load_catalog(CATALOG),
        clock=clock,
        ids=SequentialIds(),
        providers={VNPT_PAY: vnpt_pay, CASHIER: cashier},
        routes={kind: CASHIER if kind in offline else VNPT_PAY for kind in MethodKind},
        invoices=issuer,
        notifier=RecordingNotifier(),
        link_key=b"onesme-demo-payment-link-key-0123456789",
    )
    details = Party(
        unit_name="Công ty CP Công nghệ Sao Việt",
        address="Tầng 5, 57 Huỳnh Thúc Kháng, Đống Đa, Hà Nội",
        email="admin@saoviet.tech",
        tax_code="3101234560",
        phone="0243 555 8888",
    )
    company = Customer(
        id=COMPANY,
        name=details.unit_name,
        tax_code="3101234560",
        subscriber=details,
        invoice=InvoiceInfo.same_as(details),
        buyers={ADMIN.id},
    )
    with deps.uow() as uow:  # the host's records: no use case creates customers or promotions
        uow.customers.add(company)
        for promotion in PROMOTIONS:
            uow.promotions.add(promotion)
        uow.commit()
    return World(deps=deps, clock=clock, vnpt_pay=vnpt_pay, issuer=issuer)


def choose_promotions(world: World, plan: str, option: str, addons: Sequence[str]) -> tuple[str, ...]:
    """The first promotion listed at each level, as the buyer picks them on step 1 (P3, P5).

    No use case lists the promotions an order is eligible for, so the domain's ``eligible_promotions`` is
    asked with the host's own list (it does not see redemptions already counted in the store).
    """
    selections: list[Selection] = [PlanSelection(plan=plan, option=option)]
    selections += [AddonSelection(addon=code) for code in addons]
    listed = eligible_promotions(world.deps.catalog, selections, as_of=local_date(world.clock.now()), book=PROMOTIONS)
    picked: dict[tuple[Scope, frozenset[str]], str] = {}
    for promotion in listed:
        picked.setdefault((promotion.scope, promotion.targets), promotion.code)
    return tuple(picked.values())


def register(world: World, plan: str, option: str, addons: Sequence[str], key: str) -> Order:
    """Step 1 and 2 of "Thanh toán dịch vụ": package, cycles, add-on services, promotions, confirmation (O3)."""
    codes = choose_promotions(world, plan, option, addons)
    request = NewPurchase(
        customer_id=COMPANY, plan=plan, option=option, addons=[AddonChoice(addon=code) for code in addons], codes=codes
    )
    return place_order(world.deps, ADMIN, request, Checkout(confirmed=True), idempotency_key=key)


def pay_on(world: World, order: Order) -> None:
    """The ON flow: VNPT Pay by international card, confirmed by VNPT Pay's signed callback (Y2)."""
    start_payment(
        world.deps,
        ADMIN,
        order_id=order.id,
        method=PaymentMethod.international_card(),
        idempotency_key=f"pay-{order.id}",
    )
    handle_notification(world.deps, VNPT_PAY, world.vnpt_pay.notify(order, event_id=f"vnptpay-{order.id}"))


def pay_os(world: World, order: Order) -> dict[str, str]:
    """The OS flow: "send the order only" and pay in cash; return the payment instructions (Y3)."""
    started = start_payment(
        world.deps, ADMIN, order_id=order.id, method=PaymentMethod.cash(), idempotency_key=f"pay-{order.id}"
    )
    return dict(started.instructions)


def promotions_line(order: Order) -> str:
    """The promotions an order applied, by level, with what each took off."""
    return ", ".join(f"{a.scope.value} {a.code} -{a.amount}" for a in order.applied)


@attrs.frozen(kw_only=True)
class Registered:
    """One registration: its flow, order and the scopes of the promotions applied."""

    flow: str
    order_id: str
    subscription_id: str
    total: Money
    scopes: tuple[Scope, ...]


@attrs.frozen(kw_only=True)
class Story:
    """What happened, as the tests check it."""

    lines: tuple[str, ...]
    registered: tuple[Registered, ...]
    activation_deadline: dt.date
    states_before_deadline: tuple[State, ...]
    details: tuple[SubscriptionDetail, ...]


def _register_and_report(
    world: World, out: list[str], flow: str, plan: str, option: str, addons: Sequence[str], key: str
) -> tuple[Order, Registered]:
    order = register(world, plan, option, addons, key)
    scopes = tuple(a.scope for a in order.applied)
    lines = " + ".join(f"{line.description}" for line in order.lines)
    out.append(f"{local_date(world.clock.now())}  {flow}: {lines} = {order.subtotal}")
    out.append(f"              promotions: {promotions_line(order)}; VAT {order.vat_total}; total {order.grand_total}")
    registered = Registered(
        flow=flow, order_id=order.id, subscription_id=order.lines[0].ref, total=order.grand_total, scopes=scopes
    )
    return order, registered


def _online(world: World, out: list[str]) -> list[Registered]:
    world.at(local(2026, 11, 19, 10))
    one, first = _register_and_report(world, out, "ON 1-cycle", "onesme-start", "1m", ["onesme-backup"], "on-1")
    pay_on(world, one)
    world.at(local(2026, 11, 19, 15))
    many, second = _register_and_report(
        world, out, "ON 12-cycle", "onesme-business", "12m", ["onesme-backup", "onesme-support-247"], "on-12"
    )
    pay_on(world, many)
    out.append("              both paid through VNPT Pay by international card: active at once.")
    return [first, second]


def _cash(world: World, out: list[str]) -> tuple[list[Registered], dt.date, tuple[State, ...]]:
    world.at(local(2026, 11, 20, 9))
    one, first = _register_and_report(world, out, "OS 1-cycle", "onesme-start", "1m", ["onesme-backup"], "os-1")
    told = pay_os(world, one)
    many, second = _register_and_report(
        world, out, "OS 6-cycle", "onesme-business", "6m", ["onesme-support-247"], "os-6"
    )
    pay_os(world, many)
    out.append(
        f"              sent as orders only: pay {Money.of(told['amount'], told['currency'])} in cash, "
        f"reference {told['transfer_content']}."
    )
    day = world.at(local(2026, 11, 23, 16))
    for order in (one, many):
        record_offline_payment(
            world.deps,
            STAFF,
            order_id=order.id,
            method=PaymentMethod.cash(),
            amount=order.grand_total,
            reason="cash received at the Đống Đa counter",
            idempotency_key=f"cash-{order.id}",
        )
    with world.deps.uow() as uow:  # neither the detail view nor the history shows the activation deadline
        pending = uow.subscriptions.get(first.subscription_id).pending
    if pending is None:
        raise SystemExit("the cash recorded should await activation")
    deadline = local_date(pending.activate_by)
    world.at(local(2026, 11, 25, 12))
    run_scheduler(world.deps)
    views = {d.id: d.state for d in subscription_details(world.deps, ADMIN, COMPANY)}
    waiting = (views[first.subscription_id], views[second.subscription_id])
    out.append(
        f"{day}  (Mon) VNPT staff record the cash; active by the end of {deadline:%a} {deadline} after "
        f"the Tue 24/11 holiday; at noon on 25/11 still {waiting[0].value}."
    )
    world.at(local(2026, 11, 26, 0))
    run_scheduler(world.deps)
    return [first, second], deadline, waiting


def _detail_lines(views: Sequence[SubscriptionDetail]) -> list[str]:
    out = []
    for view in views:
        quotas = ", ".join(f"{q.code} {q.used}/{q.granted}" for q in view.resources.quotas)
        method = view.payment_method.kind.value if view.payment_method else "none"
        events = " > ".join(entry.event.value for entry in view.history)
        invoices = ", ".join(i.number for i in view.invoices)
        notes = "".join(f"; note by {n.actor.id}: {n.reason}" for n in view.staff_changes)
        out.append(
            f"  {view.id} {view.plan_code} {view.state.value} until {view.resources.last_day}; {quotas}; "
            f"paid by {method}; invoice {invoices}; history {events}{notes}"
        )
    return out


def run() -> Story:
    """Play the user guide's story through the services and return what happened."""
    world = make_world()
    out: list[str] = ["VNPT oneSME: ON and OS registrations"]
    online = _online(world, out)
    cash, deadline, waiting = _cash(world, out)
    day = world.at(local(2026, 11, 27, 9))
    registered = (*online, *cash)
    usage = {r.subscription_id: {"invoices": 40 * (i + 1), "seats": 2 + i} for i, r in enumerate(registered)}
    views = subscription_details(world.deps, ADMIN, COMPANY, usage=usage)
    out.append(f"{day}  Quản lý thuê bao: Sao Việt holds {len(views)} subscriptions (quota used/granted):")
    out.extend(_detail_lines(views))
    return Story(
        lines=tuple(out),
        registered=registered,
        activation_deadline=deadline,
        states_before_deadline=waiting,
        details=views,
    )


def main() -> None:
    """Print the narrative."""
    print("\n".join(run().lines))


if __name__ == "__main__":
    main()
