"""End to end on the in-memory adapters (I1, I2): pay an order, and its e-invoice is there as XML and HTML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from subscription_core.customers import Actor, Customer, InvoiceInfo
from subscription_core.notices import Channel
from subscription_core.payments import PaymentMethod
from subscription_core.services import (
    AddonChoice,
    Checkout,
    NewPurchase,
    handle_notification,
    place_order,
    start_payment,
)
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.einvoice import MemoryNumberedInvoices, ReferenceInvoiceIssuer
from subscription_core_adapters.fakes import FakePaymentProvider, RecordingNotifier
from subscription_core_adapters.local import ManualClock, SequentialIds
from subscription_core_adapters.memory import MemoryStore, MemoryUnitOfWorkFactory

from .builders import BUYER_EMAIL, BUYER_TAX_CODE, CATALOG, SELLER, SERIES, T0, buyer

KEY = b"wallet-signing-key-never-shown-987654321"
LINK_KEY = b"link-signing-key-never-shown-0123456789"


def test_i1_i2_paying_an_order_issues_its_e_invoice() -> None:
    clock = ManualClock(T0)
    store = MemoryStore()
    invoices = MemoryNumberedInvoices()
    issuer = ReferenceInvoiceIssuer(SELLER, SERIES, invoices, clock)
    wallet = FakePaymentProvider("vnptpay", KEY)
    deps = bootstrap_memory(
        CATALOG,
        clock=clock,
        ids=SequentialIds(),
        uow=MemoryUnitOfWorkFactory(store),
        providers={"vnptpay": wallet},
        invoices=issuer,
        notifier=RecordingNotifier(),
        link_key=LINK_KEY,
    )
    details = buyer()
    customer = Customer(
        id="cus-1",
        name=details.unit_name,
        tax_code=BUYER_TAX_CODE,
        subscriber=details,
        invoice=InvoiceInfo.same_as(details),
        buyers=frozenset({"u-1"}),
    )
    with deps.uow() as uow:
        uow.customers.add(customer)
        uow.commit()
    user = Actor.customer_user("u-1", "cus-1")
    purchase = NewPurchase(
        customer_id="cus-1", plan="STD", option="1Y", addons=(AddonChoice(addon="TRAIN", quantity=2),)
    )
    order = place_order(deps, user, purchase, Checkout(confirmed=True), idempotency_key="k-1")
    start_payment(deps, user, order_id=order.id, method=PaymentMethod.e_wallet("VNPTPAY"), idempotency_key="k-2")
    handle_notification(deps, "vnptpay", wallet.notify(order, event_id="evt-1"))
    handle_notification(deps, "vnptpay", wallet.notify(order, event_id="evt-1"))  # a repeat issues nothing

    with deps.uow() as uow:
        [issued] = uow.invoices.of_order(order.id)
    assert (issued.series, issued.number, issued.grand_total) == ("1C26TAA", "00000001", order.grand_total)
    assert invoices.numbers("1C26TAA") == [1]
    xml, page = issuer.document(order.id)
    root = ET.fromstring(xml)  # noqa: S314 - our own output, parsed back
    assert root.findtext("DLHDon/NDHDon/NMua/DCTDTu") == BUYER_EMAIL
    assert root.findtext("DLHDon/NDHDon/NMua/MST") == BUYER_TAX_CODE
    assert [item.findtext("MHHDVu") for item in root.iterfind("DLHDon/NDHDon/DSHHDVu/HHDVu")] == ["STD", "TRAIN"]
    assert root.findtext("DLHDon/NDHDon/TToan/TgTTTBSo") == str(order.grand_total.amount)
    assert root.findtext("DLHDon/NDHDon/TToan/TgTTTBChu") == "Chín triệu ba trăm nghìn đồng"
    assert "Chín triệu ba trăm nghìn đồng" in page
    with store.lock:
        notices = [d.message for d in store.outbox.rows.values() if d.message.kind == "invoice_issued"]
    emailed = [n for n in notices if n.channel is Channel.EMAIL]
    assert [n.recipient for n in emailed] == [BUYER_EMAIL]  # I2: the invoice goes to the invoice e-mail
    assert ("number", "00000001") in emailed[0].data
