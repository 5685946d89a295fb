"""Reading NgânLượng's ``GetTransactionDetail`` answer into the core's notification, against the return query (Y5).

NgânLượng's answer is the only source of what happened: the order, the amount and the status. The return
query (what the buyer's browser brought back) must agree with it where it says something: its token and
``order_code`` are NgânLượng's, and an ``error_code`` of ``00`` is a claim of success NgânLượng must
confirm. ``transaction_status`` ``00`` is paid, ``02`` not paid; ``01`` (held, or not finished) and any
status the samples do not name are "ask again later".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final

from subscription_core.errors import RetryLaterError, ValidationError, masked
from subscription_core.payments import ProviderNotification
from subscription_core_adapters.gateways.nganluong_protocol import CANCELLED, NAME, read_amount, read_order_code

__all__ = ["RETURN_FIELDS", "notification_of"]

RETURN_FIELDS: Final = ("token", "order_code", "error_code")
"""The return query's fields the adapter reads: NgânLượng's ``token`` and ``error_code``, and the ``order_code``
the adapter put in the return URL. Others are ignored."""
_PAID: Final = "00"
_PENDING: Final = "01"
_NOT_PAID: Final = "02"
# The buyer's details are personal data the library does not need to keep with the event.
_KEPT: Final = frozenset(
    {"token", "transaction_status", "order_code", "total_amount", "payment_method", "bank_code", "payment_type"}
    | {"transaction_id", "error_code", "description"}
)


def notification_of(
    query: Mapping[str, str], answer: Mapping[str, str], *, receiver: str, received_at: dt.datetime
) -> ProviderNotification:
    """The notification NgânLượng's ``answer`` (error ``00`` or ``115``) stands for, once ``query`` agrees with it.

    Raises:
        ValidationError: (Y5) the answer names another token, order code or receiving account; the query
            claims a success NgânLượng denies; an amount that is not a decimal number.
        RetryLaterError: (Y5) a held or unfinished payment (status ``01``), a status NgânLượng's samples
            do not name, or a failure NgânLượng reports without its amount (``provider_code`` 115 when cancelled):
            nothing is recorded.
    """
    token = query["token"]
    _agree(query, answer, receiver=receiver)
    status = _NOT_PAID if answer.get("error_code") == CANCELLED else answer.get("transaction_status", "")
    if status == _PENDING:
        raise RetryLaterError(
            f"NgânLượng holds token {token} or has not finished it (transaction_status 01): ask again later",
            provider_code=status,
        )
    if status not in {_PAID, _NOT_PAID}:
        raise RetryLaterError(
            f"NgânLượng answered transaction_status {status[:8]!r} for token {token}, which its samples do not "
            "name: nothing recorded",
            provider_code=status[:8],
        )
    if status == _NOT_PAID and query.get("error_code") == _PAID:
        raise ValidationError("claims a success NgânLượng does not confirm", rule="Y5", field="error_code", value="00")
    code = answer.get("order_code") or query["order_code"]
    read = read_order_code(code)
    # An order code this adapter did not make, for money NgânLượng took: its own order id, which names no
    # order, so that the core keeps the money as unapplied rather than lose it (Y6).
    order_id = read[0] if read is not None else code
    amount = answer.get("total_amount", "")
    if status == _PAID and not amount:
        raise ValidationError("NgânLượng's answer for a paid token has no amount", rule="Y5", field="total_amount")
    if not amount:
        # The core checks a failure against the order's total too; without NgânLượng's amount there is nothing
        # it can record. The page can still say the payment failed (the callbacks read the code).
        raise RetryLaterError(
            f"NgânLượng reports token {token} not paid ({answer.get('error_code', '')}) without its amount: "
            "nothing recorded",
            provider_code=answer.get("error_code", ""),
        )
    number = answer.get("transaction_id") or "0"
    return ProviderNotification(
        provider=NAME,
        event_id=f"{token}:{number}:{status}",
        order_id=order_id,
        amount=read_amount(amount) if amount else 0,
        currency="VND",
        succeeded=status == _PAID,
        signature=token,
        received_at=received_at,
        fields=tuple(sorted((k, v) for k, v in answer.items() if k in _KEPT)),
    )


def _agree(query: Mapping[str, str], answer: Mapping[str, str], *, receiver: str) -> None:
    """Refuse a return whose token or order code is not the one NgânLượng reports, or another merchant's (Y5)."""
    token = answer.get("token")
    if token and token != query["token"]:
        raise ValidationError("NgânLượng answered for another token", rule="Y5", field="token")
    code = answer.get("order_code")
    if code and code != query["order_code"]:
        raise ValidationError(
            "is not the order code NgânLượng reports for the token",
            rule="Y5",
            field="order_code",
            value=query["order_code"][:100],
        )
    reported = answer.get("receiver_email")
    if reported and reported.strip().casefold() != receiver.strip().casefold():
        raise ValidationError(
            "NgânLượng reports another receiving account",
            rule="Y5",
            field="receiver_email",
            value=masked(reported, "email"),
        )
