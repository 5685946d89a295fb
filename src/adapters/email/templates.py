"""The e-mail templates of the notices (N1): a subject, a text body and an HTML body per kind and language.

Templates are :class:`string.Template` sources (``$order_id``, ``${total}``) filled from an outbox
message's ``data`` and its ``subject_id``. Each value is shown as a reader in Vietnam expects it: amounts
as ``1.200.000 đ``, dates as ``30/04/2027``, instants as ``23:59 30/04/2027`` in Asia/Ho_Chi_Minh, payment
methods and order kinds by their names; in the HTML body every value is escaped. A placeholder with no
value shows as empty, and a line of the text or HTML body whose every placeholder is empty is left out,
so one template serves an order placed with and without payment instructions. Keys a template does not
name are ignored.

:func:`default_templates` has one template per kind of :func:`~subscription_core.notices.notice_kinds`
in Vietnamese (the default) and English, worded in :mod:`subscription_core_adapters.email.wording`;
:meth:`Templates.replace` swaps one for a host's own.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import string
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Final

import attrs

from subscription_core.calendar import VIETNAM_TZ
from subscription_core.errors import NotFoundError, ValidationError
from subscription_core.notices import OutboxMessage, notice_kinds
from subscription_core_adapters.email.wording import FRAMES, LABELS, WORDING, Language

__all__ = ["Language", "RenderedNotice", "Template", "Templates", "default_templates", "vietnamese_amount"]


def vietnamese_amount(amount: Decimal, currency: str = "VND") -> str:
    """Show ``amount`` as in Vietnam: ``1.200.000 đ``; other currencies keep their code (``1.234,50 USD``).

    Raises:
        ValidationError: ``amount`` is not a finite ``Decimal``.
    """
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationError("must be a finite Decimal", field="amount", value=amount)
    if currency == "VND" and amount == amount.to_integral_value():
        amount = amount.to_integral_value()  # whole đồng: no ",00"
    digits = format(amount, ",f").translate(str.maketrans(",.", ".,"))
    return f"{digits} {'đ' if currency == 'VND' else currency}"


def _source(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise ValidationError("must be text", rule="N1", field=attribute.name, value=type(value).__name__)
    if not string.Template(value).is_valid():
        raise ValidationError(
            "has a '$' that names no placeholder (write '$$' for a dollar sign)", field=attribute.name
        )
    if attribute.name == "subject" and ("\n" in value or "\r" in value or not value.strip()):
        raise ValidationError("must be one non-empty line", rule="N1", field="subject")


@attrs.frozen(kw_only=True)
class Template:
    """The sources of one notice's e-mail: ``subject`` (one line), ``text`` and ``html`` bodies.

    Raises:
        ValidationError: a source is not text or has a stray ``$``; a subject that is blank or several lines.
    """

    subject: str = attrs.field(validator=_source)
    text: str = attrs.field(validator=_source)
    html: str = attrs.field(validator=_source)

    @classmethod
    def of_text(cls, *, subject: str, text: str, language: Language = Language.VI) -> Template:
        """A template whose HTML body is its text body, a paragraph per line (the literal text escaped).

        Raises:
            ValidationError: as the constructor.
        """
        if not isinstance(text, str):
            raise ValidationError("must be text", field="text", value=type(text).__name__)
        paragraphs = (f"<p>{html.escape(line, quote=False)}</p>" for line in text.splitlines() if line.strip())
        lang = language.value if isinstance(language, Language) else Language.VI.value
        page = "\n".join(
            [f'<!DOCTYPE html>\n<html lang="{lang}">\n<head><meta charset="utf-8"></head>\n<body>', *paragraphs]
        )
        return cls(subject=subject, text=text, html=f"{page}\n</body>\n</html>\n")


@attrs.frozen(kw_only=True)
class RenderedNotice:
    """A notice's e-mail ready to send: its subject (one line), text body and HTML body."""

    subject: str
    text: str
    html: str


# Values: what a reader sees instead of the stored text. Money as core's Money renders it, "1,200,000 VND".
_MONEY: Final = re.compile(r"^(-?\d{1,3}(?:,\d{3})*(?:\.\d+)?) ([A-Z]{3})$")
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_LABELLED: Final = frozenset({"method", "kind", "erased"})
_MAX_DIGITS: Final = 30  # beyond 10**30 a number is no amount of money


def _clean(value: str) -> str:
    # Lone surrogates cannot be encoded, and control characters do not belong in a mail; tabs and line breaks do.
    text = value.encode("utf-8", "replace").decode("utf-8")
    return "".join(c if c in "\n\t" or unicodedata.category(c) != "Cc" else " " for c in text)


def _amount(text: str, currency: str) -> str | None:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite() or abs(amount.adjusted()) > _MAX_DIGITS:
        return None  # not money: shown as it came
    return vietnamese_amount(amount) if currency == "VND" else vietnamese_amount(amount, currency)


def _shown(key: str, value: str, data: Mapping[str, str], language: Language) -> str:
    """The text a reader sees for ``value``: amounts, dates, instants and labels formatted, anything else as is."""
    shown: str | None = None
    if key == "amount":
        shown = _amount(value, data.get("currency", "VND"))
    elif money := _MONEY.match(value):
        shown = _amount(money.group(1).replace(",", ""), money.group(2))
    elif _DATE.match(value):
        shown = _date(value)
    elif _INSTANT.match(value):
        shown = _instant(value)
    elif key in _LABELLED:
        labels = LABELS[language]
        shown = ", ".join(labels.get(part, part) for part in value.split(", "))
    return value if shown is None else shown


def _date(value: str) -> str | None:
    try:
        return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
    except ValueError:
        return None


def _instant(value: str) -> str | None:
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if instant.tzinfo is None or instant.utcoffset() is None:
        return None
    return instant.astimezone(VIETNAM_TZ).strftime("%H:%M %d/%m/%Y")


class _Values(dict[str, str]):
    """Placeholder values; a missing one shows as empty rather than failing."""

    def __missing__(self, key: str) -> str:
        return ""


def _fill(source: str, values: _Values, *, drop_empty_lines: bool) -> str:
    if not drop_empty_lines:
        return string.Template(source).substitute(values)
    lines = []
    for line in source.splitlines(keepends=True):
        template = string.Template(line)
        names = template.get_identifiers()
        if names and not any(values[name] for name in names):
            continue
        lines.append(template.substitute(values))
    return "".join(lines)


class Templates:
    """One :class:`Template` per notice kind and :class:`Language`; immutable (:meth:`replace` makes a copy)."""

    def __init__(self, table: Mapping[tuple[str, Language], Template]) -> None:
        """Hold ``table``; use :func:`default_templates` rather than building one from nothing.

        Raises:
            ValidationError: (N1) a key that is not a (notice kind, Language) pair, or a value not a Template.
        """
        kinds = notice_kinds()
        for key, template in table.items():
            kind, language = key if isinstance(key, tuple) and len(key) == 2 else (None, None)  # noqa: PLR2004
            if kind not in kinds or not isinstance(language, Language):
                raise ValidationError("must be a (notice kind, Language) pair", rule="N1", field="templates", value=key)
            if not isinstance(template, Template):
                raise ValidationError("must be a Template", rule="N1", field=f"templates[{kind}]", value=template)
        self._table = dict(table)

    def __repr__(self) -> str:
        """Show how many templates there are, not their text."""
        return f"Templates({len(self._table)} templates)"

    def template(self, kind: str, language: Language = Language.VI) -> Template:
        """The template of ``kind`` in ``language``.

        Raises:
            NotFoundError: (N1) no template for that kind and language.
        """
        try:
            return self._table[(kind, language)]
        except (KeyError, TypeError):
            raise NotFoundError(
                "no e-mail template for this notice kind", rule="N1", field="kind", value=kind
            ) from None

    def replace(self, kind: str, language: Language, template: Template) -> Templates:
        """A copy with ``template`` for ``kind`` in ``language``, every other template kept.

        Raises:
            ValidationError: (N1) not a notice kind, a language or a Template.
        """
        return Templates({**self._table, (kind, language): template})

    def render(self, message: OutboxMessage, language: Language = Language.VI) -> RenderedNotice:
        """Fill the template of the message's kind in ``language`` with its ``data`` and ``subject_id``.

        Raises:
            NotFoundError: (N1) no template for the kind and language.
            ValidationError: ``message`` is not an ``OutboxMessage``.
        """
        if not isinstance(message, OutboxMessage):
            raise ValidationError("must be an OutboxMessage", rule="N1", field="message", value=type(message).__name__)
        template = self.template(message.kind, language)
        data = {key: _clean(value) for key, value in message.data}
        data["subject_id"] = _clean(message.subject_id)
        shown = {key: _shown(key, value, data, language) for key, value in data.items()}
        one_line = _Values({key: " ".join(value.split()) for key, value in shown.items()})
        escaped = _Values({key: html.escape(value, quote=True) for key, value in shown.items()})
        return RenderedNotice(
            subject=" ".join(_fill(template.subject, one_line, drop_empty_lines=False).split()),
            text=_fill(template.text, _Values(shown), drop_empty_lines=True),
            html=_fill(template.html, escaped, drop_empty_lines=True),
        )


def default_templates() -> Templates:
    """The library's templates: every notice kind in Vietnamese and English, HTML made from the text."""
    table = {}
    for language, wording in WORDING.items():
        greeting, footer = FRAMES[language]
        for kind, (subject, body) in wording.items():
            text = "\n".join([greeting, "", *body, "", footer, ""])
            table[(kind, language)] = Template.of_text(subject=subject, text=text, language=language)
    return Templates(table)
