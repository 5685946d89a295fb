"""The main demo: quotes with promotions at three scopes, then a purchase's life on a SQLite database.

Run it with ``bash scripts/demo.sh`` (which creates or reuses ``.venv``), or ``python examples/demo.py
[DATABASE]``. Without an argument the SQLite file is made in a fresh temporary folder, so every run starts
empty; the database is created and migrated on first use. The payment adapters are the real ones (VNPay's
signed URLs and IPN answers, VietQR transfer instructions, a bank statement reconciled), and so is the
reference e-invoice issuer; only the network is absent: the IPN is signed here as VNPay would sign it, and
the notices are recorded rather than e-mailed.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import sys
import tempfile
from collections import Counter
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
from subscription_core.payments import MethodKind
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
from subscription_core.statements import ReconciliationReport
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


def render(title: str, q: Quote) -> str:
    """A quote as a checkout would show it: lines, discounts, VAT per rate, totals, refusals."""
    out = [f"== {title} (as of {q.as_of}, {q.purchase.value})"]
    for line in q.lines:
        out.append(f"  {line.description:<48} x{line.quantity:<3} {line.base!s:>16}")
        out.extend(f"      promotion {d.code:<20} {'-' + str(d.amount):>29}" for d in line.discounts)
        if line.invoice_discount:
            out.append(f"      share of invoice promotions {'-' + str(line.invoice_discount):>22}")
        out.append(f"      taxable {line.taxable!s:>16}   VAT {line.vat_rate.label:>5} {line.vat!s:>14}")
    out.append(f"  {'subtotal':<40} {q.subtotal!s:>28}")
    out.append(f"  {'discounts':<40} {'-' + str(q.discount_total):>28}")
    out.extend(f"  {'VAT ' + t.rate.label + ' on ' + str(t.taxable):<40} {t.vat!s:>28}" for t in q.vat_totals)
    out.append(f"  {'total to pay':<40} {q.grand_total!s:>28}")
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
    return render("MISA AMIS.VN: new purchase", q)


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
    return render("VNPT oneSME: multi-cycle package with an add-on service", q)


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
    out.append(f"  {clock.now():%Y-%m-%d}: Hoa Sen pays {paid.grand_total} by card through VNPay: active at once")
    out.append(f"  VNPay's IPN delivered 3 times, answered {', '.join(answers)}: applied once")
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
    outcomes = ", ".join(f"{result.outcome.value}" for result in report.results)
    out.append(f"  {clock.now():%Y-%m-%d} (Fri, holiday): staff import the bank statement: {outcomes}")
    held = unapplied_money(services, Actor.staff("staff-7"))
    out.extend(
        f"  the stranger's {money.amount} names no order: kept as unapplied money for staff ({money.reason.value})"
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
    out.append(f"  the same statement imported again: {again.results[0].outcome.value}, nothing changed")
    clock.set(dt.datetime(2028, 4, 22, 3, 0, tzinfo=dt.UTC))
    run_scheduler(services)
    delivery = relay_outbox(services, batch=500)
    kinds = Counter(m.kind for m in notifier.sent)
    out.append(f"  2028-04-22: Hoa Sen is {_state(services, 'cus-1')}; notices delivered through the outbox:")
    out.extend(f"    {kind:<20} {count}" for kind, count in sorted(kinds.items()))
    out.append(f"    (sent {delivery.sent}, by e-mail and in-app, each exactly once)")
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


def _state(services: Services, customer_id: str) -> str:
    with services.uow() as uow:
        (subscription,) = uow.subscriptions.of_customer(customer_id)
    return subscription.state.value


def main() -> None:
    """Print the demo's quotes, then run the SQLite story."""
    # The story says what happens; the library's own warnings (money kept unapplied) go to a host's logs.
    logging.basicConfig(level=logging.ERROR)
    print(amis_purchase())
    print()
    print(onesme_three_scopes())
    print()
    if len(sys.argv) > 1 and __name__ == "__main__" and not sys.argv[1].startswith("-"):
        print(sqlite_story(Path(sys.argv[1])))
        return
    with tempfile.TemporaryDirectory() as folder:
        print(sqlite_story(Path(folder) / "subscriptions.sqlite"))


if __name__ == "__main__":
    main()
