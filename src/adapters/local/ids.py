"""Id generators: the ``IdGenerator`` port, sequential (readable in tests) or random (production)."""

from __future__ import annotations

import threading
import uuid

from subscription_core.errors import ValidationError

__all__ = ["RandomIds", "SequentialIds"]


def _prefix(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value):
        raise ValidationError("must be a non-empty text without spaces", field="prefix", value=value)
    return value


class SequentialIds:
    """Ids ``<prefix>-0001``, ``<prefix>-0002``... counted per prefix, from 1. Thread-safe.

    The digits after the last ``-`` are the count (at least four, more past 9999), so two prefixes never
    produce the same id.
    """

    def __init__(self) -> None:
        """Start every prefix's count at zero."""
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def new_id(self, prefix: str) -> str:
        """Return the next id of ``prefix``. Raises ``ValidationError`` for an empty prefix or one with spaces."""
        checked = _prefix(prefix)
        with self._lock:
            count = self._counts.get(checked, 0) + 1
            self._counts[checked] = count
        return f"{checked}-{count:04d}"


class RandomIds:
    """Ids ``<prefix>-<32 hex digits>`` from random UUIDs (version 4): unique without coordination."""

    def new_id(self, prefix: str) -> str:
        """Return a new random id of ``prefix``. Raises ``ValidationError`` for an empty prefix or one with spaces."""
        return f"{_prefix(prefix)}-{uuid.uuid4().hex}"
