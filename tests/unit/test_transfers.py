"""Bank-transfer references (Y3): short, unambiguous, derived from the order id, found again in bank text."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core import transfers
from subscription_core.errors import ValidationError
from subscription_core.transfers import (
    PREFIX,
    REFERENCE_LENGTH,
    find_references,
    is_transfer_reference,
    transfer_reference,
)

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ids = st.text(min_size=1, max_size=60).filter(str.strip)


def test_y3_the_module_examples_run() -> None:
    assert doctest.testmod(transfers).failed == 0


@given(ids)
def test_y3_a_reference_is_short_unambiguous_and_stable(order_id: str) -> None:
    reference = transfer_reference(order_id)
    assert reference == transfer_reference(order_id)
    assert len(reference) == REFERENCE_LENGTH <= 25  # VietQR's purpose field holds 25 characters
    assert reference.startswith(PREFIX)
    assert all(char in ALPHABET for char in reference[len(PREFIX) :])
    assert is_transfer_reference(reference)


@given(ids, st.integers(min_value=len(PREFIX), max_value=REFERENCE_LENGTH - 1), st.sampled_from(ALPHABET))
def test_y3_one_mistyped_character_is_caught_by_the_check(order_id: str, place: int, char: str) -> None:
    reference = transfer_reference(order_id)
    typo = reference[:place] + char + reference[place + 1 :]
    assert is_transfer_reference(typo) == (typo == reference)


@given(ids, st.text(max_size=40), st.text(max_size=40))
def test_y3_a_reference_is_found_in_whatever_a_bank_writes_around_it(order_id: str, before: str, after: str) -> None:
    reference = transfer_reference(order_id)
    assert reference in find_references(f"{before} {reference.lower()} {after}")


def test_y3_crockford_look_alikes_are_read_as_digits() -> None:
    reference = next(r for r in map(transfer_reference, (f"ord-{i}" for i in range(500))) if "0" in r[2:])
    typed = PREFIX + reference[len(PREFIX) :].replace("0", "o")
    assert find_references(f"CK {typed} thanh toan") == (reference,)


def test_y3_text_without_a_valid_reference_yields_nothing() -> None:
    reference = transfer_reference("ord-1")
    broken = reference[:-1] + ("0" if reference[-1] != "0" else "1")
    for text in ("", "chuyen tien", broken, reference[:-1], None, 42, b"SC"):
        assert find_references(text) == ()
    assert find_references(f"{reference} {reference}") == (reference,)


@pytest.mark.parametrize("bad", ["", "  ", None])
def test_y3_a_reference_needs_an_order_id(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        transfer_reference(bad)  # type: ignore[arg-type]
    assert caught.value.field == "order_id"
