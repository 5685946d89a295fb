"""NgânLượng's return page: confirm the buyer's return with NgânLượng, record it once, say what to show (Y2, Y5, Y6).

:func:`answer_return` is the host's return (and cancel) route: it reads the query through the provider,
which asks ``GetTransactionDetail`` server to server, applies the notification through the core (recorded
once per NgânLượng transaction and status), and tells the page what to show. It never raises.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

import attrs

from subscription_core.errors import NotFoundError, RetryLaterError, SubscriptionError, ValidationError
from subscription_core.services import NotificationStatus, Services
from subscription_core.services.notifications import apply_notification
from subscription_core_adapters.gateways.nganluong_protocol import CANCELLED, NAME

__all__ = ["NganLuongReturn", "ReturnOutcome", "answer_return"]

_log = logging.getLogger("subscription_core_adapters.gateways.nganluong")
# A refusal naming one of these fields is about the query itself: forged, tampered or not NgânLượng's.
_INVALID_FIELDS: Final = frozenset({"payload", "token", "order_code", "error_code", "receiver_email", "provider"})


class ReturnOutcome(enum.Enum):
    """What the return page tells the buyer."""

    SUCCEEDED = "succeeded"  # NgânLượng confirmed the payment and the money is recorded (applied or unapplied)
    PENDING = "pending"  # not confirmed yet (held, unfinished, or NgânLượng could not be asked): nothing recorded
    FAILED = "failed"  # NgânLượng reports it not paid (cancelled, declined): the buyer may try again
    INVALID = "invalid"  # a query NgânLượng does not confirm (forged or tampered): show nothing from it


_MESSAGES: Final = {
    ReturnOutcome.SUCCEEDED: "Thanh toán thành công",
    ReturnOutcome.PENDING: "Giao dịch đang chờ Ngân Lượng xác nhận; vui lòng kiểm tra lại sau",
    ReturnOutcome.FAILED: "Giao dịch không thành công",
    ReturnOutcome.INVALID: "Thông tin thanh toán không hợp lệ",
}


@attrs.frozen(kw_only=True)
class NganLuongReturn:
    """The return page's reading: the outcome, and for a confirmed reading the order, amount and core's status.

    ``status`` is what the core did (``applied``, ``unapplied`` for money the order could not take (Y6),
    ``failed``, ``already_processed``, ``stale``), or ``None`` when nothing was recorded; ``nl_code`` is
    NgânLượng's code behind a pending or refused reading, when it gave one.
    """

    outcome: ReturnOutcome
    message: str
    order_id: str | None = None
    amount: Decimal | None = None
    status: NotificationStatus | None = None
    nl_code: str = ""


def answer_return(services: Services, query: Mapping[str, str], *, provider: str = NAME) -> NganLuongReturn:
    """Handle NgânLượng's return ``query`` through the core (Y2, Y5, Y6) and say what the page shows.

    SUCCEEDED once NgânLượng confirmed the payment and the core recorded it: applied (the order is paid)
    or, when the order cannot take it (cancelled, lapsed, already paid, another amount, an unknown
    order), kept as unapplied money for staff (Y6); a repeat of a confirmed success is SUCCEEDED too.
    FAILED when NgânLượng reports the token not paid (the attempt is failed; or, for a cancellation
    reported without its amount, nothing is recorded). PENDING when NgânLượng holds
    or has not finished the payment, or could not be asked: nothing is recorded, the page may be reloaded.
    INVALID for a query NgânLượng does not confirm. Never raises: unexpected errors are logged, PENDING.
    """
    try:
        port = services.provider(provider)
        notification = port.parse_notification(query, received_at=services.now())
        _check_provider(notification.provider, provider)
        result = apply_notification(services, notification)
    except RetryLaterError as error:
        _log.info("nganluong return not recorded: %s", error)
        cancelled = error.provider_code == CANCELLED  # NgânLượng says so, but gave nothing the core can record
        return _reading(ReturnOutcome.FAILED if cancelled else ReturnOutcome.PENDING, nl_code=error.provider_code)
    except SubscriptionError as error:
        return _refused(error)
    except Exception:  # noqa: BLE001 - the buyer's page must get an answer; nothing was recorded
        _log.exception("nganluong return failed unexpectedly")
        return _reading(ReturnOutcome.PENDING)
    paid = result.status in {NotificationStatus.APPLIED, NotificationStatus.UNAPPLIED} or (
        result.status is NotificationStatus.ALREADY_PROCESSED and notification.succeeded
    )
    level = logging.WARNING if result.status is NotificationStatus.UNAPPLIED else logging.INFO
    _log.log(level, "nganluong return for order %s: %s", result.order_id, result.status.value)
    return attrs.evolve(
        _reading(ReturnOutcome.SUCCEEDED if paid else ReturnOutcome.FAILED),
        order_id=result.order_id,
        amount=notification.amount,
        status=result.status,
    )


def _check_provider(named: str, provider: str) -> None:
    if named != provider:
        raise ValidationError("names another provider", rule="Y5", field="provider", value=named)


def _reading(outcome: ReturnOutcome, *, nl_code: str = "") -> NganLuongReturn:
    return NganLuongReturn(outcome=outcome, message=_MESSAGES[outcome], nl_code=nl_code)


def _refused(error: SubscriptionError) -> NganLuongReturn:
    """The reading of a refused return: INVALID for the query's own fault, PENDING for the merchant's or the core's."""
    if isinstance(error, ValidationError) and error.field in _INVALID_FIELDS:
        _log.warning("nganluong return refused: %s", error)
        return _reading(ReturnOutcome.INVALID)
    if isinstance(error, NotFoundError) and error.field == "order_id":
        _log.warning("nganluong return for no order of this shop: %s", error)  # a failure for an unknown order
        return _reading(ReturnOutcome.FAILED)
    _log.error("nganluong return could not be recorded: %s", error)  # the settings, or a lost race: try again
    return _reading(ReturnOutcome.PENDING)
