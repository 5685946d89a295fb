"""The seller of the e-invoices (``NBan``): the vendor's validated settings (I1)."""

from __future__ import annotations

import attrs

from subscription_core.tax_codes import TaxCode
from subscription_core_adapters.einvoice.fields import checked_email, checked_tax_code, checked_text, optional_text

__all__ = ["Seller"]


def _name(value: object) -> str:
    return checked_text(value, "seller.name", limit="name")


def _address(value: object) -> str:
    return checked_text(value, "seller.address", limit="address")


def _email(value: object) -> str:
    return checked_email(value, "seller.email")


def _tax_code(value: object) -> TaxCode:
    return checked_tax_code(value, "seller.tax_code")


def _phone(value: object) -> str | None:
    return optional_text("phone", "seller.phone")(value)


def _bank_account(value: object) -> str | None:
    return optional_text("bank_account", "seller.bank_account")(value)


def _bank_name(value: object) -> str | None:
    return optional_text("bank_name", "seller.bank_name")(value)


def _provider(value: object) -> TaxCode | None:
    return None if value is None else checked_tax_code(value, "seller.solution_provider")


@attrs.frozen(kw_only=True)
class Seller:
    """The vendor as its invoices name it (``NBan``), read once at start-up.

    ``solution_provider`` is the tax code of the e-invoice solution's provider (``MSTTCGP``); by default
    the seller's own, since it issues through this reference adapter itself. The repr shows the name and
    the bank only: no tax code, address, e-mail, phone or account number.

    Raises:
        ValidationError: an empty name or address, text longer than the format takes (I1), a bad tax code
            (U1) or a malformed e-mail address (I2).
    """

    name: str = attrs.field(converter=_name)
    tax_code: TaxCode = attrs.field(converter=_tax_code, repr=False)
    address: str = attrs.field(converter=_address, repr=False)
    email: str = attrs.field(converter=_email, repr=False)
    phone: str | None = attrs.field(default=None, converter=_phone, repr=False)
    bank_account: str | None = attrs.field(default=None, converter=_bank_account, repr=False)
    bank_name: str | None = attrs.field(default=None, converter=_bank_name)
    solution_provider: TaxCode | None = attrs.field(default=None, converter=_provider, repr=False)

    @property
    def provider_tax_code(self) -> TaxCode:
        """``MSTTCGP``: the e-invoice solution provider's tax code, the seller's own unless set."""
        return self.solution_provider or self.tax_code
