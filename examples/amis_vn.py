"""MISA AMIS.VN: from a free trial to a paid package, by card and by bank transfer, then more storage.

Two companies buy AMIS.VN through the application services on the in-memory adapters, with a manual clock:

* Công ty Sao Mai tries AMIS Standard free, then buys AMIS Professional with a basic training package and a
  sales code, paying by domestic card through NgânLượng: the trial becomes paid once NgânLượng confirms the
  payment (C4, Y2, Y5);
* Công ty Hải Đăng buys AMIS Standard and pays by bank transfer ("send the order only"): the money reaches
  MISA on Fri 2027-04-30, a public holiday, and the package must be active by the end of the next business
  day, Tue 2027-05-04, after 1 May and its observed day off on Mon 3 May (Y3, D4);
* Sao Mai buys extra storage mid-term, priced for the days left (S6), and a year later renews onto AMIS
  Enterprise, keeping that storage and adding more beyond its quota (S6, S11, O1); Professional and its
  storage stay until the paid term ends, and Enterprise starts with the new term (S10).

Every online payment runs through the real NgânLượng adapter (``NganLuongProvider``: ``SetExpressCheckout``,
then ``GetTransactionDetail`` for each return), against a local stand-in of NgânLượng's API on 127.0.0.1
(``fakes.nganluong_sandbox``, not NgânLượng) whose controls play the buyer paying on NgânLượng's page.

Run: ``python examples/amis_vn.py``. :func:`run` returns the facts the narrative tells, for the tests.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import attrs

from subscription_core import VIETNAM_TZ, Entry, Money, PercentOff, Promotion, Scope, load_catalog, local_date
from subscription_core.customers import Actor, Customer, InvoiceInfo, Party
from subscription_core.payments import MethodKind, PaymentMethod
from subscription_core.services import (
    AddonChoice,
    Checkout,
    NewPurchase,
    Renewal,
    Services,
    StorageTopUp,
    SubscriptionDetail,
    place_order,
    quote_order,
    record_offline_payment,
    run_scheduler,
    start_payment,
    start_trial,
    subscription_details,
)
from subscription_core.subscriptions import State
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer, RecordingNotifier
from subscription_core_adapters.fakes.nganluong_sandbox import NganLuongSandbox
from subscription_core_adapters.gateways import (
    NganLuongConfig,
    NganLuongOutcome,
    NganLuongPaymentStatusQuery,
    NganLuongProvider,
    answer_return,
)
from subscription_core_adapters.local import ManualClock, SequentialIds

CATALOG = Path(__file__).resolve().parent / "catalogs" / "amis_vn.toml"
WALLET = "nganluong"
BANK = "misa-bank"
SALES_CODE = "MISA-SALES-15"
SAO_MAI = Actor.customer_user("u-saomai", "cus-saomai")
HAI_DANG = Actor.customer_user("u-haidang", "cus-haidang")
STAFF = Actor.staff("st-lan")
CONFIRMED = Checkout(confirmed=True)
MERCHANT_ID = "36680"  # the stand-in's merchant: a host configures the id and account NgânLượng gives it
RECEIVER = "thanhtoan@misa.example.vn"
DEMO_PASSWORD = "amis-demo-connection-password"  # noqa: S105 - the stand-in's, never a real one


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """An instant in Hà Nội time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=VIETNAM_TZ)


@attrs.frozen(kw_only=True)
class World:
    """The services on a fresh in-memory store, and the fakes and clock behind them."""

    deps: Services
    clock: ManualClock
    nganluong: NganLuongSandbox
    issuer: MemoryInvoiceIssuer

    def at(self, when: dt.datetime) -> str:
        """Move the clock to ``when`` and return its local date, for the narrative."""
        self.clock.set(when)
        return local_date(when).isoformat()


def make_world(nganluong: NganLuongSandbox) -> World:
    """Wire AMIS.VN: NgânLượng takes cards and wallets (Y2), MISA's bank account takes transfers and cash (Y3)."""
    clock = ManualClock(local(2027, 4, 12))
    config = NganLuongConfig(
        merchant_id=MERCHANT_ID,
        receiver_email=RECEIVER,
        merchant_password=DEMO_PASSWORD,
        return_url="https://amis.example.vn/thanh-toan/nganluong",
        api_url=nganluong.url,
    )
    wallet = NganLuongProvider(config)  # the buyer NgânLượng asks for is the order's contact
    bank = FakePaymentProvider(
        BANK,
        b"misa-bank-demo-key-0123456789abcdef",
        methods=[MethodKind.BANK_TRANSFER, MethodKind.CASH],
        bank="Vietcombank",
        account="0011000123456",
        account_name="CONG TY CO PHAN MISA",
    )
    issuer = MemoryInvoiceIssuer(series="1C27TMS", clock=clock)
    routes = {kind: (BANK if kind in (MethodKind.BANK_TRANSFER, MethodKind.CASH) else WALLET) for kind in MethodKind}
    deps = bootstrap_memory(
        load_catalog(CATALOG),
        clock=clock,
        ids=SequentialIds(),
        providers={WALLET: wallet, BANK: bank},
        routes=routes,
        # A buyer who pays and never comes back: the scheduler asks NgânLượng before lapsing the order (Y5, Y6).
        status_queries={WALLET: NganLuongPaymentStatusQuery(wallet, clock=clock)},
        invoices=issuer,
        notifier=RecordingNotifier(),
        link_key=b"amis-vn-demo-link-key-0123456789abcdef",
    )
    world = World(deps=deps, clock=clock, nganluong=nganluong, issuer=issuer)
    _register(world)
    return world


def _company(customer_id: str, name: str, tax_code: str, email: str, buyer: str) -> Customer:
    details = Party(unit_name=name, address="Cầu Giấy, Hà Nội", email=email, tax_code=tax_code, phone="024 3795 9595")
    return Customer(
        id=customer_id,
        name=name,
        tax_code=tax_code,
        subscriber=details,
        invoice=InvoiceInfo.same_as(details),
        buyers={buyer},
    )


def _register(world: World) -> None:
    """Store the two companies and the sales code: the host's records, which no use case creates."""
    code = Promotion(
        code=SALES_CODE,
        name="15% off a package, handed out by MISA sales",
        scope=Scope.PACKAGE,
        benefit=PercentOff(percent=Decimal(15)),
        entry=Entry.CODE,
        targets={"amis-professional", "amis-enterprise"},
    )
    with world.deps.uow() as uow:
        uow.customers.add(_company("cus-saomai", "Công ty TNHH Sao Mai", "0101243150", "ketoan@saomai.vn", "u-saomai"))
        uow.customers.add(_company("cus-haidang", "Công ty CP Hải Đăng", "0106001003", "admin@haidang.vn", "u-haidang"))
        uow.promotions.add(code)
        uow.commit()


def pay_online(world: World, actor: Actor, order_id: str, method: PaymentMethod) -> str:
    """Pay online through NgânLượng (Y2, Y5); return the host of its checkout page.

    The buyer is sent to NgânLượng's page, pays there (the stand-in's control), and comes back to the return
    URL; the return route confirms the payment with NgânLượng before the order is paid.
    """
    started = start_payment(world.deps, actor, order_id=order_id, method=method, idempotency_key=f"pay-{order_id}")
    token = started.provider_ref or ""
    world.nganluong.pay(token)
    page = answer_return(world.deps, world.nganluong.return_query(token))
    if page.outcome is not NganLuongOutcome.SUCCEEDED:
        raise SystemExit(f"NgânLượng did not confirm the payment of {order_id}: {page.outcome.value}")
    return (started.redirect_url or "").split("/")[2]


def detail(world: World, actor: Actor, customer_id: str, subscription_id: str) -> SubscriptionDetail:
    """The subscription as its company sees it now (S7, S8)."""
    return next(d for d in subscription_details(world.deps, actor, customer_id) if d.id == subscription_id)


def last_day(view: SubscriptionDetail) -> dt.date:
    """The last day the subscription may be used (S7); every subscription here has one."""
    if view.resources.last_day is None:
        raise SystemExit(f"{view.id} has no expiry")
    return view.resources.last_day


def storage_of(view: SubscriptionDetail) -> int:
    """The storage quota granted, in GB (S6, S7)."""
    return next(q.granted for q in view.resources.quotas if q.code == "storage")


@attrs.frozen(kw_only=True)
class Story:
    """What happened, as the tests check it."""

    lines: tuple[str, ...]
    trial_id: str
    card_total: Money
    card_discount: Money
    paid_state: State
    paid_last_day: dt.date
    transfer_instructions: dict[str, str]
    money_received_on: dt.date
    activation_deadline: dt.date
    state_before_deadline: State
    state_after_deadline: State
    transfer_first_day: dt.date
    top_up_total: Money
    storage_after_top_up: int
    renewal_total: Money
    plan_until_term_end: str
    renewed_plan: str
    storage_after_renewal: int
    last_day_after_renewal: dt.date
    invoices_issued: int


def _trial_to_paid(world: World, out: list[str]) -> tuple[str, Money, Money, State, dt.date]:
    deps = world.deps
    day = world.at(local(2027, 4, 12))
    trial = start_trial(deps, SAO_MAI, customer_id="cus-saomai", plan="amis-standard", idempotency_key="trial")
    out.append(f"{day}  Sao Mai starts a free trial of AMIS Standard, usable until {trial.last_day}.")
    day = world.at(local(2027, 4, 20, 10))
    request = NewPurchase(
        customer_id="cus-saomai",
        plan="amis-professional",
        option="1y",
        addons=[AddonChoice(addon="amis-training-basic")],
        trial_id=trial.id,
        codes=["misa-sales-15"],  # typed as the salesperson said it; codes match regardless of case
    )
    shown = quote_order(deps, SAO_MAI, request)
    order = place_order(
        deps, SAO_MAI, request, Checkout(confirmed=True, expected_total=shown.grand_total), idempotency_key="buy-pro"
    )
    out.append(
        f"{day}  It buys AMIS Professional 1 year + basic training with code {SALES_CODE}: "
        f"{order.subtotal} - {order.line_discount_total} + VAT {order.vat_total} = {order.grand_total}."
    )
    host = pay_online(world, SAO_MAI, order.id, PaymentMethod.domestic_card("VCB"))
    view = detail(world, SAO_MAI, "cus-saomai", trial.id)
    out.append(
        f"{day}  Paid by Vietcombank card via {host}: the trial is now {view.state.value}, "
        f"last day {view.resources.last_day}."
    )
    return trial.id, order.grand_total, order.line_discount_total, view.state, last_day(view)


def _transfer(world: World, out: list[str]) -> tuple[dict[str, str], dt.date, dt.date, State, State, dt.date, str]:
    deps = world.deps
    day = world.at(local(2027, 4, 28, 14))
    request = NewPurchase(customer_id="cus-haidang", plan="amis-standard", option="1y")
    order = place_order(deps, HAI_DANG, request, CONFIRMED, idempotency_key="buy-std")
    started = start_payment(
        deps, HAI_DANG, order_id=order.id, method=PaymentMethod.bank_transfer(), idempotency_key="transfer"
    )
    told = dict(started.instructions)
    out.append(
        f"{day}  Hải Đăng orders AMIS Standard 1 year and sends the order only: transfer {order.grand_total} "
        f"to {told['bank']} {told['account']}, content '{told['transfer_content']}' (QR given)."
    )
    received = local(2027, 4, 30, 10)
    day = world.at(local(2027, 4, 30, 11))
    record_offline_payment(
        deps,
        STAFF,
        order_id=order.id,
        method=PaymentMethod.bank_transfer(),
        amount=order.grand_total,
        reason="transfer seen on the Vietcombank statement",
        received_at=received,
        idempotency_key="received",
    )
    sub_id = order.lines[0].ref
    # Neither the detail view nor the history entry of a new purchase paid offline shows the activation
    # deadline, so it is read from the subscriptions repository (a gap reported to the services' owner).
    with deps.uow() as uow:
        pending = uow.subscriptions.get(sub_id).pending
    if pending is None:
        raise SystemExit("the money recorded should await activation")
    deadline = local_date(pending.activate_by)
    out.append(
        f"{day}  (Fri, Reunification Day) staff record the money as received; it must be active by the end "
        f"of {deadline:%a} {deadline} (1/5 and its observed day off 3/5 are holidays)."
    )
    world.at(local(2027, 5, 4, 12))
    run_scheduler(deps)
    before = detail(world, HAI_DANG, "cus-haidang", sub_id).state
    day = world.at(local(2027, 5, 5, 0, 5))
    run_scheduler(deps)
    after = detail(world, HAI_DANG, "cus-haidang", sub_id)
    first = after.history[-1].details
    start = dt.date.fromisoformat(dict(first)["term_start"])
    out.append(
        f"{day}  At noon on 4/5 it was still {before.value}; the scheduler activated it at the deadline: "
        f"{after.state.value} from {start} to {after.resources.last_day}."
    )
    return told, local_date(received), deadline, before, after.state, start, sub_id


def _top_up(world: World, out: list[str], sub_id: str) -> tuple[Money, int]:
    day = world.at(local(2027, 6, 15, 15))
    request = StorageTopUp(subscription_id=sub_id, addon="amis-storage-5gb", quantity=2)
    order = place_order(world.deps, SAO_MAI, request, CONFIRMED, idempotency_key="top-up")
    pay_online(world, SAO_MAI, order.id, PaymentMethod.e_wallet("NGANLUONG"))
    storage = storage_of(detail(world, SAO_MAI, "cus-saomai", sub_id))
    out.append(
        f"{day}  Out of space, Sao Mai buys 2 x 5 GB for the days left of its term: {order.grand_total} "
        f"instead of 1,000,000 VND; storage is now {storage} GB."
    )
    return order.grand_total, storage


def _renew_to_enterprise(world: World, out: list[str], sub_id: str) -> tuple[Money, str, str, int, dt.date]:
    day = world.at(local(2028, 4, 5, 9))
    # The quote offers the 2 x 5 GB held again for the new term (S11); Sao Mai adds 2 more (S6).
    request = Renewal(
        subscription_id=sub_id,
        option="1y",
        plan="amis-enterprise",
        storage_addon="amis-storage-5gb",
        storage_units=2,
        codes=[SALES_CODE],
    )
    order = place_order(world.deps, SAO_MAI, request, CONFIRMED, idempotency_key="renew-ent")
    pay_online(world, SAO_MAI, order.id, PaymentMethod.international_card())
    before = detail(world, SAO_MAI, "cus-saomai", sub_id)
    out.append(
        f"{day}  Sao Mai renews onto AMIS Enterprise 1 year, keeping its 2 x 5 GB and adding 2 x 5 GB beyond its "
        f"quota, code {SALES_CODE}: {order.grand_total} by international card. Until its paid term ends it keeps "
        f"{before.plan_code} and {storage_of(before)} GB."
    )
    day = world.at(local(2028, 4, 20, 0, 5))
    run_scheduler(world.deps)
    view = detail(world, SAO_MAI, "cus-saomai", sub_id)
    storage = storage_of(view)
    out.append(
        f"{day}  The new term starts. Resources: plan {view.plan_code}, storage {storage} GB, "
        f"{next(q.granted for q in view.seats)} employees, last day {view.resources.last_day}."
    )
    return order.grand_total, before.plan_code, view.plan_code, storage, last_day(view)


def run() -> Story:
    """Play the user guide's purchases through the services and return what happened."""
    with NganLuongSandbox(merchant_id=MERCHANT_ID, password=DEMO_PASSWORD, receiver_email=RECEIVER) as nganluong:
        return _play(make_world(nganluong))


def _play(world: World) -> Story:
    out: list[str] = ["MISA AMIS.VN"]
    trial_id, card_total, card_discount, paid_state, paid_last_day = _trial_to_paid(world, out)
    told, received_on, deadline, before, after, first_day, _ = _transfer(world, out)
    top_up_total, top_up_storage = _top_up(world, out, trial_id)
    renewal_total, plan_before, plan, storage, last_day = _renew_to_enterprise(world, out, trial_id)
    invoices = len(world.issuer.issued)
    out.append(f"Invoices issued: {invoices}, numbered {world.issuer.issued[0].number} onwards, series 1C27TMS.")
    return Story(
        lines=tuple(out),
        trial_id=trial_id,
        card_total=card_total,
        card_discount=card_discount,
        paid_state=paid_state,
        paid_last_day=paid_last_day,
        transfer_instructions=told,
        money_received_on=received_on,
        activation_deadline=deadline,
        state_before_deadline=before,
        state_after_deadline=after,
        transfer_first_day=first_day,
        top_up_total=top_up_total,
        storage_after_top_up=top_up_storage,
        renewal_total=renewal_total,
        plan_until_term_end=plan_before,
        renewed_plan=plan,
        storage_after_renewal=storage,
        last_day_after_renewal=last_day,
        invoices_issued=invoices,
    )


def main() -> None:
    """Print the narrative."""
    print("\n".join(run().lines))


if __name__ == "__main__":
    main()
