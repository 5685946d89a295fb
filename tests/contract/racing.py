"""Real thread races for the contract suites: threads released together on a barrier, never timed sleeps."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def race(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(0)`` … ``work(count - 1)`` on ``count`` threads released together; their results in order."""
    barrier = threading.Barrier(count, timeout=60)

    def run(i: int) -> T:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))
