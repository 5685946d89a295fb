"""Local adapters of the ``Clock`` and ``IdGenerator`` ports: no I/O beyond reading the system clock."""

from subscription_core_adapters.local.clock import ManualClock, SystemClock
from subscription_core_adapters.local.ids import RandomIds, SequentialIds

__all__ = ["ManualClock", "RandomIds", "SequentialIds", "SystemClock"]
