"""What VNPay's merchant API answers, as values: outcomes, refund kinds, transactions and their states (Y8).

The codes and states are VNPay's tables (sources in
:mod:`subscription_core_adapters.gateways.vnpay_api_wire`); :mod:`subscription_core_adapters.gateways.vnpay_api`
makes these values from VNPay's signed answers. No I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

import attrs

from subscription_core.errors import of_type
from subscription_core.money import Money

__all__ = [
    "QUERY_CODES",
    "REFUND_CODES",
    "Outcome",
    "QueriedTransaction",
    "QueryResult",
    "RefundKind",
    "RefundResult",
    "TransactionKind",
    "TransactionStatus",
    "described",
]


class Outcome(enum.Enum):
    """What a call to VNPay's API came to."""

    SUCCEEDED = "succeeded"  # VNPay answered, signed, and did what was asked
    REFUSED = "refused"  # VNPay answered, signed, that it did not and will not do it (``code`` says why)
    UNKNOWN = "unknown"  # no trustworthy answer (timeout, network, HTTP error, unreadable, bad checksum): query later


class RefundKind(enum.Enum):
    """``vnp_TransactionType`` of a refund request."""

    FULL = "02"
    PARTIAL = "03"


class TransactionKind(enum.Enum):
    """``vnp_TransactionType`` in a ``querydr`` answer: the transaction's latest kind at VNPay."""

    PAYMENT = "01"
    FULL_REFUND = "02"
    PARTIAL_REFUND = "03"


class TransactionStatus(enum.Enum):
    """``vnp_TransactionStatus``, VNPay's table of a transaction's states."""

    SUCCEEDED = "00"
    NOT_COMPLETED = "01"
    FAILED = "02"
    REVERSED = "04"  # the bank debited the buyer but the payment did not succeed at VNPay
    REFUND_PROCESSING = "05"  # VNPay is processing the refund
    REFUND_SENT = "06"  # VNPay has sent the refund to the bank
    SUSPECTED_FRAUD = "07"
    REFUND_REJECTED = "09"


_REFUND_ACCEPTED: Final = frozenset(
    {TransactionStatus.SUCCEEDED, TransactionStatus.REFUND_PROCESSING, TransactionStatus.REFUND_SENT}
)

REFUND_CODES: Final[Mapping[str, str]] = {
    "00": "the refund is accepted",
    "02": "the terminal code is not valid",
    "03": "the request's data is not in the right format",
    "08": "VNPay's system is under maintenance",
    "16": "refunds cannot be made at this time",
    "91": "no such transaction to refund",
    "93": "the refund amount is not valid",
    "94": "a refund of this transaction was requested before and VNPay is processing it",
    "95": "the transaction did not succeed at VNPay; VNPay refuses to refund it",
    "97": "VNPay finds the request's checksum invalid",
    "99": "another error",
}
"""``vnp_ResponseCode`` of a ``refund`` answer."""
QUERY_CODES: Final[Mapping[str, str]] = {
    "00": "the transaction is found",
    "02": "the terminal code is not valid",
    "03": "the request's data is not in the right format",
    "08": "VNPay's system is under maintenance",
    "91": "no such transaction",
    "94": "a duplicate request within the API's time limit",
    "97": "VNPay finds the request's checksum invalid",
    "99": "another error",
}
"""``vnp_ResponseCode`` of a ``querydr`` answer."""


_NOT_LISTED: Final = "a code not in VNPay's table"


def described(code: str, table: Mapping[str, str]) -> str:
    """``VNPay <code>: <meaning>``; a code not in ``table`` is said to be so. Never raises."""
    return f"VNPay {code}: {table.get(code, _NOT_LISTED)}"


@attrs.frozen(kw_only=True)
class RefundResult:
    """The answer to one refund request, never raising: see :attr:`outcome`.

    ``request_id`` is the ``vnp_RequestId`` sent. ``code`` is VNPay's ``vnp_ResponseCode`` when a signed
    answer came (empty otherwise) and ``message`` names it (``VNPay 95: ...``) or says why the outcome is
    unknown. ``response_id`` and ``transaction_no`` (VNPay's number of the refund) come from a signed
    answer. An unknown outcome is settled with ``VnpayApiClient.query``.
    """

    outcome: Outcome = attrs.field(validator=of_type(Outcome))
    request_id: str
    txn_ref: str
    kind: RefundKind = attrs.field(validator=of_type(RefundKind))
    amount: Money = attrs.field(validator=of_type(Money))
    code: str = ""
    message: str = ""
    response_id: str = ""
    transaction_no: str = ""


@attrs.frozen(kw_only=True)
class QueriedTransaction:
    """A transaction as ``querydr`` reports it: its latest kind and status, the amount and VNPay's numbers.

    ``pay_date`` is VNPay's ``vnp_PayDate`` as sent (``yyyyMMddHHmmss``, GMT+7), or empty.
    """

    kind: TransactionKind = attrs.field(validator=of_type(TransactionKind))
    status: TransactionStatus = attrs.field(validator=of_type(TransactionStatus))
    amount: Money = attrs.field(validator=of_type(Money))
    transaction_no: str = ""
    bank_code: str = ""
    pay_date: str = ""

    @property
    def paid(self) -> bool:
        """A payment that succeeded (kind ``01``, status ``00``) and was not refunded since."""
        return self.kind is TransactionKind.PAYMENT and self.status is TransactionStatus.SUCCEEDED

    @property
    def refunded(self) -> bool:
        """A refund VNPay has accepted: kind ``02``/``03``, status ``00``, ``05`` (processing) or ``06`` (sent)."""
        return self.kind is not TransactionKind.PAYMENT and self.status in _REFUND_ACCEPTED


@attrs.frozen(kw_only=True)
class QueryResult:
    """The answer to one ``querydr`` request, never raising: see :attr:`outcome`.

    :attr:`transaction` is set exactly when the outcome is :attr:`Outcome.SUCCEEDED`. A refused query
    carries VNPay's ``code`` (``91``: VNPay has no such transaction, :attr:`not_found`).
    """

    outcome: Outcome = attrs.field(validator=of_type(Outcome))
    request_id: str
    txn_ref: str
    code: str = ""
    message: str = ""
    response_id: str = ""
    transaction: QueriedTransaction | None = None

    @property
    def not_found(self) -> bool:
        """VNPay answered, signed, that it has no transaction of this TxnRef and date (code ``91``)."""
        return self.outcome is Outcome.REFUSED and self.code == "91"

    @property
    def paid(self) -> bool:
        """VNPay reports the payment succeeded and not refunded (see :attr:`QueriedTransaction.paid`)."""
        return self.transaction is not None and self.transaction.paid

    @property
    def refunded(self) -> bool:
        """VNPay reports a refund it accepted (see :attr:`QueriedTransaction.refunded`)."""
        return self.transaction is not None and self.transaction.refunded
