"""Amounts in Vietnamese words (TgTTTBChu, I1): hand-checked examples, and properties over the whole range.

The properties read the words back with :func:`read_back`, a parser written independently of the adapter
(it splits at "tỷ", then "triệu" and "nghìn", and reads each group with its own digit table), so that a
round trip over any number proves the words name that number.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.errors import ValidationError
from subscription_core_adapters.einvoice.words import MAX_WORDS_AMOUNT, amount_in_words, number_in_words

_DIGITS = {"không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5}
_DIGITS |= {"sáu": 6, "bảy": 7, "tám": 8, "chín": 9}
_TENS_AND_HUNDREDS = {"trăm": 100, "mươi": 10}
_TEN = {"mười"}
_ZERO_TENS = {"linh", "lẻ"}


def _group(tokens: list[str]) -> int:
    value = pending = 0
    for token in tokens:
        if token in _DIGITS:
            pending = _DIGITS[token]
        elif token in _TENS_AND_HUNDREDS:
            value, pending = value + pending * _TENS_AND_HUNDREDS[token], 0
        elif token in _TEN:
            value += 10
        elif token not in _ZERO_TENS:
            raise AssertionError(f"unexpected word {token!r}")
    assert value + pending <= 999
    return value + pending


def _split(tokens: list[str], word: str, scale: int) -> tuple[int, list[str]]:
    if word not in tokens:
        return 0, tokens
    at = tokens.index(word)
    return _group(tokens[:at]) * scale, tokens[at + 1 :]


def read_back(words: str) -> int:
    """The number that lower-case Vietnamese ``words`` name."""
    tokens = words.split()
    if "tỷ" in tokens:
        at = len(tokens) - 1 - tokens[::-1].index("tỷ")
        return read_back(" ".join(tokens[:at])) * 10**9 + read_back(" ".join(tokens[at + 1 :]))
    millions, tokens = _split(tokens, "triệu", 10**6)
    thousands, tokens = _split(tokens, "nghìn", 10**3)
    return millions + thousands + (_group(tokens) if tokens else 0)


EXAMPLES = [
    (0, "Không đồng"),
    (1, "Một đồng"),
    (10, "Mười đồng"),
    (11, "Mười một đồng"),
    (15, "Mười lăm đồng"),
    (21, "Hai mươi mốt đồng"),
    (25, "Hai mươi lăm đồng"),
    (55, "Năm mươi lăm đồng"),
    (105, "Một trăm linh năm đồng"),
    (111, "Một trăm mười một đồng"),
    (1_005, "Một nghìn không trăm linh năm đồng"),
    (1_015, "Một nghìn không trăm mười lăm đồng"),
    (15_000, "Mười lăm nghìn đồng"),
    (31_030, "Ba mươi mốt nghìn không trăm ba mươi đồng"),
    (550_000, "Năm trăm năm mươi nghìn đồng"),
    (1_200_000, "Một triệu hai trăm nghìn đồng"),
    (1_001_000, "Một triệu không trăm linh một nghìn đồng"),
    (6_600_000, "Sáu triệu sáu trăm nghìn đồng"),
    (10_309_499, "Mười triệu ba trăm linh chín nghìn bốn trăm chín mươi chín đồng"),
    (1_000_000_005, "Một tỷ không trăm linh năm đồng"),
    (2_500_000_000, "Hai tỷ năm trăm triệu đồng"),
    (10**12, "Một nghìn tỷ đồng"),
    (1_000_001_000_000, "Một nghìn tỷ không trăm linh một triệu đồng"),
    (10**15, "Một triệu tỷ đồng"),
]


@pytest.mark.parametrize(("amount", "words"), EXAMPLES)
def test_i1_hand_checked_amounts_in_words(amount: int, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words
    assert amount_in_words(amount) == words


def test_i1_the_largest_amount_is_read_in_full() -> None:
    words = number_in_words(MAX_WORDS_AMOUNT)
    assert words.startswith("chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm")
    assert read_back(words) == MAX_WORDS_AMOUNT


@given(st.integers(0, MAX_WORDS_AMOUNT))
def test_i1_words_read_back_to_the_number(n: int) -> None:
    assert read_back(number_in_words(n)) == n


@given(st.integers(0, 999), st.integers(0, 4), st.integers(0, 999))
def test_i1_numbers_with_zeros_inside_read_back(head: int, zeros: int, tail: int) -> None:
    n = head * 10 ** (3 * zeros + 3) + tail
    assert read_back(number_in_words(n)) == n


@given(st.integers(1, MAX_WORDS_AMOUNT))
def test_i1_the_words_follow_the_reading_rules(n: int) -> None:
    tokens = number_in_words(n).split()
    pairs = list(itertools.pairwise(tokens))
    assert tokens[0] not in ("không", "linh", "mươi", "mốt", "lăm")  # the leading group is read as it is
    assert ("mười", "mốt") not in pairs  # eleven is "mười một"
    assert ("linh", "lăm") not in pairs  # "một trăm linh năm"
    assert ("mươi", "một") not in pairs  # "hai mươi mốt"
    assert not any(a in ("mười", "mươi") and b == "năm" for a, b in pairs)  # "mười lăm", "hai mươi lăm"
    assert ("không", "mươi") not in pairs
    assert ("không", "nghìn") not in pairs  # a group of zeros is left out with its scale word


@given(st.integers(1, 999), st.integers(0, 999_999))
def test_i1_every_group_after_the_first_is_read_in_full(head: int, tail: int) -> None:
    words = number_in_words(head * 10**6 + tail)
    rest = words.split(" triệu", 1)[1]
    if tail % 1000 and tail // 1000:
        assert "trăm" in rest.split("nghìn")[1]
    if 1000 <= tail < 100_000:
        assert rest.split()[0] == "không"


@given(st.integers(0, MAX_WORDS_AMOUNT))
def test_i1_an_amount_reads_capitalized_in_dong(n: int) -> None:
    words = amount_in_words(n)
    assert words.endswith(" đồng")
    assert words[0].isupper()
    assert words[1:] == f"{number_in_words(n)} đồng"[1:]


@pytest.mark.parametrize(
    "bad", [-1, MAX_WORDS_AMOUNT + 1, Decimal("12.5"), Decimal("NaN"), Decimal("Infinity"), 1.0, True, "100", None]
)
def test_i1_amounts_that_cannot_be_read_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        amount_in_words(bad)  # type: ignore[arg-type]
    assert caught.value.rule == "I1"
    assert caught.value.field == "amount"


def test_i1_a_whole_decimal_with_a_fraction_of_zeros_is_read() -> None:
    assert amount_in_words(Decimal("1200000.00")) == "Một triệu hai trăm nghìn đồng"
