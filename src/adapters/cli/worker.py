"""``worker``: the scheduler step and the outbox relay, in a loop, by one leader among many processes.

Each round runs ``SqlWiring.run_scheduler()`` then ``SqlWiring.relay_outbox()``; each is made of its own
transactions, so a step is either done or not begun. SIGTERM or SIGINT asks the worker to stop: the step
under way finishes, the next is not begun, the leader lock is released, and the process exits 0. A worker
that does not get the lock (another leads) logs that it waits, and tries again every interval; when the
leader stops or dies it takes over. A step the database refused (down, or a batch that kept losing races)
is logged and tried again next round: the worker itself does not stop for it.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Final

import attrs
import click

from subscription_core.errors import SubscriptionError
from subscription_core_adapters.bootstrap import SqlWiring
from subscription_core_adapters.cli.app import Config, app_option
from subscription_core_adapters.cli.leader import Leader, leader_for

__all__ = ["Worker", "collector_for_batches", "worker"]

_log = logging.getLogger(__name__)
_STOP_SIGNALS: Final = (signal.SIGTERM, signal.SIGINT)
_BATCH_THRESHOLDS: Final = (20_000, 20, 20)
"""The collector's thresholds while the worker command runs (Python's default: 700, 10, 10)."""


@attrs.define(kw_only=True)
class Worker:
    """The loop of one worker process over ``wiring``, leading through ``leader``, until ``stop`` is set."""

    wiring: SqlWiring
    leader: Leader
    stop: threading.Event
    interval: float
    once: bool = False
    scheduler_batch: int = 500
    relay_batch: int = 100
    _leading: bool = False
    _told_waiting: bool = False

    def run(self) -> None:
        """Lead and run rounds until stopped (or one round with ``once``); the lock is released at the end."""
        try:
            while not self.stop.is_set():
                if not self._lead():
                    self.stop.wait(self.interval)
                    continue
                more_due = self._round()
                if self.once:
                    return
                if not more_due:
                    self.stop.wait(self.interval)
        finally:
            self.leader.release()
            _log.info("worker stopped; the leader lock is released")

    def _lead(self) -> bool:
        if self._leading:
            if self.leader.still_held():
                return True
            _log.warning("lost the %s (its session ended): waiting to lead again", self.leader.description)
            self._leading = False
        if self.leader.try_acquire():
            self._leading, self._told_waiting = True, False
            _log.info("leading: took the %s", self.leader.description)
            return True
        if not self._told_waiting:
            _log.info(
                "waiting: another worker holds the %s; trying again every %s s", self.leader.description, self.interval
            )
            self._told_waiting = True
        return False

    def _round(self) -> bool:
        """One scheduler step then one relay step (unless asked to stop between); whether more notices are due."""
        try:
            ran = self.wiring.run_scheduler(batch=self.scheduler_batch)
        except SubscriptionError as error:
            _log.warning("the scheduler step failed [%s]: %s; the next round tries again", error.code, error)
        else:  # the scheduler logs its own summary at INFO
            _log.debug(
                "scheduler: %d advanced, %d lapsed, %d cancelled, %d reminded, %d held back, %d invoices issued",
                len(ran.advanced),
                len(ran.lapsed),
                len(ran.cancelled),
                len(ran.reminded),
                len(ran.held_back),
                ran.invoices_issued,
            )
        if self.stop.is_set():
            return False
        try:
            delivery = self.wiring.relay_outbox(batch=self.relay_batch)
        except SubscriptionError as error:
            _log.warning("the outbox relay failed [%s]: %s; the next round tries again", error.code, error)
            return False
        handled = delivery.sent + delivery.failed + delivery.dead
        level = logging.INFO if handled else logging.DEBUG  # an idle round says nothing at INFO
        _log.log(level, "relay: %d sent, %d to retry, %d dead", delivery.sent, delivery.failed, delivery.dead)
        return handled >= self.relay_batch


@contextmanager
def _stopped_by_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` (the step under way finishes) while inside; the old handlers after."""

    def ask_to_stop(number: int, _frame: FrameType | None) -> None:
        _log.info("%s received: stopping after the step under way", signal.Signals(number).name)
        stop.set()

    previous = {number: signal.signal(number, ask_to_stop) for number in _STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextmanager
def collector_for_batches() -> Iterator[None]:
    """While inside, tune the garbage collector for batches of decoded documents; put it back as it was after.

    For the ``worker`` command's own process only, never for a library call inside a host (whose collector is
    the host's). What was allocated before (modules, the wiring, the catalog) is frozen out of later collections,
    and the young generation is collected every 20,000 allocations rather than 700: a scheduler batch decodes
    hundreds of documents into short-lived entities, and the default collected the long-lived heap again and
    again while they lived. Measured on the time-driven step (1,000 due, SQLite, CPU time): -21 %.
    """
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*_BATCH_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@click.command()
@app_option
@click.option(
    "--interval",
    type=click.FloatRange(min=0.01),
    default=30.0,
    show_default=True,
    help="Seconds between rounds, and between tries for the lock while another worker leads.",
)
@click.option("--once", is_flag=True, help="Run one round (once leading) and exit.")
@click.option("--scheduler-batch", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--relay-batch", type=click.IntRange(min=1), default=100, show_default=True)
def worker(*, config: Config, interval: float, once: bool, scheduler_batch: int, relay_batch: int) -> None:
    """Run the scheduler step and the outbox relay in a loop, one leader among many workers.

    The leader holds a PostgreSQL advisory lock (a file lock beside a SQLite database); the others wait and
    take over when it stops. SIGTERM or SIGINT: the step under way finishes, the lock is released, exit 0.
    """
    stop = threading.Event()
    with _stopped_by_signals(stop):
        wiring = config.wiring()
        try:
            with collector_for_batches():  # this process is the worker's own: its collector is ours
                Worker(
                    wiring=wiring,
                    leader=leader_for(wiring.engine),
                    stop=stop,
                    interval=interval,
                    once=once,
                    scheduler_batch=scheduler_batch,
                    relay_batch=relay_batch,
                ).run()
        finally:
            wiring.dispose()
