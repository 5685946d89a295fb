"""A recording notifier: the ``Notifier`` port for tests and demos, delivering nothing and remembering everything."""

from __future__ import annotations

import threading

from subscription_core.errors import DeliveryError, ValidationError
from subscription_core.notices import OutboxMessage

__all__ = ["RecordingNotifier"]


class RecordingNotifier:
    """Keeps every message it is asked to send, in order: ``RecordingNotifier()``. Thread-safe.

    :meth:`fail_next` makes the next sends fail, as an unreachable mail server would, to exercise retries;
    ``fail_next(n, permanent=True)`` as a server refusing the address would, to exercise dead letters.
    """

    def __init__(self) -> None:
        """Start with nothing sent and no failure planned."""
        self._sent: list[OutboxMessage] = []
        self._failures = 0
        self._permanent = False
        self._attempts = 0
        self._lock = threading.Lock()

    def fail_next(self, count: int = 1, *, permanent: bool = False) -> None:
        """Make the next ``count`` sends raise a ``DeliveryError`` instead of delivering.

        ``permanent`` is the errors' flag: ``True`` as for an address that does not exist (retrying cannot
        help), ``False`` as for a server that is down. A new call replaces the failures still planned.

        Raises:
            ValidationError: a negative ``count`` or a ``permanent`` that is not a bool.
        """
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValidationError("must be a whole number >= 0", field="count", value=count)
        if not isinstance(permanent, bool):
            raise ValidationError("must be a bool", field="permanent", value=permanent)
        with self._lock:
            self._failures = count
            self._permanent = permanent

    def send(self, message: OutboxMessage) -> None:
        """Record ``message`` as delivered; a repeat is recorded again (at least once, N2).

        Raises:
            DeliveryError: (N2) a planned failure, permanent or not as planned; the message is not recorded.
                The error names the message id only, never the recipient.
            ValidationError: not an ``OutboxMessage``.
        """
        if not isinstance(message, OutboxMessage):
            raise ValidationError("must be an OutboxMessage", rule="N2", field="message", value=message)
        with self._lock:
            self._attempts += 1
            if self._failures:
                self._failures -= 1
                what = "refuses the recipient" if self._permanent else "is unavailable"
                raise DeliveryError(
                    f"the notifier {what} (a planned failure)",
                    permanent=self._permanent,
                    rule="N2",
                    field="message_id",
                    value=message.id,
                )
            self._sent.append(message)

    @property
    def sent(self) -> tuple[OutboxMessage, ...]:
        """Every message delivered, in order, repeats included."""
        with self._lock:
            return tuple(self._sent)

    @property
    def attempts(self) -> int:
        """How many sends were asked for, failed ones included."""
        with self._lock:
            return self._attempts
