"""MISA AMIS Accounting: staff sell a data-retention package to a customer whose licence expired.

Thirty days after a licence expires its data is purged, unless the customer buys a data-retention package,
which keeps the data as a read-only archive (S4, S5). Through the application services on the in-memory
adapters, with a manual clock, MISA staff (MISA Store Support):

* find the customer by tax code (U2) and try to sell the package while its licence still runs: refused,
  with the reason and the licence's last day (S5);
* try it for another customer whose data was purged already: refused, with the purge date (S5);
* once the first licence has expired, place the order on the customer's behalf with the invoice e-mail
  checked and corrected (O5, I2), and hand the customer a payment link (O5);
* the customer opens the link, sees the package, the licence and the total, and pays by card (Y2);
* the account is now a read-only archive: the host's write guard refuses every add, edit or delete (S5).

Run: ``python examples/amis_accounting.py``. :func:`run` returns the facts the narrative tells, for the tests.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs

from subscription_core import VIETNAM_TZ, Money, NotEligibleError, ReadOnlyError, load_catalog, local_date
from subscription_core.customers import Actor, Customer, InvoiceInfo, Party
from subscription_core.payments import PaymentMethod
from subscription_core.retention import Access, access, ensure_writable
from subscription_core.services import (
    Checkout,
    NewPurchase,
    RetentionPackage,
    Services,
    SubscriptionDetail,
    handle_notification,
    issue_payment_link,
    open_payment_link,
    pay_by_link,
    place_order,
    relay_outbox,
    run_scheduler,
    search_customers,
    start_payment,
    subscription_details,
)
from subscription_core.subscriptions import State
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer, RecordingNotifier
from subscription_core_adapters.local import ManualClock, SequentialIds

CATALOG = Path(__file__).resolve().parent / "catalogs" / "amis_accounting.toml"
PROVIDER = "vnpay"
RETENTION = "amis-acc-retention"
AN_PHAT = Actor.customer_user("u-anphat", "cus-anphat")
BINH_MINH = Actor.customer_user("u-binhminh", "cus-binhminh")
STAFF = Actor.staff("st-hoa")
CONFIRMED = Checkout(confirmed=True)


def local(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    """An instant in Hà Nội time."""
    return dt.datetime(year, month, day, hour, tzinfo=VIETNAM_TZ)


@attrs.frozen(kw_only=True)
class World:
    """The services on a fresh in-memory store, and the fakes and clock behind them."""

    deps: Services
    clock: ManualClock
    provider: FakePaymentProvider
    issuer: MemoryInvoiceIssuer
    notifier: RecordingNotifier

    def at(self, when: dt.datetime) -> str:
        """Move the clock to ``when`` and return its local date, for the narrative."""
        self.clock.set(when)
        return local_date(when).isoformat()


def make_world() -> World:
    """Wire AMIS Accounting with one payment gateway taking every method, and two customers."""
    clock = ManualClock(local(2025, 11, 10))
    provider = FakePaymentProvider(PROVIDER, b"vnpay-demo-signing-key-0123456789abc")
    issuer = MemoryInvoiceIssuer(series="1C27TAA", clock=clock)
    notifier = RecordingNotifier()
    deps = bootstrap_memory(
        load_catalog(CATALOG),
        clock=clock,
        ids=SequentialIds(),
        providers={PROVIDER: provider},
        invoices=issuer,
        notifier=notifier,
        link_key=b"amis-accounting-demo-link-key-0123456789",
    )
    with deps.uow() as uow:  # the host's customer records: no use case creates customers
        uow.customers.add(_company("cus-anphat", "Công ty TNHH Thương mại An Phát", "0302011015", "u-anphat"))
        uow.customers.add(_company("cus-binhminh", "Công ty CP Bình Minh", "0400456781", "u-binhminh"))
        uow.commit()
    return World(deps=deps, clock=clock, provider=provider, issuer=issuer, notifier=notifier)


def _company(customer_id: str, name: str, tax_code: str, buyer: str) -> Customer:
    email = f"admin@{customer_id.removeprefix('cus-')}.com.vn"
    details = Party(unit_name=name, address="Quận 3, TP. Hồ Chí Minh", email=email, tax_code=tax_code)
    return Customer(
        id=customer_id,
        name=name,
        tax_code=tax_code,
        subscriber=details,
        invoice=InvoiceInfo.same_as(details),
        buyers={buyer},
    )


def buy_licence(world: World, actor: Actor, customer_id: str) -> str:
    """The customer buys AMIS Accounting Standard for a year and pays by card (Y2); return the subscription."""
    request = NewPurchase(customer_id=customer_id, plan="amis-acc-standard", option="1y")
    order = place_order(world.deps, actor, request, CONFIRMED, idempotency_key=f"buy-{customer_id}")
    start_payment(
        world.deps,
        actor,
        order_id=order.id,
        method=PaymentMethod.domestic_card("ACB"),
        idempotency_key=f"pay-{order.id}",
    )
    handle_notification(world.deps, PROVIDER, world.provider.notify(order, event_id=f"evt-{order.id}"))
    return order.lines[0].ref


def view_of(world: World, actor: Actor, customer_id: str) -> SubscriptionDetail:
    """The customer's one subscription as it is now (S7, S8)."""
    (view,) = subscription_details(world.deps, actor, customer_id)
    return view


def refusal_of(world: World, subscription_id: str) -> NotEligibleError:
    """Staff try to order three months of retention for ``subscription_id``: the refusal they get (S5)."""
    request = RetentionPackage(subscription_id=subscription_id, addon=RETENTION, quantity=3)
    try:
        place_order(
            world.deps,
            STAFF,
            request,
            CONFIRMED,
            idempotency_key=f"try-{subscription_id}",
            reason="customer asked by phone",
        )
    except NotEligibleError as refused:
        return refused
    raise SystemExit("the retention package should have been refused")


@attrs.frozen(kw_only=True)
class Story:
    """What happened, as the tests check it."""

    lines: tuple[str, ...]
    found_by_tax_code: str
    refused_while_active: NotEligibleError
    refused_after_purge: NotEligibleError
    purged_state: State
    order_total: Money
    link_total: Money
    link_lines: tuple[str, ...]
    state_after_payment: State
    retention_last_day: dt.date
    access_after_payment: Access
    write_refusal: ReadOnlyError
    invoice_sent_to: tuple[str, ...]


def _refusals(world: World, out: list[str]) -> tuple[str, NotEligibleError, NotEligibleError, State]:
    day = world.at(local(2026, 12, 20, 10))
    run_scheduler(world.deps)
    found = search_customers(world.deps, STAFF, "0302 011 015")
    an_phat = found[0].id
    active = view_of(world, STAFF, an_phat)
    out.append(f"{day}  Staff search tax code 0302 011 015: {found[0].name}, licence {active.state.value}.")
    while_active = refusal_of(world, active.id)
    out.append(f"{day}  Retention refused [{while_active.rule}]: {while_active.message}.")
    purged = view_of(world, STAFF, "cus-binhminh")
    after_purge = refusal_of(world, purged.id)
    out.append(f"{day}  Bình Minh ({purged.state.value}): refused [{after_purge.rule}]: {after_purge.message}.")
    return an_phat, while_active, after_purge, purged.state


def _order_and_link(world: World, out: list[str], subscription_id: str) -> tuple[Money, Money, tuple[str, ...]]:
    day = world.at(local(2027, 1, 12, 9))
    run_scheduler(world.deps)
    expired = view_of(world, STAFF, "cus-anphat")
    # The invoice details are checked with the customer: the order and the invoice go to the chief
    # accountant's address, which must be right (I2).
    invoice = Party(
        unit_name="Công ty TNHH Thương mại An Phát",
        address="Quận 3, TP. Hồ Chí Minh",
        email="ketoantruong@anphat.com.vn",
        tax_code="0302011015",
    )
    request = RetentionPackage(subscription_id=subscription_id, addon=RETENTION, quantity=3)
    order = place_order(
        world.deps,
        STAFF,
        request,
        Checkout(confirmed=True, invoice=invoice, notify=invoice.contact),
        idempotency_key="retention",
        reason="customer asked by phone to keep its data",
    )
    out.append(
        f"{day}  An Phát's licence is {expired.state.value} (last day {expired.resources.last_day}); staff order "
        f"3 months of data retention for it: "
        f"{order.pretax_total} + VAT {order.vat_total} = {order.grand_total}."
    )
    link = issue_payment_link(world.deps, STAFF, order_id=order.id)
    shown = open_payment_link(world.deps, link.token)
    described = tuple(f"{line.description} x{line.quantity}: {line.total}" for line in shown.lines)
    out.append(f"{day}  Staff send a payment link, valid until {local_date(link.expires_at)}; it shows:")
    out.extend(f"              {text}, total to pay {shown.grand_total}" for text in described)
    day = world.at(local(2027, 1, 12, 15))
    pay_by_link(world.deps, link.token, method=PaymentMethod.domestic_card("TCB"), idempotency_key="link-pay")
    handle_notification(world.deps, PROVIDER, world.provider.notify(order, event_id="evt-retention"))
    return order.grand_total, shown.grand_total, described


def _read_only(world: World, out: list[str], subscription_id: str) -> tuple[State, dt.date, Access, ReadOnlyError]:
    now = world.clock.now()
    view = view_of(world, AN_PHAT, "cus-anphat")
    ends = dict(view.history[-1].details)["retention_end"]
    last = dt.date.fromisoformat(ends) - dt.timedelta(days=1)
    out.append(f"{local_date(now)}  Paid by card through the link: the account is {view.state.value} until {last}.")
    # The host guards every write with ensure_writable; no use case returns the subscription itself, so it
    # is read from the repository.
    with world.deps.uow() as uow:
        subscription = uow.subscriptions.get(subscription_id)
    allowed = access(subscription, now)
    try:
        ensure_writable(subscription, now)
    except ReadOnlyError as refused:
        out.append(
            f"{local_date(now)}  Access: {allowed.value}; a new voucher is refused [{refused.rule}]: {refused.message}."
        )
        return view.state, last, allowed, refused
    raise SystemExit("a write to the archive should have been refused")


def run() -> Story:
    """Play the user guide's story through the services and return what happened."""
    world = make_world()
    out: list[str] = ["MISA AMIS Accounting: data-retention package"]
    for when, actor, name in ((local(2025, 11, 10), BINH_MINH, "Bình Minh"), (local(2026, 1, 5), AN_PHAT, "An Phát")):
        day = world.at(when)
        customer_id = str(actor.customer_id)
        buy_licence(world, actor, customer_id)
        view = view_of(world, actor, customer_id)
        out.append(f"{day}  {name} buys a 1-year licence by card, last day {view.resources.last_day}.")
    subscription_id = view.id
    an_phat, while_active, after_purge, purged_state = _refusals(world, out)
    order_total, link_total, link_lines = _order_and_link(world, out, subscription_id)
    state, last, allowed, refused = _read_only(world, out, subscription_id)
    while relay_outbox(world.deps).sent:
        pass
    invoice = world.issuer.issued[-1]
    invoice_to = tuple(email for number, email in world.issuer.emailed if number == invoice.number)
    mailed = [m.kind for m in world.notifier.sent if m.recipient in invoice_to and m.subject_id == invoice.order_id]
    out.append(f"E-mailed to {', '.join(invoice_to)}: {', '.join(mailed)} (invoice {invoice.number}).")
    return Story(
        lines=tuple(out),
        found_by_tax_code=an_phat,
        refused_while_active=while_active,
        refused_after_purge=after_purge,
        purged_state=purged_state,
        order_total=order_total,
        link_total=link_total,
        link_lines=link_lines,
        state_after_payment=state,
        retention_last_day=last,
        access_after_payment=allowed,
        write_refusal=refused,
        invoice_sent_to=invoice_to,
    )


def main() -> None:
    """Print the narrative."""
    print("\n".join(run().lines))


if __name__ == "__main__":
    main()
