"""The einvoice adapters' entries (merged into ``registry.INVOICE_ISSUERS`` by conftest.py).

``reference`` is the reference e-invoice issuer (``subscription_core_adapters.einvoice``) on its in-memory numbering
store, dated by the system clock (its series follows the current year).
"""

from __future__ import annotations

from collections.abc import Callable

from subscription_core.ports import InvoiceIssuer
from subscription_core_adapters.einvoice import InvoiceSeries, MemoryNumberedInvoices, ReferenceInvoiceIssuer, Seller
from subscription_core_adapters.local import SystemClock

from .builders import tax_code

SELLER = Seller(
    name="Công ty Cổ phần Phần mềm Tham chiếu",
    tax_code=tax_code(9_001),
    address="Cầu Giấy, Hà Nội",
    email="hoadon@thamchieu.vn",
)


def reference_issuer() -> InvoiceIssuer:
    """The reference issuer with nothing issued yet."""
    return ReferenceInvoiceIssuer(SELLER, InvoiceSeries("C26TAA"), MemoryNumberedInvoices(), SystemClock())


INVOICE_ISSUERS: dict[str, Callable[[], InvoiceIssuer]] = {"reference": reference_issuer}
