"""The PaymentRepository contract (Y1-Y5), run on every repository adapter."""

from __future__ import annotations

import pytest

from subscription_core.errors import ConflictError, NotFoundError
from subscription_core.ports import UnitOfWorkFactory

from .builders import STAFF, T0, at, order, payment, proof
from .transactions import commit

PLACED = order("ord-1", pay_by=at(3))


def test_y2_added_payment_reads_back_equal(units: UnitOfWorkFactory) -> None:
    stored = payment("pay-1", PLACED)
    with units() as uow:
        uow.payments.add(stored)
        uow.commit()
    with units() as uow:
        assert uow.payments.get("pay-1") == stored


def test_unknown_payment_is_not_found(units: UnitOfWorkFactory) -> None:
    with units() as uow, pytest.raises(NotFoundError):
        uow.payments.get("pay-404")


def test_payment_id_is_unique(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        uow.payments.add(payment("pay-1", PLACED))
        uow.commit()
    with units() as uow, pytest.raises(ConflictError):
        uow.payments.add(payment("pay-1", PLACED, started=at(1)))


def test_y2_saved_payment_replaces_the_stored_one_and_stale_saves_conflict(units: UnitOfWorkFactory) -> None:
    started = payment("pay-1", PLACED)
    with units() as uow:
        uow.payments.add(started)
        uow.commit()
    succeeded = started.succeed(at=at(1), provider_ref="vnpay-evt-1")
    with units() as uow:
        uow.payments.save(succeeded, expected_version=started.version)
        uow.commit()
    failed = started.fail(at=at(1), reason="declined")
    with pytest.raises(ConflictError):
        commit(units, lambda uow: uow.payments.save(failed, expected_version=started.version))
    with units() as uow:
        assert uow.payments.get("pay-1") == succeeded


def test_saving_an_unknown_payment_is_not_found(units: UnitOfWorkFactory) -> None:
    with units() as uow, pytest.raises(NotFoundError):
        uow.payments.save(payment("pay-404", PLACED), expected_version=0)


def test_y1_payments_of_an_order_oldest_first(units: UnitOfWorkFactory) -> None:
    other = order("ord-2", pay_by=at(3))
    with units() as uow:
        uow.payments.add(payment("pay-b", PLACED, started=at(0.2)))
        uow.payments.add(payment("pay-x", other, started=at(0.1)))
        uow.payments.add(payment("pay-a", PLACED, started=at(0.3)))
        uow.payments.add(payment("pay-c", PLACED, started=at(0.1)))
        uow.commit()
    with units() as uow:
        assert [p.id for p in uow.payments.of_order("ord-1")] == ["pay-c", "pay-b", "pay-a"]
        assert uow.payments.of_order("ord-9") == []


def test_y4_added_proof_reads_back_equal(units: UnitOfWorkFactory) -> None:
    stored = proof("prf-1")
    with units() as uow:
        uow.payments.add_proof(stored)
        uow.commit()
    with units() as uow:
        assert uow.payments.get_proof("prf-1") == stored


def test_y4_unknown_proof_is_not_found(units: UnitOfWorkFactory) -> None:
    with units() as uow, pytest.raises(NotFoundError):
        uow.payments.get_proof("prf-404")


def test_y4_proof_id_is_unique(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        uow.payments.add_proof(proof("prf-1"))
        uow.commit()
    with units() as uow, pytest.raises(ConflictError):
        uow.payments.add_proof(proof("prf-1", order_id="ord-2"))


def test_y4_saved_proof_replaces_the_stored_one_and_stale_saves_conflict(units: UnitOfWorkFactory) -> None:
    submitted = proof("prf-1")
    with units() as uow:
        uow.payments.add_proof(submitted)
        uow.commit()
    verified = submitted.verify(at=at(1), by=STAFF)
    with units() as uow:
        uow.payments.save_proof(verified, expected_version=submitted.version)
        uow.commit()
    rejected = submitted.reject(at=at(1), by=STAFF, reason="unreadable")
    with pytest.raises(ConflictError):
        commit(units, lambda uow: uow.payments.save_proof(rejected, expected_version=submitted.version))
    with units() as uow:
        assert uow.payments.get_proof("prf-1") == verified


def test_y4_saving_an_unknown_proof_is_not_found(units: UnitOfWorkFactory) -> None:
    with units() as uow, pytest.raises(NotFoundError):
        uow.payments.save_proof(proof("prf-404").verify(at=at(1), by=STAFF), expected_version=0)


def test_y5_notification_recorded_once(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        assert uow.payments.record_notification("vnpay", "evt-1", order_id="ord-1", at=T0) is True
        assert uow.payments.record_notification("vnpay", "evt-1", order_id="ord-1", at=at(0.1)) is False
        uow.commit()
    with units() as uow:
        assert uow.payments.record_notification("vnpay", "evt-1", order_id="ord-1", at=at(1)) is False


def test_y5_notifications_are_told_apart_by_provider_and_event(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        assert uow.payments.record_notification("vnpay", "evt-1", order_id="ord-1", at=T0) is True
        assert uow.payments.record_notification("vnpay", "evt-2", order_id="ord-1", at=T0) is True
        assert uow.payments.record_notification("momo", "evt-1", order_id="ord-1", at=T0) is True
        uow.commit()


def test_y5_a_notification_rolled_back_is_not_remembered(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        assert uow.payments.record_notification("vnpay", "evt-1", order_id="ord-1", at=T0) is True
    with units() as uow:
        assert uow.payments.record_notification("vnpay", "evt-1", order_id="ord-1", at=T0) is True
