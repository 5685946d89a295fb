"""Local adapters of the ``Clock`` and ``IdGenerator`` ports: no I/O beyond reading the system clock."""

from adapters.local.clock import ManualClock, SystemClock
from adapters.local.ids import RandomIds, SequentialIds

__all__ = ["ManualClock", "RandomIds", "SequentialIds", "SystemClock"]
