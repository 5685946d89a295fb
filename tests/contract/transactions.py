"""How the contract tests write: as a use case does, in a unit of work of its own that commits."""

from __future__ import annotations

from collections.abc import Callable

from subscription_core.ports import UnitOfWork, UnitOfWorkFactory


def commit(units: UnitOfWorkFactory, action: Callable[[UnitOfWork], object]) -> None:
    """Run ``action`` in a new unit of work and commit it; whatever it raises (a lost race included) propagates."""
    with units() as uow:
        action(uow)
        uow.commit()
