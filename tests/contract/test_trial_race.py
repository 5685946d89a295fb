"""Two free trials of one product started at once for one company: one starts, the other is refused (S12).

Run on every repository adapter. The race is made certain, not left to timing: both requests have looked
for an earlier trial, and found none, before either stores its own (an id generator holds each request at
the id of its new subscription until both have reached it). Only the store can then hold the line.
"""

from __future__ import annotations

import threading

import attrs
import pytest

from subscription_core.catalog import Catalog
from subscription_core.customers import Actor
from subscription_core.errors import NotEligibleError
from subscription_core.ports import UnitOfWorkFactory
from subscription_core.services import start_trial
from subscription_core.subscriptions import Subscription
from subscription_core_adapters.bootstrap import backoff, bootstrap_memory
from subscription_core_adapters.local import ManualClock, SequentialIds

from .builders import T0, TRIAL_PRODUCT, VND, customer
from .racing import race

STAFF = Actor.staff("st-1")


class MeetingIds:
    """Sequential ids; each thread's first subscription id waits until ``parties`` threads asked for one."""

    def __init__(self, parties: int) -> None:
        self._ids = SequentialIds()
        self._barrier = threading.Barrier(parties, timeout=30)
        self._met = threading.local()

    def new_id(self, prefix: str) -> str:
        if prefix == "sub" and not getattr(self._met, "done", False):
            self._met.done = True
            self._barrier.wait()
        return self._ids.new_id(prefix)


def _start(units: UnitOfWorkFactory, ids: MeetingIds, n: int) -> Subscription | NotEligibleError:
    deps = bootstrap_memory(Catalog(currency=VND, products=[TRIAL_PRODUCT]), uow=units, ids=ids, clock=ManualClock(T0))
    deps = attrs.evolve(deps, pause=backoff)  # as bootstrap_sql wires it: a loser waits a little before it retries
    try:
        return start_trial(
            deps, STAFF, customer_id="cus-1", plan="QLTS-STD", idempotency_key=f"trial-{n}", reason="asked by phone"
        )
    except NotEligibleError as refused:
        return refused


@pytest.mark.parametrize("threads", [2, 4])
def test_s12_trials_started_at_once_give_one_trial(units: UnitOfWorkFactory, threads: int) -> None:
    with units() as uow:
        uow.customers.add(customer("cus-1"))
        uow.commit()
    ids = MeetingIds(threads)
    outcomes = race(threads, lambda n: _start(units, ids, n))
    started = [o for o in outcomes if isinstance(o, Subscription)]
    refused = [o for o in outcomes if isinstance(o, NotEligibleError)]
    assert len(started) == 1
    assert [r.rule for r in refused] == ["S12"] * (threads - 1)
    with units() as uow:
        assert [s.id for s in uow.subscriptions.of_customer("cus-1")] == [started[0].id]
