"""The reference e-invoice adapter: Vietnamese VAT e-invoices as XML and HTML, numbered without gaps (I1, I2).

Wire it with::

    seller = Seller(name="Công ty Cổ phần MISA", tax_code="0101243150", address="Cầu Giấy, Hà Nội",
                    email="hoadon@misa.com.vn")
    issuer = ReferenceInvoiceIssuer(seller, InvoiceSeries("C26TAA"), MemoryNumberedInvoices(), clock)  # tests
    # on a database, numbered there: bootstrap_sql(catalog, seller=seller, series=InvoiceSeries("C26TAA"), ...)
    # builds ReferenceInvoiceIssuer(seller, series, SqlNumberedInvoices(engine), clock) on its engine

The document follows Decree 123/2020/ND-CP, Circular 78/2021/TT-BTC and the tax authority's XML format,
version 2.1.0 (Decree 70/2025/NĐ-CP) by default or 2.0.0 (Quyết định 1450/QĐ-TCT) when configured
(:mod:`.formats`, :mod:`.document`, :mod:`.rendering`); :func:`amount_in_words` writes the total in words.
The issuer also corrects what it issued (Y8): adjusting and replacement invoices (:mod:`.corrections`).
Real providers (MISA meInvoice, VNPT Invoice) implement the same ``InvoiceIssuer`` port; see
``docs/adapters/einvoice.md``. Importing this package needs no extra; ``sql_store`` needs the ``sql`` one.
"""

from subscription_core_adapters.einvoice.document import EInvoice, EInvoiceLine, EInvoiceVat, InvoiceContent
from subscription_core_adapters.einvoice.formats import FormatVersion, InvoiceNature, RelatedInvoice, RelatedKind
from subscription_core_adapters.einvoice.issuer import ReferenceInvoiceIssuer
from subscription_core_adapters.einvoice.rendering import to_html, to_xml
from subscription_core_adapters.einvoice.seller import Seller
from subscription_core_adapters.einvoice.series import InvoiceSeries
from subscription_core_adapters.einvoice.store import Documents, MemoryNumberedInvoices, NumberedInvoices, StoredInvoice
from subscription_core_adapters.einvoice.words import amount_in_words, difference_in_words, number_in_words

__all__ = [
    "Documents",
    "EInvoice",
    "EInvoiceLine",
    "EInvoiceVat",
    "FormatVersion",
    "InvoiceContent",
    "InvoiceNature",
    "InvoiceSeries",
    "MemoryNumberedInvoices",
    "NumberedInvoices",
    "ReferenceInvoiceIssuer",
    "RelatedInvoice",
    "RelatedKind",
    "Seller",
    "StoredInvoice",
    "amount_in_words",
    "difference_in_words",
    "number_in_words",
    "to_html",
    "to_xml",
]
