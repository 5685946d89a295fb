"""The IdGenerator contract, run on every id generator adapter."""

from __future__ import annotations

import pytest

from subscription_core.ports import IdGenerator

from .racing import race


def test_ids_start_with_their_prefix(ids: IdGenerator) -> None:
    for prefix in ("ord", "sub", "pay"):
        assert ids.new_id(prefix).startswith(prefix)


def test_ids_are_never_repeated_across_prefixes(ids: IdGenerator) -> None:
    made = [ids.new_id(prefix) for _ in range(300) for prefix in ("ord", "ord-1", "sub")]
    assert len(set(made)) == len(made)


@pytest.mark.usefixtures("eager_thread_switching")
def test_ids_are_never_repeated_under_threads(ids: IdGenerator) -> None:
    made = race(16, lambda _: [ids.new_id("ord") for _ in range(200)])
    flat = [i for batch in made for i in batch]
    assert len(set(flat)) == len(flat) == 16 * 200
