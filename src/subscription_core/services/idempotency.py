"""Idempotency keys for mutating use cases, with Stripe's semantics.

The same key with the same input returns the first outcome and does nothing new; the same key with
another input is a :class:`ConflictError`. Keys are scoped by the use case and the acting party, as
Stripe scopes them by account, so two customers who happen to choose the same key never collide
[decision]. Concurrent calls with one key take effect once: the store's unique key is the backstop, and
a :class:`ConflictError` on commit means another call won, so the use case is run again, finds that
call's record and returns its outcome.

An outcome that failed (raised) stores nothing, so a corrected retry with the same key may succeed.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Final, TypeVar

import attrs

from subscription_core.customers import Actor
from subscription_core.errors import ConflictError, TransientConflictError, ValidationError
from subscription_core.money import CONTEXT, Currency, Money
from subscription_core.ports import IdempotencyRecord, UnitOfWork
from subscription_core.services.context import Services

__all__ = ["ATTEMPTS", "fingerprint", "run_once", "scope_of", "with_retries"]

_log = logging.getLogger(__name__)

ATTEMPTS: Final = 4
"""How often a use case is run when it loses a race (a ``ConflictError`` on save or commit)."""
_MAX_KEY: Final = 255

R = TypeVar("R")

Canonical = None | bool | int | str | list["Canonical"] | dict[str, "Canonical"]


def _scalar(value: object) -> tuple[Canonical] | None:  # noqa: PLR0911 - one branch per kind of value
    """The canonical form of a single value, in a 1-tuple; ``None`` for a composite."""
    if value is None or isinstance(value, bool | int | str):
        return (value,)
    if isinstance(value, Decimal):
        return ({"decimal": format(value.normalize(CONTEXT), "f")},)
    if isinstance(value, Money):
        return ({"money": [format(value.amount.normalize(CONTEXT), "f"), value.currency.code]},)
    if isinstance(value, Currency):
        return ({"currency": value.code},)
    if isinstance(value, enum.Enum):
        return ({"enum": f"{type(value).__name__}.{value.value}"},)
    if isinstance(value, dt.datetime):
        aware = value.utcoffset() is not None
        return ({"datetime": (value.astimezone(dt.UTC) if aware else value).isoformat()},)
    if isinstance(value, dt.date):
        return ({"date": value.isoformat()},)
    return None


def _canonical(value: object) -> Canonical:
    scalar = _scalar(value)
    if scalar is not None:
        return scalar[0]
    kind = type(value)
    if attrs.has(kind):
        names = [f.name for f in attrs.fields(kind) if f.init]
        return {"type": kind.__name__, "fields": {n: _canonical(getattr(value, n)) for n in names}}
    if isinstance(value, Mapping):
        return {"map": sorted(([_canonical(k), _canonical(v)] for k, v in value.items()), key=_dump)}
    if isinstance(value, set | frozenset):
        return {"set": sorted((_canonical(v) for v in value), key=_dump)}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return {"repr": f"{type(value).__name__}:{value!r}"}


def _dump(value: Canonical) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def fingerprint(**fields: object) -> str:
    """Return the sha256 of a canonical rendering of ``fields``: equal inputs, equal digests.

    Decimals are compared by value (``1.0`` equals ``1``), sets and mappings regardless of order, attrs
    values field by field; instants in UTC. Only the digest is kept, never the input (which may hold
    e-mail addresses or tax codes). Never raises for any text: a lone surrogate, which UTF-8 cannot
    encode, is hashed by its code point (texts without one hash as they always did).
    """
    return hashlib.sha256(_dump(_canonical(fields)).encode("utf-8", "surrogatepass")).hexdigest()


class _Mismatch:
    """The key was stored with another fingerprint (never a use case's result: the class is private)."""


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > _MAX_KEY or not key.isprintable():
        raise ValidationError(
            f"must be a printable text of 1 to {_MAX_KEY} characters", field="idempotency_key", value=key
        )
    return key


def with_retries(deps: Services, work: Callable[[UnitOfWork, dt.datetime], R], *, name: str) -> R:
    """Run ``work`` in a fresh unit of work, again when it loses a race; ``work`` commits what it keeps.

    Raises:
        ConflictError: it lost the race :data:`ATTEMPTS` times.
        SubscriptionError: whatever ``work`` raises; nothing it did is kept.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with deps.uow() as uow:
                return work(uow, deps.now())
        except TransientConflictError:
            if attempt == ATTEMPTS:
                raise
            _log.info("%s lost a race (attempt %d); running it again", name, attempt)
            if deps.pause is not None:
                deps.pause(attempt)
    raise AssertionError  # pragma: no cover - the loop returns or raises


def scope_of(name: str, actor: Actor) -> str:
    """The scope of ``actor``'s idempotency keys for the use case ``name``: kind, company and id.

    A customer user's keys are scoped by the company too, so two companies whose user ids coincide never
    share a key; staff, accountants and the system are the vendor's own, named by kind and id. (A customer
    user's key stored before this scoping is not found under it: a request repeated across the upgrade runs
    again.)
    """
    company = f"{actor.customer_id}/" if actor.customer_id is not None else ""
    return f"{name}/{actor.kind.value}:{company}{actor.id}"


def run_once(
    deps: Services,
    actor: Actor,
    *,
    name: str,
    key: str,
    digest: str,
    work: Callable[[UnitOfWork, dt.datetime], tuple[str, R]],
    replay: Callable[[UnitOfWork, str], R],
) -> R:
    """Run the use case ``name`` once per ``key`` of ``actor`` (Stripe's idempotency).

    ``work(uow, now)`` does the use case and returns ``(outcome, result)``: ``outcome`` is the text stored
    for repeats (an id), ``result`` what the caller gets. It must not commit: the key is stored and the
    unit of work committed here, together. ``replay(uow, outcome)`` rebuilds the result for a repeat.

    Raises:
        ValidationError: a malformed key.
        ConflictError: the key was used with another input, or the race was lost too often.
        SubscriptionError: whatever ``work`` raises; nothing is kept, not even the key.
    """
    _check_key(key)
    scope = scope_of(name, actor)

    def once(uow: UnitOfWork, now: dt.datetime) -> R | _Mismatch:
        found = uow.idempotency.get(scope, key)
        if found is not None:
            if found.fingerprint != digest:
                return _Mismatch()
            _log.info("%s: repeat of an idempotency key, answered with the first outcome", name)
            return replay(uow, found.outcome)
        outcome, result = work(uow, now)
        uow.idempotency.put(scope, IdempotencyRecord(key=key, fingerprint=digest, outcome=outcome, created_at=now))
        uow.commit()
        return result

    result = with_retries(deps, once, name=name)
    if isinstance(result, _Mismatch):
        raise ConflictError(
            "this idempotency key was already used with a different request", field="idempotency_key", value=key
        )
    return result
