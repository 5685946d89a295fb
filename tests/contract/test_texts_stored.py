"""Any text the library's check takes is stored and read back unchanged on every store (issue 14).

Memory, SQLite and PostgreSQL (whose text and JSON refuse NUL, and whose driver cannot encode a lone
surrogate) all hold what ``subscription_core.texts`` lets through: a one-line name, a note of several
lines; whatever it refuses never reaches a store: an entity holding it cannot be built, or (a name, an
address, which load as stored before the check) is refused where it enters a use case.
"""

from __future__ import annotations

import itertools

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subscription_core.errors import ValidationError
from subscription_core.ports import UnitOfWorkFactory
from subscription_core.texts import text_problem

from .builders import customer
from .test_unapplied_money_repository import money

_AWKWARD = ["\x00", "\x1b", "\n", "\t", "\r", "\x85", "\u2028", "\u202e", "\u2066", "\u200b", "\ufeff", "\ufffe"]
_SURROGATES = ["\ud800", "\udfff"]
TEXTS = st.text(
    st.one_of(st.characters(), st.sampled_from(_AWKWARD + _SURROGATES), st.sampled_from("Đđươàáạ 👩\u200d💻")),
    min_size=1,
    max_size=40,
)
_IDS = itertools.count(1000)  # every example stores new rows: ids and tax codes never repeat within a test
_EACH_EXAMPLE = settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_EACH_EXAMPLE
@given(name=TEXTS)
def test_texts_a_name_the_check_takes_reads_back_unchanged(units: UnitOfWorkFactory, name: str) -> None:
    collapsed = " ".join(name.split())
    if not collapsed:
        with pytest.raises(ValidationError):
            customer("cus-x", name=name)
        return
    if text_problem(collapsed) is not None:  # a name loads as stored; it is refused where it enters
        with pytest.raises(ValidationError):
            customer("cus-x", name=name).subscriber.check_names("subscriber")
        return
    n = next(_IDS)
    stored = customer(f"cus-{n}", n=n, name=name)
    with units() as uow:
        uow.customers.add(stored)
        uow.commit()
    with units() as uow:
        assert uow.customers.get(stored.id) == stored
        assert uow.customers.get(stored.id).name == collapsed


@_EACH_EXAMPLE
@given(note=TEXTS)
def test_texts_a_note_the_check_takes_reads_back_unchanged(units: UnitOfWorkFactory, note: str) -> None:
    if text_problem(note, lines=True) is not None:
        with pytest.raises(ValidationError):
            attrs.evolve(money(), note=note)
        return
    n = next(_IDS)
    stored = attrs.evolve(money(f"una-{n}", reference=f"evt-{n}"), note=note)
    with units() as uow:
        uow.unapplied.add(stored)
        uow.commit()
    with units() as uow:
        assert uow.unapplied.get(stored.id) == stored
