"""Amounts in Vietnamese words, as an e-invoice writes its total (``TgTTTBChu``): "Một triệu hai trăm nghìn đồng".

The number is read in groups of three digits from the top. The most significant group is read as it is
("mười lăm", "một trăm linh năm"); every group after it is read in full, with "không trăm" and "linh" where
its hundreds or tens are zero ("một nghìn không trăm linh năm"), and a group of zeros is left out with its
scale word. The scale words are "nghìn" (10³) and "triệu" (10⁶); "tỷ" (10⁹) repeats above them, so that
10¹² is "một nghìn tỷ" and 10¹⁵ "một triệu tỷ". Inside a group: "mười" for ten, "X mươi" above it; a
final one after "X mươi" is "mốt" ("hai mươi mốt"); a final five after any ten is "lăm" ("mười lăm",
"hai mươi lăm"), and "năm" after "linh" ("một trăm linh năm"). Four stays "bốn", the written form.

An adjusting invoice's total is the difference, negative for a decrease (Decree 123/2020/NĐ-CP art. 19 as
amended by Decree 70/2025/NĐ-CP art. 1 (13): "điều chỉnh giảm (ghi dấu âm)"); :func:`difference_in_words`
reads the sign as the word "Âm" before the amount ("Âm sáu trăm nghìn đồng"), the reading Vietnamese
invoicing software gives a negative amount (no official wording for it was found).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from subscription_core.errors import ValidationError

__all__ = ["MAX_WORDS_AMOUNT", "amount_in_words", "difference_in_words", "number_in_words"]

MAX_WORDS_AMOUNT: Final = 10**18 - 1
"""The largest whole amount :func:`amount_in_words` reads: up to "triệu tỷ"."""

_DIGITS: Final = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_SCALES: Final = ("", " nghìn", " triệu")
_BILLION: Final = 10**9


def _units(units: int, tens: int) -> str:
    """The last digit of a group, after its tens (0: none, or "linh" when hundreds were read)."""
    if units == 1 and tens >= 2:  # noqa: PLR2004 - "hai mươi" and up
        return "mốt"
    if units == 5 and tens >= 1:  # noqa: PLR2004 - the digit five
        return "lăm"
    return _DIGITS[units]


def _tens_and_units(tens: int, units: int, *, after_hundreds: bool) -> list[str]:
    if tens == 0:
        if units == 0:
            return []
        return ["linh", _DIGITS[units]] if after_hundreds else [_DIGITS[units]]
    words = ["mười"] if tens == 1 else [_DIGITS[tens], "mươi"]
    if units:
        words.append(_units(units, tens))
    return words


def _group(value: int, *, full: bool) -> str:
    """Read 1..999; ``full`` reads the hundreds even when zero ("không trăm linh năm")."""
    hundreds, rest = divmod(value, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words += [_DIGITS[hundreds], "trăm"]
    words += _tens_and_units(tens, units, after_hundreds=bool(words))
    return " ".join(words)


def _below_billion(value: int, *, leading: bool) -> list[str]:
    """Read 0..10⁹-1 as groups with their scale words; ``leading``: nothing was read before it."""
    groups = [(value // 10**6) % 1000, (value // 1000) % 1000, value % 1000]
    parts: list[str] = []
    for position, group in enumerate(groups):
        if group:
            full = not (leading and not parts)
            parts.append(_group(group, full=full) + _SCALES[2 - position])
    return parts


def _read(value: int, *, leading: bool) -> list[str]:
    upper, lower = divmod(value, _BILLION)
    parts: list[str] = []
    if upper:
        parts = [*_read(upper, leading=leading), "tỷ"]
        leading = False
    return parts + _below_billion(lower, leading=leading)


def _whole(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise ValidationError(
            "must be a whole number of đồng (int or Decimal)", rule="I1", field="amount", value=amount
        )
    if isinstance(amount, Decimal) and (not amount.is_finite() or amount != amount.to_integral_value()):
        raise ValidationError("must be a whole number of đồng", rule="I1", field="amount", value=amount)
    value = int(amount)
    if not 0 <= value <= MAX_WORDS_AMOUNT:
        raise ValidationError(
            f"must lie between 0 and {MAX_WORDS_AMOUNT:,} to be read in words", rule="I1", field="amount", value=amount
        )
    return value


def number_in_words(amount: int | Decimal) -> str:
    """Return a whole number from 0 to 10¹⁸-1 in lower-case Vietnamese words: 105 → "một trăm linh năm".

    Raises:
        ValidationError: (I1) not an int or a whole ``Decimal``, negative, or above :data:`MAX_WORDS_AMOUNT`.
    """
    value = _whole(amount)
    if value == 0:
        return _DIGITS[0]
    return " ".join(_read(value, leading=True))


def amount_in_words(amount: int | Decimal) -> str:
    """Return an amount of đồng in words, capitalized, ending in "đồng": "Một triệu hai trăm nghìn đồng".

    Zero is "Không đồng". Raises as :func:`number_in_words` does.
    """
    words = number_in_words(amount)
    return f"{words[0].upper()}{words[1:]} đồng"


def difference_in_words(amount: int | Decimal) -> str:
    """Return a signed amount of đồng in words, as an adjusting invoice writes it (Y8): a decrease with "Âm".

    -600000 → "Âm sáu trăm nghìn đồng"; a positive amount reads as :func:`amount_in_words`.

    Raises:
        ValidationError: (I1) not an int or a whole ``Decimal``, or beyond :data:`MAX_WORDS_AMOUNT` either way.
    """
    if isinstance(amount, int | Decimal) and not isinstance(amount, bool) and amount < 0:
        return f"Âm {number_in_words(-amount)} đồng"
    return amount_in_words(amount)
