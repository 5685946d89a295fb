"""The name of a line on the e-invoice (``THHDVu``), in Vietnamese (I4).

An order line's ``description`` is frozen when the order is placed (C5) as the catalog names it: the plan's
name and its pricing option's term in English, "Gói Tiêu chuẩn (1 year)" (``PricingOption.label``). Other
readers keep that text (the payment link page, a subscription's item names, a host's English screens); the
e-invoice is a Vietnamese legal document, so :func:`invoice_line_name` writes the term in Vietnamese: "Gói
Tiêu chuẩn (1 năm)", "Gói Tiêu chuẩn (2 × 6 tháng)".

The term is rewritten only where it is the one pricing wrote for the line: the suffix must read as an option
label and, on a line that carries its grant (O6), agree with the term the grant froze (unit and length). So a
plan whose own name ends in parentheses keeps them, and no stored order has to change: orders placed before
this rule get Vietnamese names on their invoices too. Add-on lines keep the catalog's name, which the vendor
writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from subscription_core.grants import PlanGrant
from subscription_core.order_lines import OrderLine
from subscription_core.quotes import LineKind

__all__ = ["TERM_UNITS_VI", "invoice_line_name", "term_in_vietnamese"]

TERM_UNITS_VI: Final[Mapping[str, str]] = MappingProxyType({"day": "ngày", "month": "tháng", "year": "năm"})
"""The Vietnamese name of each term unit; Vietnamese nouns take no plural."""

# PricingOption.label: "1 year", "3 months" (cycles of a one-unit cycle) or "2 × 6 months" (cycles × cycle).
_TERM: Final = re.compile(r" \((?:(?P<cycles>\d{1,9}) × )?(?P<length>\d{1,9}) (?P<unit>day|month|year)s?\)\Z")


def term_in_vietnamese(length: int, unit: str, cycles: int | None = None) -> str:
    """A term as the invoice writes it: ``"1 năm"``, ``"3 tháng"``, ``"2 × 6 tháng"`` (``cycles`` × ``length``)."""
    term = f"{length} {TERM_UNITS_VI[unit]}"
    return term if cycles is None else f"{cycles} × {term}"


def invoice_line_name(line: OrderLine) -> str:
    """``THHDVu`` of ``line``: its description with a plan's term in Vietnamese (I4), or its code if it has none.

    Never raises for an :class:`~subscription_core.order_lines.OrderLine`.
    """
    text = line.description or line.code
    if line.kind is not LineKind.PLAN:
        return text
    match = _TERM.search(text)
    if match is None:
        return text
    cycles = int(match["cycles"]) if match["cycles"] is not None else None
    length, unit = int(match["length"]), match["unit"]
    grant = line.grant
    if isinstance(grant, PlanGrant) and (grant.unit.value, grant.length) != (unit, length * (cycles or 1)):
        return text  # the parentheses are not the term this line bought: part of the plan's own name
    return f"{text[: match.start()]} ({term_in_vietnamese(length, unit, cycles)})"
