"""VAT rates as a Vietnamese e-invoice shows them, and schedules of rates with effective dates (rule C6).

The kinds are KCT (not subject to VAT: software products and services are, under current VAT rules),
KKKNT (not declared), and the rates 0 %, 5 %, 8 % and 10 %. KCT and KKKNT carry no VAT but are not 0 %:
an invoice totals them on lines of their own.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from decimal import Decimal
from typing import Final

import attrs

from subscription_core.errors import ValidationError, of_type
from subscription_core.money import CONTEXT

__all__ = ["ALLOWED_PERCENTS", "VatKind", "VatPeriod", "VatRate", "VatSchedule"]

ALLOWED_PERCENTS: Final = frozenset({Decimal(0), Decimal(5), Decimal(8), Decimal(10)})


class VatKind(enum.Enum):
    """What kind of VAT line an e-invoice shows."""

    RATE = "rate"
    NOT_SUBJECT = "KCT"
    NOT_DECLARED = "KKKNT"


@attrs.frozen(cache_hash=True)
class VatRate:
    """One VAT rate: a percentage (0, 5, 8 or 10) or one of the no-VAT kinds KCT and KKKNT."""

    kind: VatKind = attrs.field(validator=of_type(VatKind))
    percent: Decimal = attrs.field(default=Decimal(0), validator=of_type(Decimal))

    def __attrs_post_init__(self) -> None:
        """Check that a percentage rate is one the law knows and that a no-VAT kind carries 0."""
        if self.kind is VatKind.RATE and self.percent not in ALLOWED_PERCENTS:
            raise ValidationError("VAT rate must be 0, 5, 8 or 10 %", rule="C6", field="vat", value=self.percent)
        if self.kind is not VatKind.RATE and self.percent != 0:
            raise ValidationError(
                f"{self.kind.value} carries no percentage", rule="C6", field="vat", value=self.percent
            )

    @classmethod
    def parse(cls, label: str) -> VatRate:
        """Read a label: ``"KCT"``, ``"KKKNT"``, ``"0%"``, ``"5%"``, ``"8%"`` or ``"10%"``.

        Raises:
            ValidationError: any other label.
        """
        text = str(label).strip().upper()
        if text in ("KCT", "KKKNT"):
            return cls(VatKind(text))
        number = text.removesuffix("%").strip()
        # ASCII digits only: "١٠%" or a superscript is not a rate a Vietnamese invoice prints
        if number.isascii() and number.isdigit() and Decimal(number) in ALLOWED_PERCENTS:
            return cls(VatKind.RATE, Decimal(number))
        raise ValidationError("VAT rate must be KCT, KKKNT, 0%, 5%, 8% or 10%", rule="C6", field="vat", value=label)

    @property
    def fraction(self) -> Decimal:
        """The rate as a fraction of the taxable amount (0 for KCT and KKKNT)."""
        return self.percent.scaleb(-2, context=CONTEXT)

    @property
    def label(self) -> str:
        """The label an invoice prints: ``10%``, ``KCT``."""
        return f"{self.percent}%" if self.kind is VatKind.RATE else self.kind.value

    @property
    def sort_key(self) -> tuple[int, Decimal]:
        """A stable order for VAT totals: KCT, KKKNT, then rates ascending."""
        order = {VatKind.NOT_SUBJECT: 0, VatKind.NOT_DECLARED: 1, VatKind.RATE: 2}
        return (order[self.kind], self.percent)

    def __str__(self) -> str:
        """Same as :attr:`label`."""
        return self.label


@attrs.frozen
class VatPeriod:
    """A rate in force from ``start`` (inclusive) until ``end`` (inclusive), or open-ended."""

    rate: VatRate = attrs.field(validator=of_type(VatRate))
    start: dt.date = attrs.field(validator=of_type(dt.date))
    end: dt.date | None = attrs.field(default=None, validator=attrs.validators.optional(of_type(dt.date)))

    def __attrs_post_init__(self) -> None:
        """Check the period is not reversed."""
        if self.end is not None and self.end < self.start:
            raise ValidationError("VAT period ends before it starts", rule="C6", field="vat.end", value=self.end)

    def covers(self, day: dt.date) -> bool:
        """Whether the rate is in force on ``day``."""
        return self.start <= day and (self.end is None or day <= self.end)


def _as_periods(value: object) -> tuple[VatPeriod, ...]:
    if isinstance(value, VatPeriod):
        return (value,)
    if isinstance(value, tuple | list):
        return tuple(value)
    raise ValidationError("must be a sequence of VAT periods", rule="C6", field="vat", value=value)


@attrs.frozen
class VatSchedule:
    """The VAT rates of one catalog item over time; periods never overlap (C6)."""

    periods: tuple[VatPeriod, ...] = attrs.field(converter=_as_periods)

    def __attrs_post_init__(self) -> None:
        """Check there is at least one period and that no two overlap."""
        if not self.periods:
            raise ValidationError("a VAT schedule needs at least one period", rule="C6", field="vat", value=())
        ordered = sorted(self.periods, key=lambda p: p.start)
        for before, after in itertools.pairwise(ordered):
            if before.end is None or before.end >= after.start:
                raise ValidationError(
                    "VAT periods overlap", rule="C6", field="vat", value=f"{before.start} and {after.start}"
                )
        object.__setattr__(self, "periods", tuple(ordered))

    @classmethod
    def flat(cls, rate: VatRate | str, start: dt.date = dt.date(2000, 1, 1)) -> VatSchedule:
        """One rate in force from ``start`` on."""
        return cls((VatPeriod(rate if isinstance(rate, VatRate) else VatRate.parse(rate), start),))

    def rate_on(self, day: dt.date) -> VatRate:
        """Return the rate in force on ``day`` (C6).

        Raises:
            ValidationError: no period covers ``day``.
        """
        for period in self.periods:
            if period.covers(day):
                return period.rate
        raise ValidationError("no VAT rate is in force on this date", rule="C6", field="as_of", value=day)
