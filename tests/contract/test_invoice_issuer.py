"""The InvoiceIssuer contract (I1), run on every invoice issuer adapter."""

from __future__ import annotations

import pytest

from subscription_core.ports import InvoiceIssuer

from .builders import invoice_request
from .racing import race


def consecutive(numbers: list[str]) -> bool:
    values = sorted(int(n) for n in numbers)
    return values == list(range(values[0], values[0] + len(values)))


def test_i1_the_invoice_issued_is_the_one_requested(invoice_issuer: InvoiceIssuer) -> None:
    request = invoice_request("ord-1")
    issued = invoice_issuer.issue(request)
    assert (issued.order_id, issued.part, issued.grand_total) == (request.order_id, request.part, request.grand_total)
    assert issued.key == request.key
    assert issued.series
    assert issued.number.isdigit()


def test_i1_asking_again_returns_the_invoice_already_issued(invoice_issuer: InvoiceIssuer) -> None:
    first = invoice_issuer.issue(invoice_request("ord-1"))
    assert invoice_issuer.issue(invoice_request("ord-1")) == first
    assert invoice_issuer.issue(invoice_request("ord-2")).number != first.number


def test_i1_numbers_follow_each_other_without_gaps(invoice_issuer: InvoiceIssuer) -> None:
    issued = [invoice_issuer.issue(invoice_request(f"ord-{i}")) for i in range(5)]
    assert consecutive([i.number for i in issued])
    assert [int(i.number) for i in issued] == sorted(int(i.number) for i in issued)


@pytest.mark.usefixtures("eager_thread_switching")
def test_i1_numbering_is_gapless_and_idempotent_under_threads(invoice_issuer: InvoiceIssuer) -> None:
    requests = [invoice_request(f"ord-{i}") for i in range(10)]
    issued = race(30, lambda i: invoice_issuer.issue(requests[i % 10]))
    by_key = {invoice.key: invoice for invoice in issued}
    assert len(by_key) == 10
    assert all(invoice == by_key[invoice.key] for invoice in issued)
    assert consecutive([invoice.number for invoice in by_key.values()])
