"""The banking adapters' entries (merged into ``registry.PAYMENT_PROVIDERS`` by conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

from .registry import ProviderHarness

PAYMENT_PROVIDERS: dict[str, Callable[[], ProviderHarness]] = {}
