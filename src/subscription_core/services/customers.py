"""Finding customers (U2) and checking tax codes (U1).

Staff search every customer by tax code or company name (U2); a service accountant searches its own
clients only (A3). Anyone may check whether a text is a valid tax code and read why not (U1).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

import attrs

from subscription_core.customers import Actor, Customer, TaxCode, TaxCodeKind, find_customers, search_query
from subscription_core.errors import PermissionDeniedError, ValidationError
from subscription_core.services.context import Services
from subscription_core.services.permissions import require_actor

__all__ = ["TaxCodeCheck", "check_tax_code", "search_customers"]

_log = logging.getLogger(__name__)
_MAX_LIMIT: Final = 500


@attrs.frozen(kw_only=True)
class TaxCodeCheck:
    """Whether a text is a valid tax code (U1): its canonical form and kind, or the reason it is not."""

    valid: bool
    canonical: str | None = None
    kind: TaxCodeKind | None = None
    reason: str | None = None


def check_tax_code(actor: Actor, text: str) -> TaxCodeCheck:
    """Check ``text`` as a Vietnamese tax code (U1); any actor may. Never raises for a bad code: it says why.

    Raises:
        ValidationError: ``actor`` is not an :class:`Actor`.
    """
    require_actor(actor)
    try:
        code = TaxCode.parse(text)
    except ValidationError as error:
        return TaxCodeCheck(valid=False, reason=error.message)
    return TaxCodeCheck(valid=True, canonical=code.value, kind=code.kind)


def _limit(limit: object) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= _MAX_LIMIT:
        raise ValidationError(f"must be a whole number from 1 to {_MAX_LIMIT}", rule="U2", field="limit", value=limit)
    return limit


def search_customers(deps: Services, actor: Actor, query: str, *, limit: int = 50) -> tuple[Customer, ...]:
    """Find customers by tax code or company name (U2): exact tax code matches first, then names.

    Names match regardless of case and diacritics. Staff search every customer; a service accountant only
    its clients (A3).

    Raises:
        PermissionDeniedError: (U2) a customer user, the scheduler or the system.
        ValidationError: (U2) an empty query or one :func:`~subscription_core.customers.search_query` refuses
            (too long, NUL, a lone surrogate...), a limit out of range.
    """
    require_actor(actor)
    size = _limit(limit)
    query = search_query(query)
    if not (actor.is_staff or actor.is_accountant):
        raise PermissionDeniedError("only staff and service accountants search customers", rule="U2", field="actor")
    with deps.uow() as uow:
        if actor.is_accountant:
            return find_customers(uow.customers.clients_of(actor.id), query)[:size]
        exact = _by_code(uow.customers.by_tax_code, query)
        found = [c for c in [exact, *uow.customers.search(query, limit=size)] if c is not None]
    _log.info("customer search by %s found %d", actor.id, len(found))
    return tuple({c.id: c for c in found}.values())[:size]


def _by_code(lookup: Callable[[str], Customer | None], query: str) -> Customer | None:
    try:
        code = TaxCode.parse(query)
    except ValidationError:
        return None
    return lookup(code.value)
