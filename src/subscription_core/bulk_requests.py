"""What a service accountant fills in to renew clients in bulk (B1-B3): the rows and the two targets.

A :class:`BulkRenewal` holds one :class:`BulkRow` per client (picked by tax code or business code, with
the renewal period), who the invoices go to (:class:`InvoiceTarget`, B2) and who is told
(:class:`NoticeTarget`, B3). Only the types and the targets are checked here; what the rows say is checked
against the customers and the catalog by :func:`subscription_core.bulk.validate_rows` (B4).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from subscription_core.customers import Contact, Party
from subscription_core.errors import ValidationError, any_text, of_type, optional

__all__ = ["BulkRenewal", "BulkRow", "InvoiceTarget", "NoticeTarget"]


class InvoiceTarget(enum.Enum):
    """Who the invoices are made out to (B2)."""

    CUSTOMER = "customer"  # each client, with its own invoice details
    OTHER = "other"  # one buyer typed in by the accountant


class NoticeTarget(enum.Enum):
    """Who receives the order's notices (B3)."""

    ACCOUNTANT = "accountant"  # the service accountant (default)
    OTHER = "other"  # someone typed in


@attrs.frozen(kw_only=True)
class BulkRow:
    """One client to renew (B1): its tax code or business code as typed, and the renewal option.

    ``plan`` defaults to the subscription's current plan; ``subscription_id`` names the subscription when
    the client holds several of the product. What the texts say is checked by :func:`validate_rows`, so
    every row's problems are reported together (B4); only their types are checked here.
    """

    client: str = attrs.field(validator=of_type(str))
    option: str = attrs.field(validator=of_type(str))
    plan: str | None = attrs.field(default=None, validator=optional(any_text(rule="B1")))
    subscription_id: str | None = attrs.field(default=None, validator=optional(any_text(rule="B1")))


def _rows(value: object) -> tuple[BulkRow, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError("must be a sequence of rows", rule="B1", field="rows", value=value)
    rows = tuple(value)
    if not rows:
        raise ValidationError("a bulk renewal needs at least one row", rule="B1", field="rows", value=())
    if not all(isinstance(row, BulkRow) for row in rows):
        raise ValidationError("every row must be a BulkRow", rule="B1", field="rows", value=rows)
    return rows


@attrs.frozen(kw_only=True)
class BulkRenewal:
    """An accountant's bulk renewal request (B1-B3) for subscriptions to ``product``.

    ``other_buyer`` is required exactly when the invoice target is OTHER (B2), ``other_recipient``
    exactly when the notice target is OTHER (B3).

    Raises:
        ValidationError: no rows, a row that is not a :class:`BulkRow`, or a typed-in party missing or
            given for the wrong target.
    """

    product: str = attrs.field(validator=of_type(str))
    rows: tuple[BulkRow, ...] = attrs.field(converter=_rows)
    invoice_target: InvoiceTarget = attrs.field(default=InvoiceTarget.CUSTOMER, validator=of_type(InvoiceTarget))
    other_buyer: Party | None = attrs.field(default=None, validator=attrs.validators.optional(of_type(Party)))
    notice_target: NoticeTarget = attrs.field(default=NoticeTarget.ACCOUNTANT, validator=of_type(NoticeTarget))
    other_recipient: Contact | None = attrs.field(default=None, validator=attrs.validators.optional(of_type(Contact)))

    def __attrs_post_init__(self) -> None:
        """Check the typed-in buyer and recipient go with the targets."""
        if (self.invoice_target is InvoiceTarget.OTHER) != (self.other_buyer is not None):
            raise ValidationError(
                "a buyer is typed in exactly when invoices go to Other", rule="B2", field="other_buyer"
            )
        if (self.notice_target is NoticeTarget.OTHER) != (self.other_recipient is not None):
            raise ValidationError(
                "a recipient is typed in exactly when notices go to Other", rule="B3", field="other_recipient"
            )
