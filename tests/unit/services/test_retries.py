"""A use case that loses a race runs again in a fresh unit of work, a bounded number of times, pausing between."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from subscription_core.errors import ConflictError, TransientConflictError, ValidationError
from subscription_core.ports import UnitOfWork
from subscription_core.services.idempotency import ATTEMPTS, with_retries
from subscription_core_adapters.bootstrap import bootstrap_memory

from .harness import CATALOG


def test_a_lost_race_runs_again_after_the_host_s_pause() -> None:
    pauses: list[int] = []
    deps = attrs.evolve(bootstrap_memory(CATALOG), pause=pauses.append)
    runs: list[int] = []

    def work(_uow: UnitOfWork, _now: dt.datetime) -> str:
        runs.append(len(runs) + 1)
        if len(runs) < 3:
            raise TransientConflictError("lost", field="expected_version")
        return "won"

    assert with_retries(deps, work, name="test") == "won"
    assert runs == [1, 2, 3]
    assert pauses == [1, 2]


def test_retries_are_bounded_and_the_last_conflict_surfaces() -> None:
    pauses: list[int] = []
    deps = attrs.evolve(bootstrap_memory(CATALOG), pause=pauses.append)

    def work(_uow: UnitOfWork, _now: dt.datetime) -> str:
        raise TransientConflictError("lost", field="expected_version")

    with pytest.raises(ConflictError):
        with_retries(deps, work, name="test")
    assert pauses == list(range(1, ATTEMPTS))


def test_a_permanent_conflict_is_not_retried() -> None:
    pauses: list[int] = []
    runs: list[int] = []
    deps = attrs.evolve(bootstrap_memory(CATALOG), pause=pauses.append)

    def work(_uow: UnitOfWork, _now: dt.datetime) -> str:
        runs.append(1)
        raise ConflictError("another customer already has this tax code", rule="U1", field="tax_code")

    with pytest.raises(ConflictError) as caught:
        with_retries(deps, work, name="test")
    assert not isinstance(caught.value, TransientConflictError)
    assert (runs, pauses) == ([1], [])


def test_other_errors_are_not_retried() -> None:
    pauses: list[int] = []
    deps = attrs.evolve(bootstrap_memory(CATALOG), pause=pauses.append)

    def work(_uow: UnitOfWork, _now: dt.datetime) -> str:
        raise ValidationError("bad", field="x")

    with pytest.raises(ValidationError):
        with_retries(deps, work, name="test")
    assert pauses == []
