"""The IdempotencyStore contract, run on every repository adapter."""

from __future__ import annotations

import pytest

from subscription_core.errors import ConflictError
from subscription_core.ports import UnitOfWorkFactory

from .builders import idempotency_record


def test_unknown_key_has_no_record(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        assert uow.idempotency.get("place_order", "req-1") is None


def test_stored_record_reads_back_equal(units: UnitOfWorkFactory) -> None:
    record = idempotency_record("req-1")
    with units() as uow:
        uow.idempotency.put("place_order", record)
        uow.commit()
    with units() as uow:
        assert uow.idempotency.get("place_order", "req-1") == record


def test_a_key_is_stored_once_per_scope(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        uow.idempotency.put("place_order", idempotency_record("req-1"))
        uow.commit()
    with units() as uow, pytest.raises(ConflictError):
        uow.idempotency.put("place_order", idempotency_record("req-1", fingerprint="sha256:bbbb"))


def test_scopes_keep_their_keys_apart(units: UnitOfWorkFactory) -> None:
    placing, paying = idempotency_record("req-1"), idempotency_record("req-1", outcome="pay-1")
    with units() as uow:
        uow.idempotency.put("place_order", placing)
        uow.idempotency.put("pay_order", paying)
        uow.commit()
    with units() as uow:
        assert uow.idempotency.get("place_order", "req-1") == placing
        assert uow.idempotency.get("pay_order", "req-1") == paying
