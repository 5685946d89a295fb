"""Only a lost race is run again; a permanent conflict is refused on the first attempt (SQLite, PostgreSQL)."""

from __future__ import annotations

import attrs
import pytest
from sqlalchemy import Engine

from subscription_core.customers import Actor
from subscription_core.errors import ConflictError, TransientConflictError
from subscription_core.services import register_customer
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.local import SequentialIds
from subscription_core_adapters.sql import SqlUnitOfWorkFactory

from .builders import CATALOG, party, tax_code

STAFF = Actor.staff("st-1")


def test_u1_a_duplicate_tax_code_is_refused_without_a_retry(engine: Engine) -> None:
    pauses: list[int] = []
    deps = attrs.evolve(
        bootstrap_memory(CATALOG, ids=SequentialIds(), uow=SqlUnitOfWorkFactory(engine)), pause=pauses.append
    )
    details = party("Công ty Mới", code=tax_code(7))
    register_customer(deps, STAFF, name="Công ty Mới", tax_code=tax_code(7), subscriber=details, idempotency_key="r-1")
    with pytest.raises(ConflictError) as caught:
        register_customer(
            deps, STAFF, name="Công ty Khác", tax_code=tax_code(7), subscriber=details, idempotency_key="r-2"
        )
    assert not isinstance(caught.value, TransientConflictError)
    assert caught.value.rule == "U1"
    assert pauses == []
