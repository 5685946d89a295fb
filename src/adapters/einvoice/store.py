"""Where issued e-invoices are kept and numbered: gapless numbers per series, one invoice per order and part (I1).

:class:`NumberedInvoices` is what the reference issuer needs of a store. :meth:`~NumberedInvoices.issue_once`
is the whole of numbering: atomically, it returns the invoice already stored for a key, or takes the
series' next number, has the documents built for it and stores them. When building fails, the number is
given back (it was never taken as far as anyone can see), so numbers have no gaps whatever fails or races.
:meth:`~NumberedInvoices.correct_once` does the same for an adjusting or replacement invoice (Y8), keyed by
its own idempotency key and numbered in the same series as every other invoice; it checks, atomically with
taking the number, what was already issued against the invoice it corrects (at most one replacement).
:class:`MemoryNumberedInvoices` does it under a lock; ``subscription_core_adapters.einvoice.sql_store`` in a database.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Protocol

import attrs

from subscription_core.errors import (
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
    aware,
    non_empty_text,
    of_type,
    whole_number,
)
from subscription_core.invoice_corrections import CorrectionHistory, CorrectionKind
from subscription_core.money import Money

__all__ = [
    "CorrectionEntry",
    "Documents",
    "InvoiceKey",
    "MemoryNumberedInvoices",
    "NumberedInvoices",
    "StoredCorrection",
    "StoredInvoice",
    "check_documents",
    "check_key",
    "check_series",
    "history_of",
    "original_not_found",
    "refuse_second_replacement",
]

InvoiceKey = tuple[str, int]
"""An invoice's key: its order id and its part within the order."""


@attrs.frozen(kw_only=True)
class Documents:
    """What an invoice numbered by the store is: its instant, grand total, XML and HTML (not in the repr)."""

    issued_at: dt.datetime = attrs.field(validator=aware(rule="I1"))
    grand_total: Money = attrs.field(validator=of_type(Money))
    xml: bytes = attrs.field(validator=of_type(bytes), repr=False)
    html: str = attrs.field(validator=of_type(str), repr=False)


@attrs.frozen(kw_only=True)
class StoredInvoice:
    """An issued invoice as stored: its key, series code (``1C26TAA``), number and documents (not in the repr)."""

    order_id: str = attrs.field(validator=non_empty_text(rule="I1"))
    part: int = attrs.field(validator=whole_number(0, rule="I1"))
    series: str = attrs.field(validator=non_empty_text(rule="I1"))
    number: int = attrs.field(validator=whole_number(1, rule="I1"))
    issued_at: dt.datetime = attrs.field(validator=aware(rule="I1"))
    grand_total: Money = attrs.field(validator=of_type(Money))
    xml: bytes = attrs.field(validator=of_type(bytes), repr=False)
    html: str = attrs.field(validator=of_type(str), repr=False)

    @property
    def key(self) -> InvoiceKey:
        """``(order_id, part)``."""
        return (self.order_id, self.part)

    @classmethod
    def of(cls, key: InvoiceKey, series: str, number: int, documents: Documents) -> StoredInvoice:
        """The invoice ``key`` as stored with ``number`` in ``series``."""
        return cls(
            order_id=key[0],
            part=key[1],
            series=series,
            number=number,
            issued_at=documents.issued_at,
            grand_total=documents.grand_total,
            xml=documents.xml,
            html=documents.html,
        )


@attrs.frozen(kw_only=True)
class CorrectionEntry:
    """What a correcting invoice is before it has a number (Y8): its key, kind, sale and the invoice it corrects.

    ``original_series`` and ``original_number`` name the invoice corrected (``1C26TAA``, 12); ``order_id``
    and ``part`` the sale that invoice was for.
    """

    key: str = attrs.field(validator=non_empty_text(rule="Y8"))
    kind: CorrectionKind = attrs.field(validator=of_type(CorrectionKind))
    order_id: str = attrs.field(validator=non_empty_text(rule="Y8"))
    part: int = attrs.field(validator=whole_number(0, rule="Y8"))
    original_series: str = attrs.field(validator=non_empty_text(rule="Y8"))
    original_number: int = attrs.field(validator=whole_number(1, rule="Y8"))


@attrs.frozen(kw_only=True)
class StoredCorrection:
    """An adjusting or replacement invoice as stored (Y8): its entry, its own series and number, its documents.

    ``grand_total`` is signed for an adjustment (the difference). The documents are not in the repr.
    """

    key: str = attrs.field(validator=non_empty_text(rule="Y8"))
    kind: CorrectionKind = attrs.field(validator=of_type(CorrectionKind))
    order_id: str = attrs.field(validator=non_empty_text(rule="Y8"))
    part: int = attrs.field(validator=whole_number(0, rule="Y8"))
    original_series: str = attrs.field(validator=non_empty_text(rule="Y8"))
    original_number: int = attrs.field(validator=whole_number(1, rule="Y8"))
    series: str = attrs.field(validator=non_empty_text(rule="Y8"))
    number: int = attrs.field(validator=whole_number(1, rule="Y8"))
    issued_at: dt.datetime = attrs.field(validator=aware(rule="Y8"))
    grand_total: Money = attrs.field(validator=of_type(Money))
    xml: bytes = attrs.field(validator=of_type(bytes), repr=False)
    html: str = attrs.field(validator=of_type(str), repr=False)

    @classmethod
    def of(cls, entry: CorrectionEntry, series: str, number: int, documents: Documents) -> StoredCorrection:
        """The correction ``entry`` as stored with ``number`` in ``series``."""
        return cls(
            key=entry.key,
            kind=entry.kind,
            order_id=entry.order_id,
            part=entry.part,
            original_series=entry.original_series,
            original_number=entry.original_number,
            series=series,
            number=number,
            issued_at=documents.issued_at,
            grand_total=documents.grand_total,
            xml=documents.xml,
            html=documents.html,
        )


def history_of(original: StoredInvoice | StoredCorrection, corrections: list[StoredCorrection]) -> CorrectionHistory:
    """What was issued against ``original``: its total, the net of its adjustments, its replacement (Y8)."""
    zero = Money.zero(original.grand_total.currency)
    adjusted = sum((c.grand_total for c in corrections if c.kind is CorrectionKind.ADJUSTMENT), zero)
    replaced = [c for c in corrections if c.kind is CorrectionKind.REPLACEMENT]
    by = f"{replaced[0].series} {replaced[0].number:08d}" if replaced else None
    return CorrectionHistory(grand_total=original.grand_total, adjusted=adjusted, replaced_by=by)


def original_not_found(entry: CorrectionEntry) -> NotFoundError:
    """The error for a correction of an invoice the store does not hold (Y8)."""
    return NotFoundError(
        "no e-invoice with this series and number was issued here",
        rule="Y8",
        field="original",
        value=f"{entry.original_series} {entry.original_number:08d}",
    )


def refuse_second_replacement(entry: CorrectionEntry, history: CorrectionHistory) -> None:
    """Refuse a replacement of an invoice that was replaced already (Y8): a store's own guarantee.

    Raises:
        InvalidTransitionError: (Y8) ``entry`` replaces an invoice ``history`` says was replaced.
    """
    if entry.kind is CorrectionKind.REPLACEMENT and history.replaced_by is not None:
        raise InvalidTransitionError(
            f"the invoice was replaced already, by {history.replaced_by}",
            rule="Y8",
            field="original",
            value=f"{entry.original_series} {entry.original_number:08d}",
        )


def check_key(key: object) -> InvoiceKey:
    """Return ``key`` if it is ``(order id, part)``: a non-empty text and a whole number >= 0.

    Raises:
        ValidationError: (I1) anything else.
    """
    if (
        not isinstance(key, tuple)
        or len(key) != 2  # noqa: PLR2004 - an order id and a part
        or not isinstance(key[0], str)
        or not key[0].strip()
        or isinstance(key[1], bool)
        or not isinstance(key[1], int)
        or key[1] < 0
    ):
        raise ValidationError("must be (order id, part >= 0)", rule="I1", field="key", value=key)
    return key


def check_series(series: object) -> str:
    """Return ``series`` if it is a non-empty text. Raises ``ValidationError`` (I1) otherwise."""
    if not isinstance(series, str) or not series.strip():
        raise ValidationError("must be a series code such as 1C26TAA", rule="I1", field="series", value=series)
    return series


def check_documents(documents: object) -> Documents:
    """Return what a build callback gave if it is :class:`Documents`. Raises ``ValidationError`` (I1) otherwise."""
    if not isinstance(documents, Documents):
        raise ValidationError("the build callback must return Documents", rule="I1", field="build")
    return documents


class NumberedInvoices(Protocol):
    """Issued invoices, numbered from 1 without gaps in each series, at most one per key (I1).

    Implementations are safe to call from many threads (and, for a database, many processes) at once.
    """

    def issue_once(self, key: InvoiceKey, series: str, build: Callable[[int], Documents]) -> StoredInvoice:
        """The invoice stored for ``key``; else the one ``build(number)`` makes with the series' next number.

        Atomic: however calls race, each key gets one invoice and each number of ``series`` is used once,
        in order from 1. ``build`` runs while the number is held and must not call the store; when it
        raises, its error propagates and nothing is stored: the number stays free for the next invoice.
        A key already stored is returned as it is, whatever the series asked for.

        Raises:
            ValidationError: (I1) a malformed key or series, or ``build`` not returning ``Documents``.
            ConflictError: the store kept losing races (a database), or what ``build`` raises.
        """
        ...

    def get(self, key: InvoiceKey) -> StoredInvoice | None:
        """The invoice stored for ``key``, or ``None``. Raises ``ValidationError`` for a malformed key."""
        ...

    def numbers(self, series: str) -> list[int]:
        """The numbers used in ``series``, ascending: ``[1, 2, ..., n]`` when nothing went wrong."""
        ...

    def correct_once(
        self,
        entry: CorrectionEntry,
        series: str,
        build: Callable[[int], Documents],
        check: Callable[[CorrectionHistory], None],
    ) -> StoredCorrection:
        """The correction stored for ``entry.key``; else the one ``build(number)`` makes with the series' next number.

        Atomic as :meth:`issue_once`, numbered in the same sequence as the invoices of ``series``. Before a
        number is taken, ``check`` is called with what was issued against the invoice corrected
        (:func:`history_of`) and may raise to refuse; at most one replacement of an invoice is ever stored.
        A key already stored is returned as it is, whatever the entry asked for.

        Raises:
            NotFoundError: (Y8) the invoice corrected is not stored here.
            InvalidTransitionError: (Y8) a second replacement of one invoice, or what ``check`` raises.
            ValidationError: (I1) a malformed series, ``build`` not returning ``Documents``, or what the
                callbacks raise.
        """
        ...

    def get_correction(self, key: str) -> StoredCorrection | None:
        """The correction stored for ``key``, or ``None``."""
        ...

    def find(self, series: str, number: int) -> StoredInvoice | StoredCorrection | None:
        """The invoice, adjusting or replacement, numbered ``number`` in ``series``, or ``None``."""
        ...

    def corrections_of(self, series: str, number: int) -> list[StoredCorrection]:
        """The corrections issued against the invoice ``number`` of ``series``, by series and number."""
        ...


class MemoryNumberedInvoices:
    """Numbered invoices in memory, under one lock: for tests and demos on the in-memory store only.

    Its numbers start again at 1 in every process, so beside a database (where other processes, or this
    one after a restart, issue too) it would reissue numbers: the bootstrap functions refuse it there (I1).
    """

    def __init__(self) -> None:
        """Start empty."""
        self._lock = threading.Lock()
        self._by_key: dict[InvoiceKey, StoredInvoice] = {}
        self._numbers: dict[str, list[int]] = {}
        self._by_number: dict[tuple[str, int], StoredInvoice | StoredCorrection] = {}
        self._corrections: dict[str, StoredCorrection] = {}

    def issue_once(self, key: InvoiceKey, series: str, build: Callable[[int], Documents]) -> StoredInvoice:
        """See :meth:`NumberedInvoices.issue_once`: the lock is held from reading the key to storing."""
        key, series = check_key(key), check_series(series)
        with self._lock:
            stored = self._by_key.get(key)
            if stored is not None:
                return stored
            used = self._numbers.setdefault(series, [])
            number = len(used) + 1
            stored = StoredInvoice.of(key, series, number, check_documents(build(number)))
            used.append(number)
            self._by_key[key] = stored
            self._by_number[(series, number)] = stored
        return stored

    def correct_once(
        self,
        entry: CorrectionEntry,
        series: str,
        build: Callable[[int], Documents],
        check: Callable[[CorrectionHistory], None],
    ) -> StoredCorrection:
        """See :meth:`NumberedInvoices.correct_once`: the lock is held from reading the key to storing."""
        series = check_series(series)
        with self._lock:
            stored = self._corrections.get(entry.key)
            if stored is not None:
                return stored
            original = self._by_number.get((entry.original_series, entry.original_number))
            if original is None:
                raise original_not_found(entry)
            history = history_of(original, self._corrections_of(entry.original_series, entry.original_number))
            refuse_second_replacement(entry, history)
            check(history)
            used = self._numbers.setdefault(series, [])
            number = len(used) + 1
            stored = StoredCorrection.of(entry, series, number, check_documents(build(number)))
            used.append(number)
            self._corrections[entry.key] = stored
            self._by_number[(series, number)] = stored
        return stored

    def get_correction(self, key: str) -> StoredCorrection | None:
        """See :meth:`NumberedInvoices.get_correction`."""
        with self._lock:
            return self._corrections.get(key)

    def find(self, series: str, number: int) -> StoredInvoice | StoredCorrection | None:
        """See :meth:`NumberedInvoices.find`."""
        with self._lock:
            return self._by_number.get((series, number))

    def corrections_of(self, series: str, number: int) -> list[StoredCorrection]:
        """See :meth:`NumberedInvoices.corrections_of`."""
        with self._lock:
            return self._corrections_of(series, number)

    def _corrections_of(self, series: str, number: int) -> list[StoredCorrection]:
        found = [c for c in self._corrections.values() if (c.original_series, c.original_number) == (series, number)]
        return sorted(found, key=lambda c: (c.series, c.number))

    def get(self, key: InvoiceKey) -> StoredInvoice | None:
        """See :meth:`NumberedInvoices.get`."""
        key = check_key(key)
        with self._lock:
            return self._by_key.get(key)

    def numbers(self, series: str) -> list[int]:
        """See :meth:`NumberedInvoices.numbers`."""
        with self._lock:
            return list(self._numbers.get(series, []))
