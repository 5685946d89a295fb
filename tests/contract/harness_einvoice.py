"""The einvoice adapters' entries (merged into ``registry.INVOICE_ISSUERS`` by conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

from subscription_core.ports import InvoiceIssuer

INVOICE_ISSUERS: dict[str, Callable[[], InvoiceIssuer]] = {}
