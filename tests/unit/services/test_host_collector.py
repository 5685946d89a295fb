"""Library calls leave the host's garbage collector as they found it: thresholds, on or off, objects frozen.

Only the library's own worker process (the ``worker`` command) tunes the collector for its batches; inside
a host, the collector is the host's, whatever the host set it to.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from subscription_core.bulk import BulkRenewal, BulkRow
from subscription_core.services import (
    NotificationStatus,
    handle_notification,
    place_bulk_renewal,
    relay_outbox,
    run_scheduler,
    start_payment,
)

from .harness import ACCOUNTANT, STRANGER, WALLET, World, tax_code

Settings = tuple[tuple[int, ...], bool, int]


def _settings() -> Settings:
    return gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()


@pytest.fixture(params=["python's default", "tuned by the host", "turned off by the host"])
def host_collector(request: pytest.FixtureRequest) -> Iterator[Settings]:
    """The collector as a host may have set it; put back as it was after the test."""
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    if request.param == "tuned by the host":
        gc.set_threshold(1234, 5, 6)
    if request.param == "turned off by the host":
        gc.disable()
    try:
        yield _settings()
    finally:
        gc.set_threshold(*thresholds)
        if enabled:
            gc.enable()


def test_the_time_driven_step_and_the_relay_leave_the_hosts_collector_alone(
    world: World, host_collector: Settings
) -> None:
    world.buy(1)
    world.buy(2, actor=STRANGER)
    world.at(days=370)
    assert len(run_scheduler(world.deps, batch=1).advanced) == 2
    assert relay_outbox(world.deps).sent > 0
    assert _settings() == host_collector


def test_a_bulk_renewal_leaves_the_hosts_collector_alone(world: World, host_collector: Settings) -> None:
    world.buy(1)
    world.buy(2, actor=STRANGER)
    rows = (BulkRow(client=tax_code(1), option="1y"), BulkRow(client="HKD-2", option="1y"))
    order = place_bulk_renewal(
        world.deps, ACCOUNTANT, BulkRenewal(product="amis", rows=rows), confirmed=True, idempotency_key="b"
    )
    start_payment(world.deps, ACCOUNTANT, order_id=order.id, method=WALLET, idempotency_key="p")
    assert handle_notification(world.deps, "vnptpay", world.notification(order)).status is NotificationStatus.APPLIED
    assert _settings() == host_collector
