"""Gapless numbering (I1) on every store: memory (threads), SQLite and PostgreSQL (threads, own transactions).

Numbers of a series run 1..N exactly once each, one invoice per (order, part), however calls race and
whatever fails between taking a number and storing the invoice.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from subscription_core.errors import ValidationError
from subscription_core.invoices import IssuedInvoice
from subscription_core.money import Money
from subscription_core_adapters.einvoice import Documents, InvoiceSeries, NumberedInvoices, StoredInvoice
from subscription_core_adapters.local import ManualClock

from .builders import T0, issuer, simple_request

SERIES = "1C26TAA"
THREADS = 8


class InjectedFaultError(Exception):
    """A failure injected after the store handed out a number."""


def documents(number: int) -> Documents:
    return Documents(issued_at=T0, grand_total=Money.of(1000 * number, "VND"), xml=b"<HDon/>", html="<p></p>")


def failing(number: int) -> Documents:
    raise InjectedFaultError(number)


def test_i1_one_invoice_per_key_numbered_from_one(store: NumberedInvoices) -> None:
    first = store.issue_once(("ord-1", 0), SERIES, documents)
    again = store.issue_once(("ord-1", 0), SERIES, failing)  # a stored key never builds again
    second = store.issue_once(("ord-1", 1), SERIES, documents)
    assert (first.number, second.number) == (1, 2)
    assert again == first
    assert store.get(("ord-1", 0)) == first
    assert store.get(("ord-9", 0)) is None
    assert store.numbers(SERIES) == [1, 2]
    assert store.numbers("1C27TAA") == []


def test_i1_the_stored_invoice_keeps_its_documents(store: NumberedInvoices) -> None:
    stored = store.issue_once(("ord-1", 0), SERIES, documents)
    assert stored == StoredInvoice.of(("ord-1", 0), SERIES, 1, documents(1))
    read = store.get(("ord-1", 0))
    assert read is not None
    assert (read.xml, read.html, read.issued_at, read.grand_total) == (b"<HDon/>", "<p></p>", T0, Money.of(1000, "VND"))
    assert "HDon" not in repr(read)


def test_i1_each_series_is_numbered_on_its_own(store: NumberedInvoices) -> None:
    store.issue_once(("ord-1", 0), SERIES, documents)
    assert store.issue_once(("ord-2", 0), "1C27TAA", documents).number == 1
    assert store.issue_once(("ord-1", 0), "1C27TAA", documents).series == SERIES  # the key's invoice stands


def test_i1_a_failure_after_taking_a_number_gives_it_back(store: NumberedInvoices) -> None:
    store.issue_once(("ord-1", 0), SERIES, documents)
    with pytest.raises(InjectedFaultError):
        store.issue_once(("ord-2", 0), SERIES, failing)
    with pytest.raises(ValidationError):
        store.issue_once(("ord-2", 0), SERIES, lambda _n: "not documents")  # type: ignore[arg-type, return-value]
    assert store.get(("ord-2", 0)) is None
    assert store.issue_once(("ord-3", 0), SERIES, documents).number == 2
    assert store.issue_once(("ord-2", 0), SERIES, documents).number == 3
    assert store.numbers(SERIES) == [1, 2, 3]


@pytest.mark.parametrize("key", [("", 0), ("ord-1", -1), ("ord-1", True), ["ord-1", 0], ("ord-1",), None])
def test_i1_a_malformed_key_is_refused(store: NumberedInvoices, key: object) -> None:
    with pytest.raises(ValidationError) as caught:
        store.issue_once(key, SERIES, documents)  # type: ignore[arg-type]
    assert caught.value.field == "key"
    with pytest.raises(ValidationError):
        store.get(key)  # type: ignore[arg-type]


@pytest.mark.parametrize("series", ["", "  ", None])
def test_i1_a_malformed_series_is_refused(store: NumberedInvoices, series: object) -> None:
    with pytest.raises(ValidationError):
        store.issue_once(("ord-1", 0), series, documents)  # type: ignore[arg-type]


def race(work: Callable[[int], list[IssuedInvoice]]) -> list[list[IssuedInvoice]]:
    """Run ``work(0)`` … ``work(THREADS - 1)`` on threads released together; their results."""
    barrier = threading.Barrier(THREADS, timeout=60)

    def run(i: int) -> list[IssuedInvoice]:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


@pytest.mark.usefixtures("eager_thread_switching")
@pytest.mark.parametrize("keys", [150])
def test_i1_numbers_are_gapless_and_once_per_key_under_threads(store: NumberedInvoices, keys: int) -> None:
    """8 threads each ask for every key, in their own order: 8 × ``keys`` calls, ``keys`` invoices."""
    reference = issuer(store, clock=ManualClock(T0))
    requests = [simple_request(f"ord-{k}") for k in range(keys)]

    def work(thread: int) -> list[IssuedInvoice]:
        order = list(range(keys))
        random.Random(thread).shuffle(order)  # noqa: S311 - a reproducible order, not a secret
        return [reference.issue(requests[k]) for k in order]

    issued = [invoice for results in race(work) for invoice in results]
    assert len(issued) == THREADS * keys
    by_key: dict[tuple[str, int], IssuedInvoice] = {}
    for invoice in issued:
        assert by_key.setdefault(invoice.key, invoice) == invoice  # every thread got the same invoice per key
    assert len(by_key) == keys
    assert sorted(int(invoice.number) for invoice in by_key.values()) == list(range(1, keys + 1))
    assert store.numbers(SERIES) == list(range(1, keys + 1))


@pytest.mark.usefixtures("eager_thread_switching")
def test_i1_failures_injected_under_threads_leave_no_gap(store: NumberedInvoices) -> None:
    """A fifth of the builds fail after their number was taken; each thread retries until its invoice exists."""
    keys = 40

    def work(thread: int) -> list[IssuedInvoice]:
        rng = random.Random(1000 + thread)  # noqa: S311 - reproducible faults

        def flaky(number: int) -> Documents:
            if rng.random() < 0.2:
                raise InjectedFaultError(number)
            return documents(number)

        done = []
        for k in rng.sample(range(keys), keys):
            while True:
                try:
                    stored = store.issue_once((f"ord-{k}", 0), SERIES, flaky)
                except InjectedFaultError:
                    continue
                done.append(stored.key)
                break
        return done  # type: ignore[return-value]

    race(work)
    assert store.numbers(SERIES) == list(range(1, keys + 1))
    numbers = {store.get((f"ord-{k}", 0)).number for k in range(keys)}  # type: ignore[union-attr]
    assert numbers == set(range(1, keys + 1))


def test_i1_the_loser_of_a_race_for_a_key_reads_the_winners_invoice(postgresql_store: NumberedInvoices) -> None:
    """The unique (order, part) is the backstop: a key issued meanwhile in another series wins, this number is freed."""
    store = postgresql_store
    meanwhile: list[StoredInvoice] = []

    def build_while_another_issues(number: int) -> Documents:
        other = threading.Thread(
            target=lambda: meanwhile.append(store.issue_once(("ord-1", 0), "1C27TAA", documents)), daemon=True
        )
        other.start()
        other.join(timeout=30)
        return documents(number)

    stored = store.issue_once(("ord-1", 0), SERIES, build_while_another_issues)
    assert meanwhile == [stored]
    assert stored.series == "1C27TAA"
    assert store.numbers(SERIES) == []
    assert store.issue_once(("ord-2", 0), SERIES, documents).number == 1


def test_i1_the_sql_store_gives_up_after_its_attempts(postgresql_store: NumberedInvoices) -> None:
    pytest.importorskip("sqlalchemy")
    from subscription_core.errors import ConflictError  # noqa: PLC0415
    from subscription_core_adapters.einvoice.sql_store import SqlNumberedInvoices  # noqa: PLC0415
    from subscription_core_adapters.sql import TransientConflictError  # noqa: PLC0415

    assert isinstance(postgresql_store, SqlNumberedInvoices)
    pauses: list[float] = []
    store = SqlNumberedInvoices(postgresql_store._engine, attempts=3, sleep=pauses.append)
    calls = []

    def conflicting(number: int) -> Documents:
        calls.append(number)
        raise TransientConflictError("could not serialize", field="transaction", value="40001")

    with pytest.raises(ConflictError) as caught:
        store.issue_once(("ord-1", 0), SERIES, conflicting)
    assert not isinstance(caught.value, TransientConflictError)
    assert calls == [1, 1, 1]
    assert len(pauses) == 2
    assert store.numbers(SERIES) == []
    with pytest.raises(ValidationError):
        SqlNumberedInvoices(postgresql_store._engine, attempts=0)


def test_i1_a_store_serves_an_issuer_in_the_next_year_from_one() -> None:
    clock = ManualClock(dt.datetime(2027, 1, 1, 3, tzinfo=dt.UTC))
    reference = issuer(clock=clock, series=InvoiceSeries("C26TAA"))
    assert reference.issue(simple_request()).series == "1C27TAA"
