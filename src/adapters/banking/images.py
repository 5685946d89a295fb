"""VietQR images: a payload drawn as an SVG document or a PNG picture, through segno (Y3, O5).

segno is pure Python (no Pillow) and comes with the ``qr`` extra (``pip install 'subscription-core[qr]'``);
it is imported when an image is first asked for, so the rest of the banking adapter works without it.
Only a payload whose CRC verifies is drawn: a mangled payload never reaches a customer's screen or paper.
The symbols use error-correction level M (15 %), raised by segno when it fits in the same size, and the
4-module quiet zone the QR standard asks for.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, ClassVar, Final

from subscription_core.errors import SubscriptionError, ValidationError
from subscription_core_adapters.banking.vietqr import parse_payload

if TYPE_CHECKING:
    import segno

__all__ = ["MissingExtraError", "qr_png", "qr_svg"]

_EXTRA: Final = "qr"
_QUIET_ZONE: Final = 4
_MAX_SCALE: Final = 100


class MissingExtraError(SubscriptionError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""

    code: ClassVar[str] = "missing_extra"


def _symbol(payload: str) -> segno.QRCode:
    parse_payload(payload)
    try:
        import segno  # noqa: PLC0415 - an optional extra, imported when an image is asked for
    except ImportError as exc:
        raise MissingExtraError(
            f"QR images need segno: install the '{_EXTRA}' extra (pip install 'subscription-core[{_EXTRA}]')"
        ) from exc
    return segno.make_qr(payload, error="m")


def _scale(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= _MAX_SCALE:
        raise ValidationError(f"must be a whole number from 1 to {_MAX_SCALE}", rule="Y3", field="scale", value=value)
    return value


def qr_svg(payload: str, *, scale: int = 4) -> str:
    """The VietQR ``payload`` as a standalone SVG document (XML declaration and namespace), ``scale`` units a module.

    Raises:
        ValidationError: (Y3) ``payload`` is not a VietQR whose CRC verifies (see
            :func:`~subscription_core_adapters.banking.vietqr.parse_payload`); ``scale`` is not a whole number from 1 to
            100.
        MissingExtraError: segno is not installed (the ``qr`` extra).
    """
    size = _scale(scale)
    out = io.BytesIO()
    _symbol(payload).save(out, kind="svg", scale=size, border=_QUIET_ZONE, xmldecl=True, svgns=True, title="VietQR")
    return out.getvalue().decode("utf-8")


def qr_png(payload: str, *, scale: int = 8) -> bytes:
    """The VietQR ``payload`` as a black-on-white PNG picture, ``scale`` pixels a module.

    Raises:
        ValidationError: (Y3) ``payload`` is not a VietQR whose CRC verifies; ``scale`` is not a whole
            number from 1 to 100.
        MissingExtraError: segno is not installed (the ``qr`` extra).
    """
    size = _scale(scale)
    out = io.BytesIO()
    _symbol(payload).save(out, kind="png", scale=size, border=_QUIET_ZONE)
    return out.getvalue()
