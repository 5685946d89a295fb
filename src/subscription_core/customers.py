"""Customers: contact details, the customer entity, who acts, and finding customers (U2, O2, A1-A3).

A customer's tax code is a :class:`~subscription_core.tax_codes.TaxCode` (U1). A :class:`Party` holds the
details an order asks for twice, once for the licence and once for the invoice (O2); an
:class:`InvoiceInfo` is either its own party or a copy of the subscriber's ("same as subscriber").
A :class:`Customer` is a subscribing company, with the users who may buy for it (A1) and the service
accountant it is linked to (A3). An :class:`Actor` says who acts; :func:`require_ordering_right` applies
A1-A3 to it. :func:`find_customers` is the staff search of U2. E-mail addresses and phone numbers are
checked by :mod:`subscription_core.contact_details`; a refused one is masked in the error.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import attrs

from subscription_core import subscriptions

# is_email_address is re-exported beside the classes whose e-mail it checks.
from subscription_core.contact_details import (
    InvoiceField,
    email_address,
    fitted_email,
    fitted_text,
    is_email_address,
    phone_number,
)
from subscription_core.errors import (
    PermissionDeniedError,
    ValidationError,
    checked_id,
    checked_text,
    non_empty_text,
    of_type,
    optional,
    required_text,
    whole_number,
)
from subscription_core.subscriptions import ActorKind

# TaxCode, TaxCodeKind and check_digit are re-exported: other modules import them from here.
from subscription_core.tax_codes import TaxCode, TaxCodeKind, check_digit
from subscription_core.texts import ID_LIMIT

__all__ = [
    "Actor",
    "ActorKind",
    "Contact",
    "Customer",
    "InvoiceInfo",
    "Party",
    "ServiceAccountant",
    "TaxCode",
    "TaxCodeKind",
    "check_digit",
    "find_customers",
    "fold",
    "is_email_address",
    "require_ordering_right",
    "search_query",
]


def _text(value: object, field: str) -> str:
    # A name or an address loads as it was stored: documents written before the one text check may hold
    # characters it refuses now, and their orders must stay payable (O7). Where one enters a use case it is
    # checked in full (check_names, check_invoiceable when an order is placed).
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty text", rule="O2", field=field, value=value)
    return " ".join(value.split())


def _name_text(value: object) -> str:
    return _text(value, "name")


def _unit_name_text(value: object) -> str:
    return _text(value, "unit_name")


def _address_text(value: object) -> str:
    return _text(value, "address")


def _id_text(value: object) -> str:
    return checked_id(value, field="id", rule="O2")


def _email(value: object) -> str:
    return email_address(value)


def _phone(value: object) -> str | None:
    return phone_number(value)


def _optional_tax_code(value: object) -> TaxCode | None:
    if value is None or isinstance(value, TaxCode):
        return value
    return TaxCode(value=value)


def _tax_code(value: object) -> TaxCode:
    return value if isinstance(value, TaxCode) else TaxCode(value=value)


@attrs.frozen(kw_only=True)
class Contact:
    """Someone to notify (B3, N1): a name, a valid e-mail address and an optional phone number.

    Raises:
        ValidationError: an empty name, a malformed e-mail address or phone number.
    """

    name: str = attrs.field(converter=_name_text)
    email: str = attrs.field(converter=_email)
    phone: str | None = attrs.field(default=None, converter=_phone)


@attrs.frozen(kw_only=True)
class Party:
    """The details of a unit on an order (O2): unit name, address, tax code, phone and e-mail.

    Text is trimmed and its inner whitespace collapsed; the tax code may be given as text and is parsed
    (U1); it is optional, since an individual buyer may have none [decision]. The e-mail must be valid
    because licences, orders and invoices are sent to it (I2); the phone number is optional.

    Raises:
        ValidationError: an empty name or address, a bad tax code, e-mail address or phone number.
    """

    unit_name: str = attrs.field(converter=_unit_name_text)
    address: str = attrs.field(converter=_address_text)
    email: str = attrs.field(converter=_email)
    tax_code: TaxCode | None = attrs.field(default=None, converter=_optional_tax_code)
    phone: str | None = attrs.field(default=None, converter=_phone)

    @property
    def contact(self) -> Contact:
        """The unit as someone to notify."""
        return Contact(name=self.unit_name, email=self.email, phone=self.phone)

    def check_names(self, field: str) -> None:
        """Check the name and address hold only text the library stores, at most 1,000 characters (O2).

        Applied where a party enters a use case (registering a customer); construction is lenient so that
        parties stored before the check still load. The error names ``field.unit_name`` or ``field.address``
        and never shows the text.

        Raises:
            ValidationError: (O2) as :func:`~subscription_core.errors.checked_text` says.
        """
        checked_text(self.unit_name, field=f"{field}.unit_name", rule="O2", shown=None)
        checked_text(self.address, field=f"{field}.address", rule="O2", shown=None)

    def check_invoiceable(self, field: str) -> None:
        """Check that every detail fits the e-invoice it may be printed on (O7): lengths, characters, e-mail.

        ``field`` is where the party stands (``"subscriber"``); an error names ``field.unit_name`` and so on.
        A party is not refused on construction for these, so that details stored before the check still load;
        an order checks its parties when it is placed.

        Raises:
            ValidationError: (O7) a name or address longer than 400 characters (a name 100 without a tax code:
                an individual's full name, I4), an e-mail longer than 50, or
                a control character, surrogate or non-character (U+FFFE) in any of them, with the limit and
                the value masked.
        """
        # A buyer without a tax code is an individual named by full name on the invoice (HVTNMHang, I4).
        name_limit: InvoiceField = "name" if self.tax_code is not None else "full_name"
        fitted_text(self.unit_name, field=f"{field}.unit_name", limit=name_limit)
        fitted_text(self.address, field=f"{field}.address", limit="address")
        fitted_email(self.email, field=f"{field}.email")
        if self.phone is not None:
            fitted_text(self.phone, field=f"{field}.phone", limit="phone")


@attrs.frozen(kw_only=True)
class InvoiceInfo:
    """Who the e-invoice is made out to (O2, I1): a party, and whether it was copied from the subscriber.

    Build it with :meth:`same_as` (the "same as subscriber" box) or :meth:`of`.
    """

    buyer: Party = attrs.field(validator=of_type(Party))
    same_as_subscriber: bool = attrs.field(default=False, validator=of_type(bool))

    @classmethod
    def same_as(cls, subscriber: Party) -> InvoiceInfo:
        """Return invoice details that copy every field of ``subscriber`` (O2)."""
        return cls(buyer=subscriber, same_as_subscriber=True)

    @classmethod
    def of(cls, buyer: Party) -> InvoiceInfo:
        """Return invoice details typed in for ``buyer``."""
        return cls(buyer=buyer)


@attrs.frozen(kw_only=True)
class Actor(subscriptions.Actor):
    """Who acts (A1-A3, S9): the lifecycle's history actor, plus the company a customer user belongs to.

    ``id`` is the user id of a customer user, the staff id, the accountant's id, or a name for the
    scheduler and the system. ``customer_id`` is set for a customer user and only then. Being a
    :class:`subscriptions.Actor`, an ``Actor`` can be written into a subscription's history as it is.

    Raises:
        ValidationError: a kind that is not an :class:`ActorKind`, an empty id, or ``customer_id`` given
            for anyone but a customer user or missing for one.
    """

    kind: ActorKind = attrs.field(validator=of_type(ActorKind))
    customer_id: str | None = attrs.field(default=None, validator=optional(non_empty_text(rule="O2")))

    def __attrs_post_init__(self) -> None:
        """Check that ``customer_id`` is given exactly for a customer user."""
        if (self.kind is ActorKind.CUSTOMER) != (self.customer_id is not None):
            raise ValidationError(
                "is required for a customer user and only for one", field="customer_id", value=self.customer_id
            )

    @classmethod
    def customer_user(cls, user_id: str, customer_id: str) -> Actor:
        """Return a user of the customer ``customer_id``."""
        return cls(kind=ActorKind.CUSTOMER, id=user_id, customer_id=customer_id)

    @classmethod
    def staff(cls, staff_id: str) -> Actor:
        """Return a member of the vendor's staff."""
        return cls(kind=ActorKind.STAFF, id=staff_id)

    @classmethod
    def accountant(cls, accountant_id: str) -> Actor:
        """Return the service accountant (accounting firm) ``accountant_id``."""
        return cls(kind=ActorKind.ACCOUNTANT, id=accountant_id)

    @classmethod
    def scheduler(cls) -> Actor:
        """Return the host's periodic job."""
        return cls(kind=ActorKind.SCHEDULER, id="scheduler")

    @classmethod
    def system(cls, name: str) -> Actor:
        """Return the system acting on a payment provider's confirmed callback (Y2), named ``name``."""
        return cls(kind=ActorKind.SYSTEM, id=name)

    @property
    def is_customer_user(self) -> bool:
        """Whether a customer's user acts."""
        return self.kind is ActorKind.CUSTOMER

    @property
    def is_staff(self) -> bool:
        """Whether the vendor's staff acts (A2)."""
        return self.kind is ActorKind.STAFF

    @property
    def is_accountant(self) -> bool:
        """Whether a service accountant acts (A3)."""
        return self.kind is ActorKind.ACCOUNTANT

    @property
    def is_scheduler(self) -> bool:
        """Whether the host's periodic job acts."""
        return self.kind is ActorKind.SCHEDULER

    @property
    def is_system(self) -> bool:
        """Whether the system acts on a provider's callback."""
        return self.kind is ActorKind.SYSTEM

    def belongs_to(self, customer_id: str) -> bool:
        """Whether this is a user of the customer ``customer_id``."""
        return self.is_customer_user and self.customer_id == customer_id


def _ids(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError("must be a set of user ids", rule="A1", field="buyers", value=value)
    ids = frozenset(value)
    for user_id in ids:
        _text(user_id, "buyers")
    return ids


@attrs.frozen(kw_only=True)
class Customer:
    """A subscribing company (S8, O2): entity with ``id`` and ``version``.

    ``subscriber`` and ``invoice`` are the details its orders start from (O2); ``business_code`` is an
    optional second code an accountant may pick it by (B1: a household business or a budget unit's
    code); ``accountant_id`` the service accountant it is linked to (A3); ``buyers`` the user ids with the
    buying right (A1). The verbs return a new customer one version higher.

    Raises:
        ValidationError: an empty id or name, a bad tax code, a wrong type for any field.
    """

    id: str = attrs.field(converter=_id_text)
    name: str = attrs.field(converter=_name_text)
    tax_code: TaxCode = attrs.field(converter=_tax_code)
    subscriber: Party = attrs.field(validator=of_type(Party))
    invoice: InvoiceInfo = attrs.field(validator=of_type(InvoiceInfo))
    business_code: str | None = attrs.field(default=None, validator=optional(non_empty_text(rule="O2")))
    accountant_id: str | None = attrs.field(default=None, validator=optional(non_empty_text(rule="O2")))
    buyers: frozenset[str] = attrs.field(default=frozenset(), converter=_ids)
    version: int = attrs.field(default=0, validator=whole_number(0))

    def grant_buying_right(self, user_id: str) -> Customer:
        """Return the customer with ``user_id`` allowed to place and pay orders (A1)."""
        return attrs.evolve(self, buyers=self.buyers | {_text(user_id, "user_id")}, version=self.version + 1)

    def revoke_buying_right(self, user_id: str) -> Customer:
        """Return the customer without ``user_id``'s buying right (A1)."""
        return attrs.evolve(self, buyers=self.buyers - {_text(user_id, "user_id")}, version=self.version + 1)

    def link_accountant(self, accountant_id: str) -> Customer:
        """Return the customer as a client of the service accountant ``accountant_id`` (A3)."""
        return attrs.evolve(self, accountant_id=_text(accountant_id, "accountant_id"), version=self.version + 1)

    def unlink_accountant(self) -> Customer:
        """Return the customer with no service accountant (A3)."""
        return attrs.evolve(self, accountant_id=None, version=self.version + 1)

    def with_details(self, subscriber: Party, invoice: InvoiceInfo) -> Customer:
        """Return the customer with new subscriber and invoice details (O2), one version higher.

        Orders placed before keep the details they froze (O2); the tax code is not changed here.
        """
        return attrs.evolve(self, subscriber=subscriber, invoice=invoice, version=self.version + 1)

    def may_buy(self, actor: Actor) -> bool:
        """Whether ``actor`` is one of this customer's users with the buying right (A1)."""
        return actor.belongs_to(self.id) and actor.id in self.buyers

    def is_client_of(self, accountant_id: str) -> bool:
        """Whether this customer is linked to the service accountant ``accountant_id`` (A3)."""
        return self.accountant_id is not None and self.accountant_id == accountant_id


@attrs.frozen(kw_only=True)
class ServiceAccountant:
    """An accounting firm that renews for its client companies (A3, B3): entity with ``id`` and ``version``.

    ``contact`` receives the notices of its bulk orders unless another recipient is typed in (B3).
    """

    id: str = attrs.field(converter=_id_text)
    name: str = attrs.field(converter=_name_text)
    contact: Contact = attrs.field(validator=of_type(Contact))
    tax_code: TaxCode | None = attrs.field(default=None, converter=_optional_tax_code)
    version: int = attrs.field(default=0, validator=whole_number(0))


def require_ordering_right(actor: Actor, customer: Customer) -> None:
    """Check that ``actor`` may place and pay orders for ``customer`` (A1-A3).

    Allowed: a user of the customer with the buying right (A1), the vendor's staff acting for it (A2), and
    the service accountant it is linked to (A3). The scheduler and the system never order.

    Raises:
        PermissionDeniedError: with the rule that refuses.
        ValidationError: ``actor`` is not an :class:`Actor` or ``customer`` not a :class:`Customer`.
    """
    if not isinstance(actor, Actor):
        raise ValidationError("must be an Actor", field="actor", value=actor)
    if not isinstance(customer, Customer):
        raise ValidationError("must be a Customer", field="customer", value=customer)
    if actor.is_staff or customer.may_buy(actor):
        return
    if actor.is_accountant:
        if customer.is_client_of(actor.id):
            return
        raise PermissionDeniedError(
            f"customer {customer.id} is not a client of this service accountant",
            rule="A3",
            field="actor",
            value=actor.id,
        )
    raise PermissionDeniedError(
        f"only a user of customer {customer.id} with the buying right, or staff, may order for it",
        rule="A1",
        field="actor",
        value=actor.id,
    )


def fold(text: str) -> str:
    """Return ``text`` without case or diacritics, whitespace collapsed: "Công ty Đầu tư" → "cong ty dau tu" (U2).

    'đ' has no decomposition in Unicode, so it is mapped to 'd' by hand.

    Raises:
        ValidationError: ``text`` is not text.
    """
    if not isinstance(text, str):
        raise ValidationError("must be text", rule="U2", field="query", value=text)
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _compact(code: str) -> str:
    return "".join(code.split()).casefold()


def search_query(query: object) -> str:
    """The text of a staff search (U2), stripped: a text of at most 255 characters the library stores.

    Every search applies it, in the core and in each store's ``search``, so that a store never meets a
    query it reads otherwise than the others (SQLite took NUL for the end of its pattern and matched
    every customer; a lone surrogate broke the database driver).

    Raises:
        ValidationError: (U2, ``query``) not text, blank, too long, or holding a character
            :func:`~subscription_core.errors.checked_text` refuses, which the message names.
    """
    return required_text(
        query, field="query", rule="U2", message="a search needs a tax code or part of a name", most=ID_LIMIT
    )


def find_customers(customers: Iterable[Customer], query: str) -> tuple[Customer, ...]:
    """Return the customers a staff search finds (U2), tax-code matches first, each group in input order.

    A query that is a valid tax code finds the customer with exactly that code (after normalization:
    spaces ignored; a branch code finds the branch only). Any query also finds the customers whose
    business code equals it, and those whose name contains it regardless of case and diacritics.

    Raises:
        ValidationError: (U2) the query is not one :func:`search_query` takes.
    """
    query = search_query(query)
    try:
        code: TaxCode | None = TaxCode.parse(query)
    except ValidationError:
        code = None
    compact, folded = _compact(query), fold(query)
    by_code: list[Customer] = []
    by_name: list[Customer] = []
    for customer in customers:
        if customer.tax_code == code or _compact(customer.business_code or "") == compact:
            by_code.append(customer)
        elif folded in fold(customer.name):
            by_name.append(customer)
    return (*by_code, *by_name)
