"""The one exception hierarchy of subscription_core.

Every error the library raises on bad input or a refused action is a :class:`SubscriptionError`. Each
carries the rule id it enforces (``rule``, e.g. ``"S5"``; empty when no numbered rule applies), the
``field`` that failed (a dotted path such as ``plans[2].options[0].price``) and the offending ``value``,
so that a support engineer can read what went wrong without a traceback.

Each class also says what a host should answer, without the core knowing HTTP: a stable machine ``code``
(``"validation"``, ``"not_found"``, ``"transient"``, ``"storage"``, ...), whether trying again can help
(``retryable``), and :meth:`SubscriptionError.as_dict` for a JSON body. A :class:`NotFoundError` says
whether the missing thing is the resource the request addresses or a reference inside it (``reference``).

The message of an error is meant to be logged, so a secret (a signing key, a password, card data) is
never passed as ``value``, and personal data is passed masked with :func:`masked`:
``ValidationError("must have one '@'", rule="I2", field="email", value=masked(text, "email"))``.
A masked value keeps the shape a support engineer needs and hides the rest:

- ``"email"``: the first character of the name and of the domain, and a top-level domain of letters
  (``ketoan@hoadon.vn`` → ``k***@h***.vn``);
- ``"tax_code"``, ``"phone"``, ``"account"`` (a bank account number): at most the first 2 and the last 4
  characters, at most 60 % of the text, each hidden character a ``*`` (``0101243150`` → ``01****3150``);
- any text of 4 characters or fewer: every character hidden (``0912`` → ``****``);
- a value that is not text: its type only (``912345678`` → ``<int>``).

Names and addresses are personal data too, but masking them helps nobody: an error about one omits
``value`` and names the field.

The attrs field validators that every module shares live here too (:func:`of_type`, :func:`non_empty_text`,
:func:`any_text`, :func:`whole_number`, :func:`aware`, :func:`tuple_of`, :func:`optional`), with the checks
behind them (:func:`required_text`, :func:`checked_text`, :func:`utc`), so that one input is refused with one
message everywhere. Every text they accept passes :func:`subscription_core.texts.text_problem` and a length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, Final, Literal

import attrs

from subscription_core.texts import ID_LIMIT, LINE_LIMIT, text_problem

__all__ = [
    "CatalogError",
    "ConflictError",
    "CurrencyMismatchError",
    "DeliveryError",
    "InvalidTransitionError",
    "NotEligibleError",
    "NotFoundError",
    "PermissionDeniedError",
    "PersonalKind",
    "ReadOnlyError",
    "RetryLaterError",
    "StorageError",
    "SubscriptionError",
    "TransientConflictError",
    "ValidationError",
    "Validator",
    "any_text",
    "aware",
    "checked_id",
    "checked_text",
    "masked",
    "non_empty_text",
    "of_type",
    "optional",
    "referenced",
    "required_text",
    "tuple_of",
    "utc",
    "whole_number",
]

_NO_VALUE = object()


class SubscriptionError(Exception):
    """Base of every error raised by subscription_core.

    Attributes:
        code: the class's stable machine code (``"validation"``); a host maps it to its answer (an HTTP
            status). Each class has its own; a bare ``SubscriptionError`` is ``"error"``.
        retryable: whether running the same request again may succeed (a lost race, a storage failure).
        message: what went wrong, in a sentence.
        rule: the domain rule id enforced (``"P8"``), or ``""``.
        field: the dotted path of the offending input, or ``""``.
        value: the offending value (never a secret; personal data as :func:`masked` gives it), or ``None``.
    """

    code: ClassVar[str] = "error"
    retryable: bool = False

    def __init__(self, message: str, *, rule: str = "", field: str = "", value: object = _NO_VALUE) -> None:
        """Build the error; ``str(error)`` reads ``[rule] field: message (got value)``."""
        self.message = message
        self.rule = rule
        self.field = field
        self.has_value = value is not _NO_VALUE
        self.value = None if value is _NO_VALUE else value
        super().__init__(self._render())

    def _render(self) -> str:
        text = f"{self.field}: {self.message}" if self.field else self.message
        if self.has_value:
            text = f"{text}, got {_shown(self.value)}"
        return f"[{self.rule}] {text}" if self.rule else text

    def as_dict(self) -> dict[str, object]:
        """The error as a JSON-ready mapping: ``code``, ``rule``, ``field``, ``message``, ``retryable``.

        ``message`` ends with the value as the error shows it (``, got '01****9107'``): personal data masked,
        never a secret. A :class:`NotFoundError` adds ``reference``.
        """
        message = f"{self.message}, got {_shown(self.value)}" if self.has_value else self.message
        return {
            "code": self.code,
            "rule": self.rule,
            "field": self.field,
            "message": message,
            "retryable": self.retryable,
        }


_SHOWN_BITS: Final = 256


def _shown(value: object) -> str:
    # An int of thousands of digits is shown by its size: Python refuses to print one of over 4300 digits.
    if isinstance(value, int) and value.bit_length() > _SHOWN_BITS:
        return f"<an int of {value.bit_length()} bits>"
    return repr(value)


class ValidationError(SubscriptionError, ValueError):
    """An input does not satisfy an invariant (a negative price, a naive datetime, a bad tax code)."""

    code: ClassVar[str] = "validation"


class CurrencyMismatchError(ValidationError):
    """Two amounts in different currencies were added, compared or mixed in one order."""

    code: ClassVar[str] = "currency_mismatch"


class CatalogError(ValidationError):
    """A catalog file or definition is invalid; ``problems`` lists every problem found, each with its path."""

    code: ClassVar[str] = "catalog"

    def __init__(self, problems: Sequence[str]) -> None:
        """Build the error from every problem found (at least one)."""
        self.problems = tuple(problems)
        count = len(self.problems)
        header = f"catalog is invalid ({count} problem{'s' if count != 1 else ''})"
        super().__init__("\n  ".join([header, *self.problems]), rule="C1")


class NotFoundError(SubscriptionError, LookupError):
    """An id or code names nothing known (an unknown plan, order or customer).

    ``reference`` is ``False`` when the missing thing is the resource the request addresses (the order of
    ``start_payment(order_id=...)``: a host answers 404) and ``True`` when it is a reference inside the
    request (a plan code in a ``NewPurchase``: the request is wrong, 422). A repository's lookup by id
    defaults to the addressed resource; a catalog code and a lookup a use case runs in :func:`referenced`
    are references.
    """

    code: ClassVar[str] = "not_found"

    def __init__(
        self, message: str, *, reference: bool = False, rule: str = "", field: str = "", value: object = _NO_VALUE
    ) -> None:
        """Build the error; ``reference`` says whether the missing thing is named inside the request."""
        super().__init__(message, rule=rule, field=field, value=value)
        self.reference = bool(reference)

    def as_dict(self) -> dict[str, object]:
        """As :meth:`SubscriptionError.as_dict`, with ``reference``."""
        return {**super().as_dict(), "reference": self.reference}


@contextmanager
def referenced() -> Iterator[None]:
    """Run lookups of references the request holds: a :class:`NotFoundError` leaves with ``reference`` set.

    A use case wraps a lookup in it when the id or code comes from inside the request (the subscription a
    renewal line names), not from the resource the request addresses.
    """
    try:
        yield
    except NotFoundError as error:
        # The same error, re-raised as it was: only the use case knows where the id came from.
        error.reference = True
        raise


class NotEligibleError(SubscriptionError):
    """A business rule refuses the request (a retention package while still active, a third commitment)."""

    code: ClassVar[str] = "not_eligible"


class InvalidTransitionError(SubscriptionError):
    """An event is not allowed in the subscription's or order's current state."""

    code: ClassVar[str] = "invalid_transition"


class ReadOnlyError(SubscriptionError):
    """A write was attempted on a subscription that is read-only (data-retention archive, rule S5)."""

    code: ClassVar[str] = "read_only"


class PermissionDeniedError(SubscriptionError):
    """The acting party may not perform this action (rules A1-A3)."""

    code: ClassVar[str] = "permission_denied"


class ConflictError(SubscriptionError):
    """A request conflicts with what was already done; asking again will not help.

    For example a tax code registered already (U1), a promotion code taken, an idempotency key reused with
    different input. A lost race is the subclass :class:`TransientConflictError`.
    """

    code: ClassVar[str] = "conflict"


class TransientConflictError(ConflictError):
    """A concurrent unit of work got in the way: running the whole use case again may succeed.

    A stale version on save, a row another unit stored or changed first, a limit reached concurrently, or a
    serialization failure, deadlock or lock timeout the database reported. The use cases run their unit of
    work again on this error alone (a bounded number of times, with the host's pause between attempts).
    """

    code: ClassVar[str] = "transient"
    retryable: bool = True


class StorageError(SubscriptionError):
    """The storage failed, not the request: the database is unreachable or refused a statement.

    Raised by storage adapters for a driver error that is neither a lost race nor a value it cannot hold.
    Retryable: the same request may succeed once the database is back; a host answers 503.
    """

    code: ClassVar[str] = "storage"
    retryable: bool = True


class RetryLaterError(SubscriptionError):
    """A payment provider gave no settled answer yet: nothing was recorded; the same request may succeed later.

    Raised by a provider's adapter while reading a notification or starting a payment, for a payment the
    provider holds or has not finished, and for a timeout, a refused connection, an HTTP error or an answer
    it cannot read. The use case records nothing (the unit of work rolls back), so asking again is always
    safe. A host answers 503 with ``Retry-After``; a return page shows the payment as pending.

    Attributes:
        provider_code: the provider's own code when it answered one (NgânLượng's ``error_code`` or
            ``transaction_status``), else ``""``.
    """

    code: ClassVar[str] = "retry_later"
    retryable: bool = True

    def __init__(self, message: str, *, provider_code: str = "", rule: str = "Y5", field: str = "provider") -> None:
        """Build the error; ``provider_code`` is the provider's code when it answered one."""
        super().__init__(message, rule=rule, field=field)
        self.provider_code = provider_code


class DeliveryError(SubscriptionError):
    """A notifier could not deliver an outbox message (N2); raised by ``Notifier.send``.

    ``permanent`` is ``True`` when sending the same message again cannot succeed until someone changes
    something (an address that does not exist, a message handed to the wrong channel): an outbox relay then
    sets the message aside as dead instead of retrying it. The message of this error is stored with the
    dead message and logged, so it names the outbox message's id and never its recipient.

    Attributes:
        permanent: whether retrying is pointless (``retryable`` is its opposite).
    """

    code: ClassVar[str] = "delivery"
    retryable: bool = True  # unless the instance is permanent

    def __init__(
        self, message: str, *, permanent: bool = False, rule: str = "N2", field: str = "", value: object = _NO_VALUE
    ) -> None:
        """Build the error; ``permanent`` says whether a retry may succeed."""
        super().__init__(message, rule=rule, field=field, value=value)
        self.permanent = bool(permanent)
        self.retryable = not self.permanent


PersonalKind = Literal["email", "tax_code", "phone", "account", "text"]
"""What a personal value is, for :func:`masked`: an e-mail address, a tax code (or personal identification
number), a phone number, a bank account number, or a name, an address or other free text."""

_HIDDEN: Final = "***"
_SHORT: Final = 4  # texts this short are hidden whole
_HEAD: Final = 2
_TAIL: Final = 4
_TLD_LETTERS: Final = range(2, 7)  # "vn" to "online": a longer "top-level domain" may be a name


def masked(text: object, kind: PersonalKind) -> str:
    """Return ``text`` with enough hidden that an error may carry it: pass the result as ``value=``.

    The result never contains ``text`` (stripped of surrounding whitespace) when that is longer than 4
    characters, and shows at most: for ``"email"``, the first character of the name and of the domain and a
    top-level domain of 2-6 letters (``k***@h***.vn``); for ``"tax_code"``, ``"phone"``, ``"account"`` and
    ``"text"``, the first 2 and last 4 characters and no more than 60 % of the text, each hidden character a
    ``*`` (``01****3150``). A text of 4 characters or fewer is all ``*``; a value that is not a ``str`` gives its
    type's name (``<int>``), which is what an error saying "must be text" needs. Any other ``kind`` is
    masked as a tax code is. Never raises.
    """
    if not isinstance(text, str):
        return "<None>" if text is None else f"<{type(text).__name__}>"
    bare = text.strip()
    if len(bare) <= _SHORT:
        return "*" * len(bare)
    shown = _masked_email(bare) if kind == "email" else _masked_number(bare)
    # Only a text that was already masked (or made of '*') can reappear in its mask.
    return _HIDDEN if bare in shown else shown


def _masked_number(text: str) -> str:
    visible = min(_HEAD + _TAIL, len(text) * 3 // 5)
    head = min(_HEAD, visible // 3)
    tail = visible - head
    return text[:head] + "*" * (len(text) - visible) + text[len(text) - tail :]


def _masked_email(text: str) -> str:
    local, at, domain = text.rpartition("@")
    if not at:
        return text[:1] + _HIDDEN
    name, dot, tld = domain.rpartition(".")
    if dot and tld.isascii() and tld.isalpha() and len(tld) in _TLD_LETTERS:
        return f"{local[:1]}{_HIDDEN}@{name[:1]}{_HIDDEN}.{tld}"
    return f"{local[:1]}{_HIDDEN}@{domain[:1]}{_HIDDEN}"


Validator = Callable[[object, "attrs.Attribute[Any]", object], None]
"""An attrs field validator: called with the instance, the field and the value; raises on a bad value."""


def of_type(*types: type) -> Validator:
    """An attrs validator: the value must be an instance of ``types``, else :class:`ValidationError`.

    Use it instead of ``attrs.validators.instance_of``, whose ``TypeError`` is not one of ours.
    """
    names = " or ".join(t.__name__ for t in types)

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types and int in types):
            raise ValidationError(f"must be a {names}", field=attribute.name, value=value)

    return check


def optional(validator: Validator) -> Validator:
    """An attrs validator: ``None`` passes; any other value must pass ``validator``."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            validator(instance, attribute, value)

    return check


def checked_text(
    value: object,
    *,
    field: str,
    rule: str = "",
    most: int = LINE_LIMIT,
    lines: bool = False,
    shown: PersonalKind | None = "text",
) -> str:
    """Return ``value`` unchanged if it is a text of at most ``most`` characters that :func:`text_problem` accepts.

    The one check of every text the library stores or prints (see :mod:`subscription_core.texts`): no lone
    surrogate, control character (tab and line breaks only when ``lines``), non-character or bidirectional
    override, and not only invisible characters. An empty text passes.

    Raises:
        ValidationError: (``rule``, ``field``) not text; longer than ``most`` (the message names the limit);
            or holding a refused character (the message names its class and code point). The value is
            :func:`masked` as ``shown`` says, or left out when ``shown`` is ``None`` (a name, an address).
    """
    if not isinstance(value, str):
        raise ValidationError("must be text", rule=rule, field=field, value=value)
    if len(value) > most:
        problem: str | None = f"has {len(value)} characters; at most {most} are allowed"
    else:
        problem = text_problem(value, lines=lines)
    if problem is None:
        return value
    if shown is None:
        raise ValidationError(problem, rule=rule, field=field)
    raise ValidationError(problem, rule=rule, field=field, value=masked(value, shown))


def required_text(
    value: object,
    *,
    field: str,
    rule: str = "",
    message: str = "must be a non-empty text",
    most: int = LINE_LIMIT,
    lines: bool = False,
    shown: PersonalKind | None = "text",
) -> str:
    """Return ``value`` stripped of surrounding whitespace if it is a text with something besides whitespace.

    The stripped text must pass :func:`checked_text` (at most ``most`` characters, only characters the
    library stores; tab and line breaks only when ``lines``; ``shown`` says how a refused value is masked).

    Raises:
        ValidationError: (``rule``, ``field``) with ``message`` if ``value`` is not a ``str`` or is blank;
            else as :func:`checked_text` says.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(message, rule=rule, field=field, value=value)
    return checked_text(value.strip(), field=field, rule=rule, most=most, lines=lines, shown=shown)


def checked_id(value: object, *, field: str, rule: str = "") -> str:
    """Return an id, code or key given to a use case, stripped: :func:`required_text` of at most 255 characters.

    Checked where it enters, so that a lookup never hands a store a text it cannot hold (a lone surrogate,
    NUL) and the error names the input.

    Raises:
        ValidationError: (``rule``, ``field``) not text, blank, longer than
            :data:`~subscription_core.texts.ID_LIMIT`, or holding a character :func:`checked_text` refuses.
    """
    return required_text(value, field=field, rule=rule, most=ID_LIMIT)


def non_empty_text(rule: str = "", *, most: int = LINE_LIMIT, lines: bool = False) -> Validator:
    """An attrs validator: the value must be a ``str`` with something besides whitespace (see :func:`required_text`).

    The value as given, surrounding whitespace included, must pass :func:`checked_text` with ``most`` and
    ``lines``.
    """

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError("must be a non-empty text", rule=rule, field=attribute.name, value=value)
        # The whole value passing implies its stripped text passes too (fewer characters, the same ones).
        checked_text(value, field=attribute.name, rule=rule, most=most, lines=lines)

    return check


def any_text(rule: str = "", *, most: int = LINE_LIMIT, lines: bool = False) -> Validator:
    """An attrs validator: the value must be a ``str``, possibly empty, that passes :func:`checked_text`."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        checked_text(value, field=attribute.name, rule=rule, most=most, lines=lines)

    return check


def whole_number(minimum: int, rule: str = "", *, maximum: int | None = None) -> Validator:
    """An attrs validator: the value must be an ``int`` (not a ``bool``) of at least ``minimum``.

    With ``maximum`` (a limit of :mod:`subscription_core.limits`), also at most ``maximum``, named in the message.
    """
    message = f"must be a whole number >= {minimum}" + ("" if maximum is None else f" and <= {maximum:,}")

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or value < minimum
            or (maximum is not None and value > maximum)
        ):
            raise ValidationError(message, rule=rule, field=attribute.name, value=value)

    return check


def tuple_of(kind: type, rule: str = "") -> Validator:
    """An attrs validator: the value must be a ``tuple`` whose every item is a ``kind``."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple) or not all(isinstance(item, kind) for item in value):
            raise ValidationError(f"must be a tuple of {kind.__name__}", rule=rule, field=attribute.name, value=value)

    return check


def _check_aware(value: object, *, field: str, rule: str) -> dt.datetime:
    # The same check as calendar.ensure_aware (D2), which this module cannot import: calendar imports errors.
    if not isinstance(value, dt.datetime):
        raise ValidationError("must be a time-zone-aware datetime", rule=rule, field=field, value=value)
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(
            "must be time-zone-aware; a naive datetime is refused", rule=rule, field=field, value=value
        )
    return value


def aware(rule: str = "D2") -> Validator:
    """An attrs validator: the value must be a time-zone-aware ``datetime`` (D2); a naive one is refused."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        _check_aware(value, field=attribute.name, rule=rule)

    return check


def utc(at: dt.datetime, field: str = "at") -> dt.datetime:
    """Return the instant ``at`` in UTC, the zone instants are recorded in.

    Raises:
        ValidationError: (D2, naming ``field``) ``at`` is not a ``datetime`` or is naive.
    """
    return _check_aware(at, field=field, rule="D2").astimezone(dt.UTC)
