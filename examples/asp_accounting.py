"""MISA ASP Accounting: a service accountant renews 25 client companies in one order, twice.

An accounting-service firm (KTDV) keeps the books of many small companies and renews their ASP Accounting
licences for them. Through the application services on the in-memory adapters, with a manual clock:

* the firm lists its 25 clients by tax code or business code; the review flags a mistyped row and a
  company that is not its client, row by row, and nothing is placed until the list is clean (B1, B4, A3);
  on the clean list's review page it opens each client to check its name and invoice details (B4);
* it places one order for all 25 with invoices made out to each client (invoice target *Customer*, B2)
  and notices to itself (B3), and copies a payment link for the clients' owner, who pays it online (O5);
  one payment extends every client's expiry at once and issues one e-invoice per client (B5, I1);
* a year later it renews them again with the invoice made out to the firm itself (target *Other*): one
  payment, one invoice, and again every expiry moves (B2, B5).

Run: ``python examples/asp_accounting.py``. :func:`run` returns the facts the narrative tells, for the tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import attrs

from subscription_core import VIETNAM_TZ, Money, load_catalog, local_date
from subscription_core.bulk import BulkRenewal, BulkRow, InvoiceTarget, NoticeTarget
from subscription_core.customers import Actor, Contact, Customer, InvoiceInfo, Party, ServiceAccountant, check_digit
from subscription_core.orders import Order
from subscription_core.payments import PaymentMethod
from subscription_core.services import (
    Checkout,
    ClientReview,
    NewPurchase,
    RenewalReview,
    Services,
    handle_notification,
    issue_payment_link,
    pay_by_link,
    place_bulk_renewal,
    place_order,
    quote_bulk_renewal,
    relay_outbox,
    renewal_review,
    review_bulk_renewal,
    start_payment,
    subscription_details,
)
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer, RecordingNotifier
from subscription_core_adapters.local import ManualClock, SequentialIds

CATALOG = Path(__file__).resolve().parent / "catalogs" / "asp_accounting.toml"
PROVIDER = "vnptpay"
FIRM = ServiceAccountant(
    id="ktdv-anhduong",
    name="Công ty TNHH Dịch vụ Kế toán Ánh Dương",
    contact=Contact(name="Ánh Dương KTDV", email="giahan@anhduong-ktdv.vn", phone="0912 345 678"),
    tax_code="0600123451",
)
ACCOUNTANT = Actor.accountant(FIRM.id)
CLIENT_NAMES = (
    "An Khang", "Bảo Ngọc", "Cát Tường", "Đại Phát", "Đông Á", "Gia Huy", "Hòa Bình", "Hưng Thịnh", "Kim Long",
    "Lộc Phát", "Minh Châu", "Nam Việt", "Ngọc Lan", "Phú Quý", "Phúc An", "Quang Minh", "Sông Hồng", "Tân Tiến",
    "Thành Công", "Thiên Ân", "Trường An", "Vạn Xuân", "Việt Tiến", "Xuân Mai", "Yên Bình",
)  # fmt: skip
STRANGER = "0800123459"  # the tax code of a company that is not the firm's client (A3)
ADVANCED_EVERY = 5  # every fifth client holds the Advanced plan


def local(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    """An instant in Hà Nội time."""
    return dt.datetime(year, month, day, hour, tzinfo=VIETNAM_TZ)


def tax_codes(count: int) -> list[str]:
    """``count`` valid enterprise tax codes (U1), from 0316000001 upwards (prefixes with no check digit skipped)."""
    codes: list[str] = []
    n = 0
    while len(codes) < count:
        n += 1
        head = f"0316{n:05d}"
        digit = check_digit(head)
        if digit is not None:
            codes.append(f"{head}{digit}")
    return codes


@attrs.frozen(kw_only=True)
class Client:
    """One of the firm's client companies and the licence it holds."""

    customer: Customer
    subscription_id: str

    @property
    def pick(self) -> str:
        """What the accountant types in the MST / business-code column (B1): every other client by business code."""
        number = int(self.customer.id.removeprefix("client-"))
        return self.customer.business_code or "" if number % 2 == 0 else self.customer.tax_code.value


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
    """Wire ASP Accounting with one online gateway and the firm as a known service accountant (A3)."""
    clock = ManualClock(local(2026, 1, 5))
    provider = FakePaymentProvider(PROVIDER, b"vnptpay-demo-signing-key-0123456789ab")
    issuer = MemoryInvoiceIssuer(series="1C26TAS", clock=clock)
    notifier = RecordingNotifier()
    deps = bootstrap_memory(
        load_catalog(CATALOG),
        clock=clock,
        ids=SequentialIds(),
        providers={PROVIDER: provider},
        invoices=issuer,
        notifier=notifier,
        link_key=b"asp-demo-payment-link-key-0123456789ab",
        accountants={FIRM.id: FIRM},
    )
    return World(deps=deps, clock=clock, provider=provider, issuer=issuer, notifier=notifier)


def _client(number: int, name: str, tax_code: str) -> Customer:
    slug = f"client{number:02d}"
    details = Party(unit_name=f"Công ty TNHH {name}", address="Đà Nẵng", email=f"giamdoc@{slug}.vn", tax_code=tax_code)
    return Customer(
        id=f"client-{number:02d}",
        name=f"Công ty TNHH {name}",
        tax_code=tax_code,
        subscriber=details,
        invoice=InvoiceInfo.same_as(details),
        business_code=f"HKD-DN-{number:04d}",
        accountant_id=FIRM.id,
        buyers={f"owner-{number:02d}"},
    )


def pay_online(world: World, order: Order, method: PaymentMethod, by: Actor | str) -> None:
    """Pay ``order`` online as ``by``, or through the payment link whose token ``by`` is, and confirm it (Y2)."""
    key = f"pay-{order.id}"
    if isinstance(by, str):
        pay_by_link(world.deps, by, method=method, idempotency_key=key)
    else:
        start_payment(world.deps, by, order_id=order.id, method=method, idempotency_key=key)
    handle_notification(world.deps, PROVIDER, world.provider.notify(order, event_id=f"evt-{order.id}"))


def open_clients(world: World) -> list[Client]:
    """Store the 25 client companies and let each owner buy a licence, a week apart through 2026 (Y2)."""
    customers = [
        _client(n, name, code) for n, (name, code) in enumerate(zip(CLIENT_NAMES, tax_codes(25), strict=True), start=1)
    ]
    with world.deps.uow() as uow:  # the host's customer records: no use case creates customers
        for customer in customers:
            uow.customers.add(customer)
        uow.customers.add(attrs.evolve(_client(99, "Sao Khuê", STRANGER), id="other-99", accountant_id=None))
        uow.commit()
    clients = []
    for n, customer in enumerate(customers, start=1):
        world.at(local(2026, 1, 5) + dt.timedelta(weeks=n - 1))
        owner = Actor.customer_user(f"owner-{n:02d}", customer.id)
        plan = "asp-advanced" if n % ADVANCED_EVERY == 0 else "asp-basic"
        request = NewPurchase(customer_id=customer.id, plan=plan, option="1y")
        order = place_order(world.deps, owner, request, Checkout(confirmed=True), idempotency_key=f"buy-{customer.id}")
        pay_online(world, order, PaymentMethod.e_wallet("VNPTPAY"), owner)
        clients.append(Client(customer=customer, subscription_id=order.lines[0].ref))
    return clients


def expiries(world: World, clients: Sequence[Client]) -> dict[str, dt.date | None]:
    """Each client's last day of use, as the accountant sees it (S7; A3: its clients only)."""
    return {
        c.customer.id: subscription_details(world.deps, ACCOUNTANT, c.customer.id)[0].resources.last_day
        for c in clients
    }


@attrs.frozen(kw_only=True)
class Renewed:
    """One bulk renewal: the review page checked before it, its order, total, invoices and how expiries moved."""

    reviewed: RenewalReview
    order_id: str
    total: Money
    lines: int
    invoices: int
    invoice_emails: tuple[str, ...]
    before: dict[str, dt.date | None]
    after: dict[str, dt.date | None]

    @property
    def moved(self) -> int:
        """How many clients' expiries moved by exactly one year."""
        return sum(1 for cid, old in self.before.items() if old is not None and self.after[cid] == _a_year_on(old))


def _a_year_on(day: dt.date) -> dt.date:
    return day.replace(year=day.year + 1)


@attrs.frozen(kw_only=True)
class Story:
    """What happened, as the tests check it."""

    lines: tuple[str, ...]
    review_problems: tuple[str, ...]
    to_customers: Renewed
    to_other: Renewed


def _renew(world: World, clients: Sequence[Client], request: BulkRenewal, *, key: str, by_link: bool) -> Renewed:
    before = expiries(world, clients)
    # The review page: the firm clicks each client to check its name and invoice details, then confirms (B4).
    reviewed = renewal_review(world.deps, ACCOUNTANT, request)
    shown = quote_bulk_renewal(world.deps, ACCOUNTANT, request)
    order = place_bulk_renewal(
        world.deps, ACCOUNTANT, request, confirmed=True, idempotency_key=key, expected_total=shown.grand_total
    )
    if by_link:  # the owner pays through the link the accountant copied for it (O5)
        link = issue_payment_link(world.deps, ACCOUNTANT, order_id=order.id)
        pay_online(world, order, PaymentMethod.domestic_card("VCB"), link.token)
    else:
        pay_online(world, order, PaymentMethod.international_card(), ACCOUNTANT)
    invoices = {i.number for i in world.issuer.issued if i.order_id == order.id}
    return Renewed(
        reviewed=reviewed,
        order_id=order.id,
        total=order.grand_total,
        lines=len(order.lines),
        invoices=len(invoices),
        invoice_emails=tuple(email for number, email in world.issuer.emailed if number in invoices),
        before=before,
        after=expiries(world, clients),
    )


def _review(world: World, clients: Sequence[Client], out: list[str]) -> tuple[str, ...]:
    """The review screen (B4): a mistyped tax code and a stranger's tax code are flagged, row by row."""
    rows = [BulkRow(client=c.pick, option="1y") for c in clients]
    typo = BulkRow(client=clients[0].customer.tax_code.value[:-1] + "9", option="1y")
    stranger = BulkRow(client=STRANGER, option="1y")
    draft = BulkRenewal(product="asp", rows=[*rows[:3], typo, *rows[3:], stranger])
    problems = tuple(str(p) for p in review_bulk_renewal(world.deps, ACCOUNTANT, draft))
    out.append(
        f"{local_date(world.clock.now())}  The firm reviews 27 rows; {len(problems)} problem(s), nothing placed:"
    )
    out.extend(f"              {problem}" for problem in problems)
    return problems


def _opened(client: ClientReview) -> str:
    """One client as the review page shows it when the firm clicks it (B4)."""
    buyer = client.invoice.buyer if client.invoice is not None else None
    invoice = f"invoice to {buyer.unit_name} <{buyer.email}>" if buyer is not None else "no invoice details"
    bought = f"{client.plan} {client.option}, {client.price}"
    return f"row {client.row}: {client.name}, MST {client.tax_code}, {bought}; {invoice}"


def _report(out: list[str], day: str, what: str, renewed: Renewed) -> None:
    review = renewed.reviewed
    ready = "every row renewable" if review.ready else "rows to fix"
    out.append(f"{day}  Review page: {len(review.clients)} clients, {ready}, total {review.total}; each opened, e.g.")
    out.append(f"              {_opened(review.clients[0])}")
    out.append(
        f"{day}  {what}: one order {renewed.order_id} of {renewed.lines} lines, {renewed.total}, paid once; "
        f"{renewed.invoices} e-invoice(s) issued; {renewed.moved} of {len(renewed.before)} expiries moved a year."
    )


def run() -> Story:
    """Play the user guide's story through the services and return what happened."""
    world = make_world()
    out: list[str] = ["MISA ASP Accounting: bulk renewal by a service accountant"]
    clients = open_clients(world)
    first = [day for day in expiries(world, clients).values() if day is not None]
    out.append(f"2026  25 clients of {FIRM.name} bought licences; last days {min(first)} .. {max(first)}.")
    world.at(local(2026, 12, 10))
    problems = _review(world, clients, out)
    day = world.at(local(2026, 12, 10, 10))
    rows = [BulkRow(client=c.pick, option="1y") for c in clients]
    to_customers = _renew(world, clients, BulkRenewal(product="asp", rows=rows), key="bulk-2026", by_link=True)
    _report(
        out, day, "Invoices to each client, notices to the firm, paid by the owner through a copied link", to_customers
    )
    sample = to_customers.invoice_emails[:2]
    out.append(f"              e.g. invoices e-mailed to {', '.join(sample)}, ...")
    day = world.at(local(2027, 12, 10, 10))
    other = BulkRenewal(
        product="asp",
        rows=rows,
        invoice_target=InvoiceTarget.OTHER,
        other_buyer=Party(
            unit_name=FIRM.name, address="Hải Châu, Đà Nẵng", email="ketoan@anhduong-ktdv.vn", tax_code=FIRM.tax_code
        ),
        notice_target=NoticeTarget.OTHER,
        other_recipient=Contact(name="Giám đốc Ánh Dương", email="giamdoc@anhduong-ktdv.vn"),
    )
    to_other = _renew(world, clients, other, key="bulk-2027", by_link=False)
    _report(out, day, "A year later, invoice to the firm itself (Other), paid by the firm's card", to_other)
    out.append(f"              the one invoice e-mailed to {', '.join(to_other.invoice_emails)}.")
    while relay_outbox(world.deps).sent:
        pass
    bells = [m.kind for m in world.notifier.sent if m.recipient == FIRM.id]
    out.append(f"In-app notices to the firm: {', '.join(sorted(set(bells)))}.")
    return Story(lines=tuple(out), review_problems=problems, to_customers=to_customers, to_other=to_other)


def main() -> None:
    """Print the narrative."""
    print("\n".join(run().lines))


if __name__ == "__main__":
    main()
