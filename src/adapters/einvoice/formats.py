"""The versions of the tax authority's e-invoice XML format, and the related-invoice block (``TTHDLQuan``) (I1, I4).

Sources, named here because no official XSD is published with them:

- **2.0.0**: Quyết định 1450/QĐ-TCT (7 October 2021), "Định dạng dữ liệu hóa đơn điện tử", Part II, for
  invoices under Decree 123/2020/NĐ-CP and Circular 78/2021/TT-BTC.
- **2.1.0**: the General Department of Taxation's updated format published with the changes of Decree
  70/2025/NĐ-CP (in force 1 June 2025). Its field table was read in a public transcription (the
  "Định dạng dữ liệu hóa đơn điện tử" tables, ``PBan`` "trong Quy định này có giá trị là 2.1.0"), whose
  rows cite Decree 70/2025 art. 1 (7) for ``CCCDan``, ``SHChieu`` and ``MDVQHNSach`` and art. 1 (13) for the
  list form of ``TTHDLQuan``; real invoices exported from the tax authority's portal carry
  ``<PBan>2.1.0</PBan>``. The official decision's number and text could not be read here: where the
  transcription and published samples are silent, the library takes the stricter reading (see
  ``docs/adapters/einvoice.md``, "Format versions").

:class:`RelatedInvoice` is the block an invoice that replaces or adjusts another carries: the other invoice's
form, symbol, number and date (``TCHDon`` 1 replaces, 2 adjusts). Both versions require it on such an
invoice, since ``TCHDon`` is the only place either version says an invoice replaces or adjusts another.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from typing import Final

import attrs

from subscription_core.errors import ValidationError, of_type, optional
from subscription_core_adapters.einvoice.fields import checked_text

__all__ = ["DEFAULT_FORMAT_VERSION", "FormatVersion", "InvoiceNature", "RelatedInvoice", "RelatedKind"]


class FormatVersion(enum.Enum):
    """``PBan``: a version of the XML format the library writes (I1).

    ``V2_1_0`` is the current one (Decree 70/2025/NĐ-CP); ``V2_0_0`` the one of Quyết định 1450/QĐ-TCT, kept
    for providers that have not moved yet.
    """

    V2_0_0 = "2.0.0"
    V2_1_0 = "2.1.0"

    @classmethod
    def of(cls, value: object) -> FormatVersion:
        """The version ``value`` names: a :class:`FormatVersion` or its text (``"2.1.0"``).

        Raises:
            ValidationError: (I1) any other value, with the versions supported.
        """
        if isinstance(value, FormatVersion):
            return value
        for version in cls:
            if value == version.value:
                return version
        supported = ", ".join(v.value for v in cls)
        raise ValidationError(
            f"is not an e-invoice format version this library writes (supported: {supported})",
            rule="I1",
            field="format_version",
            value=value if isinstance(value, str) else type(value).__name__,
        )


DEFAULT_FORMAT_VERSION: Final = FormatVersion.V2_1_0
"""The version written unless another is configured: 2.1.0, the tax authority's current format."""


class InvoiceNature(enum.Enum):
    """What an invoice is to the invoices before it: an original, or one replacing or adjusting another.

    The value is ``TCHDon`` (1: thay thế, 2: điều chỉnh); an original invoice writes no ``TCHDon``.
    """

    ORIGINAL = 0
    REPLACEMENT = 1
    ADJUSTMENT = 2


class RelatedKind(enum.Enum):
    """``LHDCLQuan``: the kind of the invoice replaced or adjusted (Phụ lục VI of the format).

    Only ``DECREE_123`` (1, an e-invoice under Decree 123/2020/NĐ-CP, which is what this library issues) is
    offered: the other codes name invoices of earlier regimes that a library started in 2025 never issued.
    """

    DECREE_123 = 1


_FORM_LIMIT: Final = 11  # KHMSHDCLQuan
_SYMBOL_LIMIT: Final = 8  # KHHDCLQuan
_NUMBER_LIMIT: Final = 8  # SHDCLQuan
_NOTE_LIMIT: Final = 255  # GChu


def _short(limit: int, field: str) -> Callable[[object, object, str], None]:
    def check(_instance: object, _attribute: object, value: str) -> None:
        text = checked_text(value, field, limit="code")
        if text != value or len(text) > limit or not text.isascii() or not text.isalnum():
            raise ValidationError(
                f"must be at most {limit} letters or digits, as the format writes it",
                rule="I1",
                field=field,
                value=value,
            )

    return check


def _note(value: object) -> str | None:
    if value is None:
        return None
    text = checked_text(value, "related.note", limit="description")
    if len(text) > _NOTE_LIMIT:
        raise ValidationError(f"must be at most {_NOTE_LIMIT} characters (GChu)", rule="I1", field="related.note")
    return text


def _nature(_instance: object, _attribute: object, value: InvoiceNature) -> None:
    if not isinstance(value, InvoiceNature) or value is InvoiceNature.ORIGINAL:
        raise ValidationError(
            "must be InvoiceNature.REPLACEMENT or ADJUSTMENT: an original invoice relates to none",
            rule="I1",
            field="related.nature",
            value=str(value),
        )


@attrs.frozen(kw_only=True)
class RelatedInvoice:
    """``TTHDLQuan``: the one invoice this invoice replaces or adjusts (I1).

    ``form`` (``KHMSHDCLQuan``, e.g. ``"1"``), ``symbol`` (``KHHDCLQuan``, e.g. ``"C26TAA"``), ``number``
    (``SHDCLQuan``, as printed: ``"00000012"``) and ``issued_on`` (``NLHDCLQuan``) name it; ``note`` is
    ``GChu``. Replacing or adjusting many invoices through a list (``SBKCLQuan``, ``NBKCLQuan``, 2.1.0 only)
    is not modelled.

    Raises:
        ValidationError: (I1) an original nature, a form, symbol or number too long or not alphanumeric, a
            date that is not a date, a note over 255 characters.
    """

    nature: InvoiceNature = attrs.field(validator=_nature)
    form: str = attrs.field(validator=_short(_FORM_LIMIT, "related.form"))
    symbol: str = attrs.field(validator=_short(_SYMBOL_LIMIT, "related.symbol"))
    number: str = attrs.field(validator=_short(_NUMBER_LIMIT, "related.number"))
    issued_on: dt.date = attrs.field(validator=of_type(dt.date))
    kind: RelatedKind = attrs.field(default=RelatedKind.DECREE_123, validator=of_type(RelatedKind))
    note: str | None = attrs.field(default=None, converter=_note, validator=optional(of_type(str)))

    def __attrs_post_init__(self) -> None:
        """Refuse a date-time where a date is meant."""
        if isinstance(self.issued_on, dt.datetime):
            raise ValidationError("must be a date, not a date-time", rule="I1", field="related.issued_on")
