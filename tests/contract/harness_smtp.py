"""The smtp adapters' entries (merged into ``registry.NOTIFIERS`` by conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

from .registry import NotifierHarness

NOTIFIERS: dict[str, Callable[[], NotifierHarness]] = {}
