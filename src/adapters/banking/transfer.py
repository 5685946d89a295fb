"""Payment by bank transfer: instructions with a VietQR code, and no notifications (Y1, Y3, Y5, O5).

:class:`BankTransferProvider` implements the ``PaymentProvider`` port for the bank-transfer method only.
Starting a payment moves no money: it answers with what the customer needs to pay from any banking app,
the vendor's account, the amount, the transfer content (the order's
:func:`~subscription_core.transfers.transfer_reference`) and the same as a VietQR payload, which the
notice e-mailed to the customer carries (Y3) and :mod:`subscription_core_adapters.banking.images` draws.

A bank sends no signed notification of a transfer: the money is found on the vendor's bank statement by
its reference and recorded by staff or reconciliation (``record_offline_payment``), so
:meth:`BankTransferProvider.parse_notification` refuses everything.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Final

import attrs

from subscription_core.errors import ValidationError, required_text
from subscription_core.payments import MethodKind, ProviderNotification
from subscription_core.ports import PaymentRequest, PaymentStart
from subscription_core.transfers import transfer_reference
from subscription_core_adapters.banking.banks import Bank, find_bank
from subscription_core_adapters.banking.vietqr import VietQR, account_number

__all__ = ["DEFAULT_NAME", "BankAccount", "BankTransferProvider"]

DEFAULT_NAME: Final = "bank_transfer"
"""The provider's name unless another is given: the name routes and payments record."""
_CURRENCY: Final = "VND"  # VietQR carries đồng only (currency 704)
_MAX_HOLDER_CHARS: Final = 100
_log = logging.getLogger(__name__)


def _bank(value: object) -> Bank:
    return value if isinstance(value, Bank) else find_bank(value)


def _holder(value: object) -> str:
    holder = required_text(
        value, field="account_name", rule="Y3", message="the account holder's name is required", shown=None
    )
    if len(holder) > _MAX_HOLDER_CHARS or not holder.isprintable():
        raise ValidationError(  # a name: the error names the field, not the name
            f"must be at most {_MAX_HOLDER_CHARS} printable characters", rule="Y3", field="account_name"
        )
    return holder


def _number(value: object) -> str:
    return account_number(value.strip() if isinstance(value, str) else value)


@attrs.frozen(kw_only=True)
class BankAccount:
    """The vendor's account that receives transfers: its bank, number and holder's name (Y3).

    ``bank`` is a :class:`~subscription_core_adapters.banking.banks.Bank` or a name
    :func:`~subscription_core_adapters.banking.banks.find_bank` knows (``"VCB"``, ``"Vietcombank"``, ``"970436"``). The
    number is not secret, but logs carry ids only.

    Raises:
        NotFoundError: (Y3) a bank name not in the table. ValidationError: (Y3) an account number that is
            not 1-19 ASCII letters and digits, an empty holder's name or one over 100 characters.
    """

    bank: Bank = attrs.field(converter=_bank)
    number: str = attrs.field(converter=_number)
    holder: str = attrs.field(converter=_holder)


def _amount(request: PaymentRequest) -> Decimal:
    try:
        amount = Decimal(request.amount) if isinstance(request.amount, str) else Decimal("NaN")
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount <= 0 or amount != amount.to_integral_value():
        raise ValidationError("must be a whole number of đồng above 0", rule="Y3", field="amount", value=request.amount)
    return amount


class BankTransferProvider:
    """The ``PaymentProvider`` for bank transfers to the vendor's account (Y1, Y3).

    ``BankTransferProvider(bank="VCB", account="0011004000000", account_name="CONG TY CO PHAN ABC")``;
    ``name`` defaults to :data:`DEFAULT_NAME`. It holds no secret and no state, so it is thread-safe.

    Raises:
        NotFoundError, ValidationError: (Y3) as :class:`BankAccount`; (Y1) an empty name.
    """

    methods: Final = frozenset({MethodKind.BANK_TRANSFER})
    """The one method kind it takes (Y1)."""

    def __init__(self, *, bank: Bank | str, account: str, account_name: str, name: str = DEFAULT_NAME) -> None:
        """Make the provider for the vendor's account at ``bank``."""
        self.name = required_text(name, field="name", rule="Y1")
        self.account = BankAccount(bank=bank, number=account, holder=account_name)

    def __repr__(self) -> str:
        """The name and the bank: no account details, which stay out of logs."""
        return f"BankTransferProvider(name={self.name!r}, bank={self.account.bank.code!r})"

    def start(self, request: PaymentRequest) -> PaymentStart:
        """Transfer instructions for ``request``'s order (Y3); moves no money.

        The instructions are ``bank`` (short name), ``bank_code``, ``bank_name``, ``bin``, ``account``,
        ``account_name``, ``amount`` (whole đồng), ``currency`` (VND), ``transfer_content`` (the order's
        transfer reference) and ``qr`` (the VietQR payload: dynamic, with the amount and the reference as
        its purpose). ``provider_ref`` is the reference.

        Raises:
            ValidationError: (Y1) not a ``PaymentRequest``, or a method other than bank transfer; (Y3) a
                currency other than VND, an amount that is not a whole number of đồng above 0 or longer
                than 13 digits.
        """
        if not isinstance(request, PaymentRequest):
            raise ValidationError("must be a PaymentRequest", rule="Y1", field="request", value=type(request).__name__)
        kind = request.method.kind
        if kind not in self.methods:
            raise ValidationError(f"{self.name} takes bank transfers only", rule="Y1", field="method", value=kind.value)
        if request.currency != _CURRENCY:
            raise ValidationError(
                "a VietQR transfer is in VND only", rule="Y3", field="currency", value=request.currency
            )
        reference = transfer_reference(request.order_id)
        account = self.account
        qr = VietQR(bin=account.bank.bin, account=account.number, amount=_amount(request), purpose=reference)
        amount = str(qr.amount)
        _log.info(
            "transfer instructions for payment %s of order %s by %s", request.payment_id, request.order_id, self.name
        )
        instructions = {
            "bank": account.bank.short_name,
            "bank_code": account.bank.code,
            "bank_name": account.bank.name,
            "bin": account.bank.bin,
            "account": account.number,
            "account_name": account.holder,
            "amount": amount,
            "currency": _CURRENCY,
            "transfer_content": reference,
            "qr": qr.payload(),
        }
        return PaymentStart(instructions=instructions, provider_ref=reference)

    def parse_notification(self, payload: Mapping[str, str], *, received_at: dt.datetime) -> ProviderNotification:
        """Refuse: a bank transfer has no signed notification; its money is found on the bank statement (Y5).

        Raises:
            ValidationError: (Y5) always.
        """
        del payload, received_at  # nothing here may be trusted as a payment
        raise ValidationError(
            f"{self.name} receives no notifications: transfers are found on the bank statement by their "
            "reference and recorded as offline payments",
            rule="Y5",
            field="payload",
        )
