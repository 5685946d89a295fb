"""Invoice series: the form number ``KHMSHDon`` and the symbol ``KHHDon`` of Circular 78/2021/TT-BTC art. 4 (I1).

The symbol has six characters: ``C`` or ``K`` (issued with or without the tax authority's code), the two
last digits of the invoices' year, the kind letter (``T``: an enterprise registered with the tax
authority; ``D``: a special e-invoice), and two letters the seller chooses from the 20 capitals of the
Vietnamese alphabet (``YY`` when it has no use for them). Numbers run from 1 to 99,999,999 within a series
(Decree 123/2020/ND-CP art. 10: at most 8 digits); the year in the symbol makes each year a new series.
"""

from __future__ import annotations

import re
from typing import Final

import attrs

from subscription_core.errors import ValidationError

__all__ = ["MAX_NUMBER", "VAT_INVOICE", "InvoiceSeries"]

MAX_NUMBER: Final = 99_999_999
"""The largest invoice number: ``SHDon`` has at most 8 digits."""
VAT_INVOICE: Final = "1"
"""``KHMSHDon`` of a VAT invoice (hóa đơn giá trị gia tăng), the only form this adapter issues."""

_LETTERS: Final = frozenset("ABCDEGHKLMNPQRSTUVXY")
_KINDS: Final = frozenset("TD")
_SYMBOL: Final = re.compile(r"^([CK])(\d{2})([A-Z])([A-Z]{2})$")
_FIRST_YEAR: Final = 2000
_LAST_YEAR: Final = 2099


def _symbol(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError("must be text such as 'C26TAA'", rule="I1", field="series", value=value)
    text = value.strip().upper()
    found = _SYMBOL.match(text)
    if found is None:
        raise ValidationError(
            "must be 6 characters: C or K, the year's two digits, the kind letter, two letters (e.g. C26TAA)",
            rule="I1",
            field="series",
            value=value,
        )
    kind, letters = found.group(3), found.group(4)
    if kind not in _KINDS:
        raise ValidationError(
            f"has kind letter {kind!r}; an enterprise's VAT invoice is T (registered) or D (special e-invoice)",
            rule="I1",
            field="series",
            value=value,
        )
    if not set(letters) <= _LETTERS:
        raise ValidationError(
            "must end in two capitals of the Vietnamese alphabet (not F, I, J, O, W or Z)",
            rule="I1",
            field="series",
            value=value,
        )
    return text


def _form(value: object) -> str:
    if value != VAT_INVOICE:
        raise ValidationError(
            "only form '1' (VAT invoice) is issued by this adapter", rule="I1", field="series.form", value=value
        )
    return VAT_INVOICE


@attrs.frozen
class InvoiceSeries:
    """A series of invoices numbered from 1 without gaps: ``InvoiceSeries("C26TAA")`` (form "1"), code ``1C26TAA``.

    Raises:
        ValidationError: (I1) a form other than "1", or a symbol not shaped as Circular 78 requires.
    """

    symbol: str = attrs.field(converter=_symbol)
    form: str = attrs.field(default=VAT_INVOICE, converter=_form)

    @classmethod
    def parse(cls, code: str) -> InvoiceSeries:
        """Read a code such as ``"1C26TAA"``: the form digit, then the symbol. Raises as the class does."""
        if not isinstance(code, str) or len(code.strip()) < 2:  # noqa: PLR2004 - a form digit and a symbol
            raise ValidationError("must be the form digit and the symbol, e.g. 1C26TAA", rule="I1", field="series")
        text = code.strip()
        return cls(symbol=text[1:], form=text[0])

    @property
    def code(self) -> str:
        """The form and the symbol together, as invoices are filed: ``1C26TAA``."""
        return f"{self.form}{self.symbol}"

    @property
    def year(self) -> int:
        """The year of the invoices of this series, from its symbol's two digits."""
        return _FIRST_YEAR + int(self.symbol[1:3])

    def in_year(self, year: int) -> InvoiceSeries:
        """The same series for the invoices of ``year``: ``C26TAA`` becomes ``C27TAA`` in 2027.

        Raises:
            ValidationError: (I1) a year outside 2000-2099.
        """
        if isinstance(year, bool) or not isinstance(year, int) or not _FIRST_YEAR <= year <= _LAST_YEAR:
            raise ValidationError("must be a year from 2000 to 2099", rule="I1", field="year", value=year)
        return InvoiceSeries(symbol=f"{self.symbol[0]}{year % 100:02d}{self.symbol[3:]}", form=self.form)

    def __str__(self) -> str:
        """The code: ``1C26TAA``."""
        return self.code
