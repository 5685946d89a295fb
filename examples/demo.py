"""The main demo: quotes with promotions at three scopes, then a purchase's life on a SQLite database.

Run it with ``bash scripts/demo.sh [DATABASE]`` (which creates or reuses ``.venv``), or ``python
examples/demo.py [DATABASE]``. Without an argument the SQLite file is made in a fresh temporary folder and
deleted at the end; name a file that does not exist yet to keep it (the story stores fixed customers, so
it refuses a file that exists). The database is created and migrated on first use. Every state the story
tells (active, applied once, each statement line's outcome, the notices) is read back from the database.
The payment adapters are the real ones (VNPay's signed URLs and IPN answers, VietQR transfer instructions,
a bank statement reconciled), and so is the reference e-invoice issuer; only the network is absent: the IPN
is signed here as VNPay would sign it, and the notices are recorded rather than e-mailed.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import sys
import tempfile
import textwrap
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from subscription_core import (
    VIETNAM_TZ,
    Actor,
    AddonSelection,
    AmountOff,
    Customer,
    Entry,
    InvoiceInfo,
    Money,
    Order,
    Party,
    PaymentMethod,
    PercentOff,
    PlanSelection,
    Promotion,
    PurchaseKind,
    Quote,
    Scope,
    Selection,
    activation_deadline,
    load_catalog,
    quote,
)
from subscription_core.notices import OutboxMessage
from subscription_core.payments import MethodKind, PaymentState
from subscription_core.services import (
    Checkout,
    NewPurchase,
    Services,
    place_order,
    reconcile_statement,
    relay_outbox,
    run_scheduler,
    start_payment,
    unapplied_money,
)
from subscription_core.statements import LineOutcome, ReconciliationReport
from subscription_core_adapters.banking import BankTransferProvider
from subscription_core_adapters.bootstrap import bootstrap_sql
from subscription_core_adapters.einvoice import InvoiceSeries, ReferenceInvoiceIssuer, Seller
from subscription_core_adapters.fakes import RecordingNotifier
from subscription_core_adapters.gateways.vnpay import VnpayConfig, VnpayProvider, answer_ipn
from subscription_core_adapters.local import ManualClock
from subscription_core_adapters.statements import VIETCOMBANK, read_statement

CATALOGS = Path(__file__).resolve().parent / "catalogs"
SELLER = Seller(
    name="Công ty Cổ phần Phần mềm AMIS", tax_code="0101243150", address="Cầu Giấy, Hà Nội", email="hoadon@amis.vn"
)
TODAY = dt.date(2026, 11, 23)


LABEL = 52
"""Characters of the label column; every amount is right-aligned in the column after it."""
AMOUNT = 18
_NO_VAT = {"KCT": "not subject to VAT", "KKKNT": "not declared for VAT"}


def _row(label: str, amount: Money | str, *, indent: int = 2) -> str:
    """One row of a quote: the label, then the amount right-aligned in the amount column."""
    return f"{' ' * indent}{label:<{LABEL - indent}}{amount!s:>{AMOUNT}}"


def _off(amount: Money) -> str:
    return f"-{amount}"


def _benefit(promotion: Promotion) -> str:
    benefit = promotion.benefit
    if isinstance(benefit, AmountOff):
        return f"{benefit.amount} off"
    cap = f" (at most {benefit.cap})" if benefit.cap is not None else ""
    return f"{benefit.percent.normalize():f}% off{cap}"


def _applied_on(promotion: Promotion, q: Quote) -> str:
    if promotion.scope is Scope.INVOICE:
        return "the invoice after line discounts, shared over the lines by their amounts"
    kind = "package" if promotion.scope is Scope.PACKAGE else "add-on"
    if not promotion.targets:
        return f"every {kind}"
    bought = sorted({line.code for line in q.lines} & promotion.targets)
    return f"{', '.join(bought)}, {'one' if len(bought) == 1 else 'some'} of the {kind}s it targets"


def why_applied(promotion: Promotion, q: Quote) -> str:
    """Why a promotion applied, in words: what it gives, on what, how the buyer got it, and until when (P3-P7)."""
    how = "the buyer typed its sales code" if promotion.entry is Entry.CODE else "chosen from the checkout's list"
    until = f"; valid until {promotion.valid_until}" if promotion.valid_until is not None else ""
    return f"{_benefit(promotion)} {_applied_on(promotion, q)}; {how}{until}"


def render(title: str, q: Quote, book: Sequence[Promotion]) -> str:
    """A quote as a checkout would show it: lines, named promotions and why they applied, VAT, totals, refusals."""
    invoice_codes = ", ".join(a.code for a in q.applied if a.scope is Scope.INVOICE)
    out = [f"== {title} (as of {q.as_of}, {q.purchase.value})"]
    for line in q.lines:
        out.append(_row(f"{line.description} x{line.quantity}", line.base))
        out.extend(_row(f"promotion {d.code}", _off(d.amount), indent=6) for d in line.discounts)
        if line.invoice_discount:
            out.append(_row(f"share of invoice promotion {invoice_codes}", _off(line.invoice_discount), indent=6))
        vat = line.vat_rate.label
        out.append(_row(f"taxable ({vat}: {_NO_VAT[vat]})" if vat in _NO_VAT else "taxable", line.taxable, indent=6))
        out.append(_row(f"VAT {vat}", line.vat, indent=6))
    out.append(_row("subtotal", q.subtotal))
    out.append(_row("discounts", _off(q.discount_total)))
    out.extend(_row(f"VAT {t.rate.label} on {t.taxable}", t.vat) for t in q.vat_totals)
    out.append(_row("total to pay", q.grand_total))
    by_code = {p.code: p for p in book}
    out.append("  promotions applied, and why:")
    for applied in q.applied:
        scope = "add-on" if applied.scope is Scope.ADDON else applied.scope.value
        out.append(_row(f"{applied.code} ({scope} promotion)", _off(applied.amount), indent=4))
        why = why_applied(by_code[applied.code], q)
        out.extend(textwrap.wrap(why, LABEL + AMOUNT, initial_indent=" " * 8, subsequent_indent=" " * 8))
    out.extend(f"  refused {r.code}: {r.reason.value} {r.detail}".rstrip() for r in q.refused)
    return "\n".join(out)


def amis_purchase() -> str:
    """AMIS.VN: Professional for 1 year, a training package and storage, with a sales code."""
    catalog = load_catalog(CATALOGS / "amis_vn.toml")
    vnd = catalog.currency
    promotions = [
        Promotion(
            code="MISA-SALES-15",
            scope=Scope.PACKAGE,
            benefit=PercentOff(percent=Decimal(15)),
            entry=Entry.CODE,
            targets={"amis-professional", "amis-enterprise"},
        ),
        Promotion(
            code="YEAR-END",
            scope=Scope.INVOICE,
            benefit=AmountOff(amount=Money.of(500_000, vnd)),
            valid_until=dt.date(2026, 12, 31),
        ),
    ]
    selections: list[Selection] = [
        PlanSelection(plan="amis-professional", option="1y"),
        AddonSelection(addon="amis-training-basic"),
        AddonSelection(addon="amis-storage-5gb", quantity=2),
    ]
    q = quote(catalog, selections, as_of=TODAY, promotions=promotions, codes=["misa-sales-15", "YEAR-END", "OLD"])
    return render("MISA AMIS.VN: new purchase", q, promotions)


def onesme_three_scopes() -> str:
    """VNPT oneSME: a multi-cycle package, an add-on service, one promotion at each scope."""
    catalog = load_catalog(CATALOGS / "onesme.toml")
    plan = next(p for product in catalog.products for p in product.plans if len(p.options) > 1)
    option = plan.options[-1]
    service = next(a for product in catalog.products for a in product.addons if a.goes_with(plan.code))
    promotions = [
        Promotion(code="PKG-10", scope=Scope.PACKAGE, benefit=PercentOff(percent=Decimal(10)), targets={plan.code}),
        Promotion(code="ADDON-20", scope=Scope.ADDON, benefit=PercentOff(percent=Decimal(20)), targets={service.code}),
        Promotion(
            code="INVOICE-5",
            scope=Scope.INVOICE,
            benefit=PercentOff(percent=Decimal(5), cap=Money.of(300_000, catalog.currency)),
        ),
    ]
    selections: list[Selection] = [
        PlanSelection(plan=plan.code, option=option.code),
        AddonSelection(addon=service.code),
    ]
    q = quote(catalog, selections, as_of=TODAY, promotions=promotions, purchase=PurchaseKind.NEW)
    return render("VNPT oneSME: multi-cycle package with an add-on service", q, promotions)


def sqlite_story(database: Path) -> str:
    """A purchase paid through VNPay, one paid by VietQR transfer over the 30 April holiday, on SQLite."""
    catalog = load_catalog(CATALOGS / "amis_vn.toml")
    clock = ManualClock(dt.datetime(2027, 4, 29, 2, 0, tzinfo=dt.UTC))
    vnpay = VnpayProvider(
        VnpayConfig(tmn_code="DEMO2026", hash_secret=secrets.token_bytes(32), return_url="https://shop.example/paid"),
        clock=clock,
    )
    bank = BankTransferProvider(bank="VCB", account="0011004123456", account_name="CONG TY CP PHAN MEM AMIS")
    notifier = (
        RecordingNotifier()
    )  # in production: subscription_core_adapters.email.SmtpNotifier behind a RoutingNotifier
    wired = bootstrap_sql(  # e-invoices numbered in the same database: no number twice, whichever process asks
        catalog,
        database=database,
        providers={vnpay.name: vnpay, bank.name: bank},
        routes={MethodKind.DOMESTIC_CARD: vnpay.name, MethodKind.BANK_TRANSFER: bank.name},
        seller=SELLER,
        series=InvoiceSeries("C27TAA"),
        notifier=notifier,
        link_key=secrets.token_bytes(32),
        clock=clock,
    )
    services, issuer = wired.services, wired.invoices
    if not isinstance(issuer, ReferenceInvoiceIssuer):  # built from seller= and series=, so it is one
        raise TypeError(issuer)
    out = [f"== A year of two subscriptions, stored in {database.name} (SQLite, WAL)"]
    _add_customers(services)
    online, offline = Actor.customer_user("u-1", "cus-1"), Actor.customer_user("u-2", "cus-2")
    paid, ipn = _buy_through_vnpay(services, vnpay, online)
    answers = [answer_ipn(services, ipn).rsp_code for _ in range(3)]  # VNPay retries until it hears 00 or 02
    state = _state(services, "cus-1")  # read back from the database, as every fact below
    out.append(f"  {clock.now():%Y-%m-%d}: Hoa Sen pays {paid.grand_total} by card through VNPay: {state} at once")
    out.append(f"  VNPay's IPN delivered 3 times, answered {', '.join(answers)}: {_applied(services, paid.id)}")
    with services.uow() as uow:
        (invoice,) = uow.invoices.of_order(paid.id)
    xml, _html = issuer.document(paid.id, invoice.part)
    out.append(f"  e-invoice {invoice.series} no. {invoice.number} issued ({len(xml):,} bytes of XML, TT78 fields)")
    order = place_order(
        services,
        offline,
        NewPurchase(customer_id="cus-2", plan="amis-standard", option="1y"),
        Checkout(confirmed=True),
        idempotency_key="demo-order-2",
    )
    started = start_payment(
        services, offline, order_id=order.id, method=PaymentMethod.bank_transfer(), idempotency_key="pay-2"
    )
    instructions = dict(started.instructions)
    out.append(
        f"  Lan Anh is to transfer {order.grand_total} to {instructions['bank']} with the content"
        f" {instructions['transfer_content']} (VietQR: {instructions['qr'][:24]}...)"
    )
    clock.set(dt.datetime(2027, 4, 30, 3, 0, tzinfo=dt.UTC))  # Friday 30 April, a public holiday
    report = _import_statement(services, order, instructions["transfer_content"])
    out.append(f"  {clock.now():%Y-%m-%d} (Fri, holiday): staff import the bank statement; each line's outcome:")
    out.extend(_statement_rows(report))
    held = unapplied_money(services, Actor.staff("staff-7"))
    out.extend(
        f"  unapplied money staff now see: {money.amount} from the {money.source} ({money.reason.value})"
        for money in held
    )
    deadline = activation_deadline(clock.now(), calendar=services.calendar)
    local = deadline.astimezone(VIETNAM_TZ)
    out.append(f"  activation deadline (1 business day after receipt, D4): {local:%Y-%m-%d %H:%M} in Hà Nội")
    for at in (dt.datetime(2027, 5, 3, 3, 0, tzinfo=dt.UTC), deadline):
        clock.set(at)
        run_scheduler(services)
        out.append(
            f"  {at.astimezone(VIETNAM_TZ):%Y-%m-%d %H:%M} scheduler run: Lan Anh is {_state(services, 'cus-2')}"
        )
    again = _import_statement(services, order, instructions["transfer_content"])
    out.append("  the same statement imported again; each line's outcome:")
    out.extend(_statement_rows(again))
    clock.set(dt.datetime(2028, 4, 22, 3, 0, tzinfo=dt.UTC))
    run_scheduler(services)
    delivery = relay_outbox(services, batch=500)
    out.append(f"  2028-04-22: Hoa Sen is {_state(services, 'cus-1')}; notices delivered through the outbox:")
    out.extend(_notice_rows(notifier.sent))
    resent = relay_outbox(services, batch=500).sent
    out.append(f"    {delivery.sent} sent; a second relay sends {resent}: the outbox marks each one delivered")
    wired.dispose()
    return "\n".join(out)


def _buy_through_vnpay(services: Services, vnpay: VnpayProvider, buyer: Actor) -> tuple[Order, dict[str, str]]:
    """Place Hoa Sen's order, start paying by card and return the IPN VNPay would send (signed as VNPay signs)."""
    request = NewPurchase(customer_id="cus-1", plan="amis-professional", option="1y")
    order = place_order(services, buyer, request, Checkout(confirmed=True), idempotency_key="demo-order-1")
    method = PaymentMethod.domestic_card("VCB")
    started = start_payment(services, buyer, order_id=order.id, method=method, idempotency_key="pay-1")
    sent = dict(parse_qsl(urlsplit(started.redirect_url or "").query))
    fields = {name: sent[name] for name in ("vnp_Amount", "vnp_BankCode", "vnp_OrderInfo", "vnp_TmnCode")}
    fields |= {"vnp_TxnRef": sent["vnp_TxnRef"], "vnp_PayDate": sent["vnp_CreateDate"]}
    fields |= {"vnp_ResponseCode": "00", "vnp_TransactionStatus": "00", "vnp_TransactionNo": "14422574"}
    return order, {**fields, "vnp_SecureHash": vnpay.sign(fields)}


def _import_statement(services: Services, order: Order, reference: str) -> ReconciliationReport:
    """Staff import the day's Vietcombank statement, on which Lan Anh's transfer and a stranger's appear."""
    amount = f"{order.grand_total.amount:,.0f}"
    statement = (
        "Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Mô tả\n"
        f'30/04/2027,5213.1001,,"{amount}",MBVCB.3301.{reference}.CT tu 0011004 CONG TY LAN ANH\n'
        '30/04/2027,5213.1002,,"500,000",CHUYEN TIEN\n'
    )
    lines = read_statement(statement.encode("utf-8"), VIETCOMBANK).lines
    return reconcile_statement(services, Actor.staff("staff-7"), lines, statement_id="VCB-2027-04-30")


def _add_customers(services: Services) -> None:
    with services.uow() as uow:
        for n, (name, tax_code, email) in enumerate(
            [
                ("Công ty TNHH Hoa Sen", "0100109106", "ketoan@hoasen.vn"),
                ("Công ty CP Lan Anh", "0101243150", "mua@lananh.vn"),
            ],
            start=1,
        ):
            details = Party(unit_name=name, address="Cầu Giấy, Hà Nội", email=email, tax_code=tax_code)
            customer = Customer(
                id=f"cus-{n}",
                name=name,
                tax_code=tax_code,
                subscriber=details,
                invoice=InvoiceInfo.same_as(details),
                buyers={f"u-{n}"},
            )
            uow.customers.add(customer)
        uow.commit()


_LINE_OUTCOMES = {
    LineOutcome.RECORDED: "pays its order in full, recorded as received",
    LineOutcome.ALREADY_RECORDED: "imported before, nothing changed",
    LineOutcome.NO_REFERENCE: "names no order, kept as unapplied money for staff",
}


def _statement_rows(report: ReconciliationReport) -> list[str]:
    """Each statement line: its id, its amount in the amount column, and its outcome labelled."""
    rows = []
    for result in report.results:
        said = _LINE_OUTCOMES.get(result.outcome, result.note)
        rows.append(f"    line {result.line.line_id:<10}{result.line.amount!s:>18}  {result.outcome.value}: {said}")
    return rows


_NOTICE_KINDS = {
    "order_placed": "order placed",
    "payment_received": "transfer received, to be activated",
    "order_paid": "order paid",
    "activated": "subscription activated",
    "invoice_issued": "e-invoice issued",
    "expiring_soon": "subscription about to expire",
}
_CHANNELS = {"email": "e-mail", "in_app": "in-app"}


def _notice_rows(sent: Sequence[OutboxMessage]) -> list[str]:
    """Each kind of notice: how many, and why that many (the events behind it times the channels)."""
    rows = []
    for kind, count in sorted(Counter(m.kind for m in sent).items()):
        of_kind = [m for m in sent if m.kind == kind]
        events = {m.id.rpartition(":")[0] for m in of_kind}  # a notice's id is its event's id plus its channel
        instructions = sum(":instructions:" in event for event in events)
        what = f"{len(events) - instructions} x {_NOTICE_KINDS.get(kind, kind)}"
        what += f" + {instructions} x transfer instructions" if instructions else ""
        channels = " and ".join(_CHANNELS.get(c, c) for c in sorted({m.channel.value for m in of_kind}))
        rows.append(f"    {kind:<17}{count:>3} = ({what}) by {channels}")
    return rows


def _applied(services: Services, order_id: str) -> str:
    """How often a payment was applied, as the database tells it: succeeded payments and paid terms (Y5)."""
    with services.uow() as uow:
        payments = [p for p in uow.payments.of_order(order_id) if p.state is PaymentState.SUCCEEDED]
        (line,) = uow.orders.get(order_id).lines
        terms = len(uow.subscriptions.get(line.ref).terms)
    times = {0: "not applied", 1: "applied once"}.get(len(payments), f"applied {len(payments)} times")
    return f"{times} (the database holds {len(payments)} succeeded payment, {terms} paid term)"


def _state(services: Services, customer_id: str) -> str:
    with services.uow() as uow:
        (subscription,) = uow.subscriptions.of_customer(customer_id)
    return subscription.state.value


_LOOK = "sqlite3 {} 'select customer_id, state from subscriptions'"  # a shell command shown, never run


def keeping(database: Path | None) -> str:
    """What to tell about the SQLite file: where it is kept, or how to keep it next time."""
    if database is None:
        return (
            "The SQLite file was temporary and is deleted now. To keep it, name a new file:\n"
            "  bash scripts/demo.sh demo.sqlite    (or: .venv/bin/python examples/demo.py demo.sqlite)\n"
            f"then look inside, e.g.: {_LOOK.format('demo.sqlite')}"
        )
    return (
        f"Kept in {database}: look inside, e.g. {_LOOK.format(database)}\n"
        "The story stores fixed customers, so run it again with another new file name."
    )


def main(argv: Sequence[str] = ()) -> None:
    """Print the demo's quotes, then run the SQLite story in a temporary file or in the new file ``argv`` names.

    Raises:
        SystemExit: the file named exists already.
    """
    # The story says what happens; the library's own warnings (money kept unapplied) go to a host's logs.
    logging.basicConfig(level=logging.ERROR)
    database = Path(argv[0]) if argv and not argv[0].startswith("-") else None
    if database is not None and database.exists():
        sys.exit(f"{database} exists already: the demo writes its story into a new file; name another one")
    print(amis_purchase())
    print()
    print(onesme_three_scopes())
    print()
    if database is not None:
        print(sqlite_story(database))
    else:
        with tempfile.TemporaryDirectory() as folder:
            print(sqlite_story(Path(folder) / "subscriptions.sqlite"))
    print()
    print(keeping(database))


if __name__ == "__main__":
    main(sys.argv[1:])
