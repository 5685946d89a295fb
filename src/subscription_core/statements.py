"""Bank statements: the money a vendor's bank reports, matched to orders by transfer reference (Y3, O4).

A :class:`StatementLine` is one credit on the vendor's account: a stable ``line_id`` (the bank's
transaction id, or a digest the reading adapter makes), when it was booked, how much and the transfer
content ("nội dung chuyển khoản"). :func:`assess` decides, without guessing, what a line means: it names
exactly one order awaiting payment, in its currency, for exactly its grand total (a :class:`Match`, to be
recorded as received), or it needs staff, with a :class:`LineOutcome` saying why. A
:class:`ReconciliationReport` gathers the result of every line of a statement.

The transfer content is the customer's free text: it may hold names and account numbers, so it is kept
out of every ``repr`` and every note (the notes name ids, references and amounts only).

>>> import datetime as dt
>>> from subscription_core.money import Money
>>> line = StatementLine.on_date(
...     line_id="FT24001", day=dt.date(2027, 4, 30), amount=Money.of(1_200_000, "VND"), description="SC0 x"
... )
>>> line.booked_at.isoformat()
'2027-04-29T17:00:00+00:00'
>>> "SC0" in repr(line), line.booked_on
(False, datetime.date(2027, 4, 30))
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import attrs

from subscription_core.calendar import local_date, start_of_local_day
from subscription_core.errors import ValidationError, any_text, of_type, optional, tuple_of, utc
from subscription_core.money import Money
from subscription_core.orders import Order
from subscription_core.texts import NOTE_LIMIT
from subscription_core.transfers import PREFIX, REFERENCE_LENGTH, find_references

__all__ = [
    "MAX_LINE_ID",
    "LineOutcome",
    "LineResult",
    "Match",
    "ReconciliationReport",
    "StatementLine",
    "assess",
    "mistyped_references",
]

MAX_LINE_ID: Final = 200
"""The longest line id: it becomes an idempotency key (at most 255 characters)."""
_SHAPE: Final = re.compile(rf"(?<![0-9A-Z])({PREFIX}[0-9A-Z]{{{REFERENCE_LENGTH - len(PREFIX)}}})(?![0-9A-Z])")


def _line_id(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if (
        not isinstance(value, str)
        or not value.strip()
        or value != value.strip()
        or len(value) > MAX_LINE_ID
        or not value.isprintable()
    ):
        raise ValidationError(
            f"must be a printable text of 1 to {MAX_LINE_ID} characters without surrounding spaces",
            rule="Y3",
            field=attribute.name,
            value=value,
        )


def _credit(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Money) or value.amount <= 0:
        raise ValidationError("must be Money above zero (a credit)", rule="Y3", field=attribute.name, value=value)


def _utc(value: object) -> object:
    # Instants are kept in UTC (D2); anything else is left for the validator to refuse.
    return utc(value) if isinstance(value, dt.datetime) and value.utcoffset() is not None else value


def _aware(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    utc(value, field=attribute.name)  # type: ignore[arg-type]  # refuses a naive or non-datetime value (D2)


@attrs.frozen(kw_only=True)
class StatementLine:
    """One credit on the vendor's bank account: money received, to be matched to an order (Y3).

    ``line_id`` identifies the bank transaction, the same on every import of it (the bank's transaction
    id, or a digest of the row); ``booked_at`` is kept in UTC; ``amount`` is above zero (debits are not
    lines); ``description`` is the transfer content, never shown in a ``repr``; ``bank_reference`` is the
    bank's own reference number, if the statement has one, for staff to quote to the bank.

    Raises:
        ValidationError: a malformed id, a naive instant (D2), an amount that is not positive Money.
    """

    line_id: str = attrs.field(validator=_line_id)
    booked_at: dt.datetime = attrs.field(converter=_utc, validator=_aware)
    amount: Money = attrs.field(validator=_credit)
    # A bank's description may span lines; other control characters make the row a refused one.
    description: str = attrs.field(default="", validator=any_text("Y3", lines=True), repr=False)
    bank_reference: str | None = attrs.field(default=None, validator=optional(any_text("Y3")))

    @classmethod
    def on_date(
        cls, *, line_id: str, day: dt.date, amount: Money, description: str = "", bank_reference: str | None = None
    ) -> StatementLine:
        """A line of a statement that gives dates only: booked at the start of ``day`` in Hà Nội (D2).

        Raises:
            ValidationError: as the class does, or ``day`` is not a plain date.
        """
        booked_at = start_of_local_day(day)
        return cls(
            line_id=line_id, booked_at=booked_at, amount=amount, description=description, bank_reference=bank_reference
        )

    @property
    def booked_on(self) -> dt.date:
        """The day the money was booked, in Asia/Ho_Chi_Minh (D2)."""
        return local_date(self.booked_at)

    @property
    def references(self) -> tuple[str, ...]:
        """The well-formed transfer references in the description, in order, without repeats (Y3)."""
        return find_references(self.description)


class LineOutcome(enum.Enum):
    """What reconciliation did with a statement line, or why staff must look at it."""

    RECORDED = "recorded"  # matched one order exactly: recorded as received now
    ALREADY_RECORDED = "already_recorded"  # this bank transaction was recorded by an earlier import
    NO_REFERENCE = "no_reference"  # no transfer reference in the text
    UNKNOWN_REFERENCE = "unknown_reference"  # a reference naming no order, or one mistyped (its check fails)
    AMBIGUOUS = "ambiguous"  # several references in the text, or one naming several orders
    PARTIAL = "partial"  # less than the order's total: not recorded
    OVERPAID = "overpaid"  # more than the order's total: not recorded
    NOT_AWAITING = "not_awaiting"  # the order is paid, cancelled or lapsed: money to refund or handle
    BEFORE_ORDER = "before_order"  # booked on a day before the order was placed: it cannot pay it (Y7)
    CURRENCY = "currency"  # another currency than the order's
    ID_CONFLICT = "id_conflict"  # this line id was recorded before for another amount or day
    REFUSED = "refused"  # it matched, but recording it was refused (the note names the rule)

    @property
    def needs_staff(self) -> bool:
        """Whether staff must handle the line by hand: everything but RECORDED and ALREADY_RECORDED."""
        return self not in {LineOutcome.RECORDED, LineOutcome.ALREADY_RECORDED}


@attrs.frozen(kw_only=True)
class LineResult:
    """The outcome of one line: the order and payment concerned, the amount expected, a note for staff.

    The note is in English and names ids, references and amounts only, never the transfer content.
    ``unapplied_id`` names the unapplied money the line's credit was recorded as, when no order took it (Y6).
    """

    line: StatementLine = attrs.field(validator=of_type(StatementLine))
    outcome: LineOutcome = attrs.field(validator=of_type(LineOutcome))
    note: str = attrs.field(validator=any_text(lines=True, most=NOTE_LIMIT))
    order_id: str | None = attrs.field(default=None, validator=optional(any_text()))
    payment_id: str | None = attrs.field(default=None, validator=optional(any_text()))
    expected: Money | None = attrs.field(default=None, validator=optional(of_type(Money)))
    unapplied_id: str | None = attrs.field(default=None, validator=optional(any_text()))

    @property
    def needs_staff(self) -> bool:
        """Whether staff must handle this line (see :attr:`LineOutcome.needs_staff`)."""
        return self.outcome.needs_staff


@attrs.frozen(kw_only=True)
class Match:
    """A line that names exactly one order awaiting payment, in its currency, for its grand total (Y3)."""

    line: StatementLine = attrs.field(validator=of_type(StatementLine))
    order: Order = attrs.field(validator=of_type(Order))
    reference: str = attrs.field(validator=any_text())


@attrs.frozen(kw_only=True)
class ReconciliationReport:
    """The result of every line of one statement, in the statement's order, for staff."""

    statement_id: str = attrs.field(validator=any_text())
    results: tuple[LineResult, ...] = attrs.field(validator=tuple_of(LineResult))

    @property
    def counts(self) -> Mapping[LineOutcome, int]:
        """How many lines had each outcome; every outcome is present, with zero if none had it."""
        found = dict.fromkeys(LineOutcome, 0)
        for result in self.results:
            found[result.outcome] += 1
        return found

    @property
    def needs_staff(self) -> tuple[LineResult, ...]:
        """The lines staff must handle: every line not RECORDED or ALREADY_RECORDED, in order."""
        return tuple(result for result in self.results if result.needs_staff)

    @property
    def recorded(self) -> tuple[LineResult, ...]:
        """The lines recorded as received by this reconciliation."""
        return tuple(result for result in self.results if result.outcome is LineOutcome.RECORDED)


def mistyped_references(description: object) -> tuple[str, ...]:
    """Words shaped like a transfer reference (``SC`` and 13 letters or digits) whose check fails, in order.

    They are what a customer who mistyped a reference leaves; reconciliation reports them rather than
    guess which order was meant. Text that is not a string yields nothing.
    """
    if not isinstance(description, str):
        return ()
    shaped = (match.group(1) for match in _SHAPE.finditer(description.upper()))
    return tuple(dict.fromkeys(word for word in shaped if not find_references(word)))


def _needs_staff(line: StatementLine, outcome: LineOutcome, note: str, order: Order | None = None) -> LineResult:
    expected = order.grand_total if order is not None else None
    order_id = order.id if order is not None else None
    payment_id = order.payment_id if order is not None else None
    return LineResult(
        line=line, outcome=outcome, note=note, order_id=order_id, payment_id=payment_id, expected=expected
    )


def _without_one_reference(line: StatementLine, references: Sequence[str]) -> LineResult:
    if references:
        listed = ", ".join(references)
        return _needs_staff(line, LineOutcome.AMBIGUOUS, f"{len(references)} references in the text ({listed})")
    mistyped = mistyped_references(line.description)
    if mistyped:
        note = f"{mistyped[0]} looks like a reference but its check character fails: probably mistyped"
        return _needs_staff(line, LineOutcome.UNKNOWN_REFERENCE, note)
    return _needs_staff(line, LineOutcome.NO_REFERENCE, "no transfer reference in the text: find the order by hand")


def _against(line: StatementLine, order: Order, reference: str) -> LineResult | Match:
    total = order.grand_total
    if not order.awaiting_payment:
        paid = f" by payment {order.payment_id}" if order.payment_id else ""
        note = f"order {order.id} ({reference}) is {order.state.value}{paid}"
        return _needs_staff(line, LineOutcome.NOT_AWAITING, note, order)
    if line.amount.currency != order.currency:
        note = f"order {order.id} is in {order.currency.code}, the line in {line.amount.currency.code}"
        return _needs_staff(line, LineOutcome.CURRENCY, note, order)
    if line.amount < total:
        note = f"order {order.id} totals {total}; {line.amount} received, {total - line.amount} missing"
        return _needs_staff(line, LineOutcome.PARTIAL, note, order)
    if line.amount > total:
        note = f"order {order.id} totals {total}; {line.amount} received, {line.amount - total} too much"
        return _needs_staff(line, LineOutcome.OVERPAID, note, order)
    return Match(line=line, order=order, reference=reference)


def assess(line: StatementLine, orders_named: Callable[[str], Sequence[Order]]) -> LineResult | Match:
    """What ``line`` means, never guessing: a :class:`Match` to record, or a :class:`LineResult` for staff (Y3).

    ``orders_named(reference)`` gives the orders a reference names (``OrderRepository.by_transfer_reference``).
    A match needs exactly one well-formed reference in the text, naming exactly one order, which awaits
    payment (O4), in the line's currency, for exactly its grand total; partial and over payments are never
    matched [decision, as Y5 for online payments]. The checks run in that order, and the first that fails
    gives the outcome.

    Raises:
        ValidationError: ``line`` is not a :class:`StatementLine`.
    """
    if not isinstance(line, StatementLine):
        raise ValidationError("must be a StatementLine", rule="Y3", field="line", value=type(line).__name__)
    references = line.references
    if len(references) != 1:
        return _without_one_reference(line, references)
    reference = references[0]
    orders = list(orders_named(reference))
    if not orders:
        return _needs_staff(line, LineOutcome.UNKNOWN_REFERENCE, f"{reference} names no order")
    if len(orders) > 1:
        names = ", ".join(order.id for order in orders)
        return _needs_staff(line, LineOutcome.AMBIGUOUS, f"{reference} names {len(orders)} orders ({names})")
    return _against(line, orders[0], reference)
