"""VietQR payloads: the text inside a Vietnamese bank-transfer QR code, built and read back (Y3, O5).

VietQR is NAPAS's profile of the EMVCo merchant-presented QR format (NAPAS QR Switching technical
specification v1.5.2, part IV). The payload is a run of data objects, each a two-digit id, a two-digit
length and the value; a template's value is itself such a run. Any Vietnamese banking app reads it and
fills in the beneficiary, the amount and the transfer content:

====  ================================================================================================
 id   content
====  ================================================================================================
 00   payload format indicator, ``01``
 01   point of initiation: ``11`` static (reusable), ``12`` dynamic (one payment, with its amount)
 38   merchant account information: ``00`` the NAPAS GUID ``A000000727``; ``01`` the beneficiary
      organisation (``00`` the bank's 6-digit BIN, ``01`` the account or card number, up to 19
      characters); ``02`` the service: ``QRIBFTTA`` transfer to an account, ``QRIBFTTC`` to a card
 53   currency, ``704`` (đồng)
 54   amount, a whole number of đồng, up to 13 characters (absent: the payer types it)
 58   country, ``VN``
 62   additional data: ``01`` bill number, ``05`` reference label, ``08`` purpose of transaction (the
      transfer content the payer's bank carries to the statement), each up to 25 characters of the
      format EMVCo calls "ans" (printable ASCII, 0x20-0x7E; EMVCo MPM specification, Additional Data
      Field Template, ids 01, 05 and 08)
 63   CRC-16/CCITT-FALSE of everything before it, ``6304`` included, as 4 hex digits
====  ================================================================================================

What this module *writes* is the safest form: the bill number, purpose and reference label are kept to
ASCII letters and digits in words separated by single spaces, as every bank passes them on unchanged
(they strip diacritics and punctuation and may trim or squeeze spaces), so what the payer's statement
shows is what the vendor looks for; the CRC is written in upper case. What it *reads* is what the
specification allows: those texts may hold any printable ASCII character (``/``, ``-``, brackets...), and
the CRC's hex digits may be lower case, as codes in use carry them (issue 15). A code read that way is
marked :attr:`VietQR.read_leniently`.

>>> qr = VietQR(bin="970436", account="0011004000000", amount=Decimal(1_100_000), purpose="SCCFY3QVT9Y97T7")
>>> text = qr.payload()
>>> text[:30], text[-31:]
('00020101021238570010A000000727', '62190815SCCFY3QVT9Y97T763044425')
>>> parse_payload(text) == qr
True
>>> crc16_ccitt_false("123456789")
'29B1'
"""

from __future__ import annotations

import binascii
import enum
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, Final

import attrs

from subscription_core.errors import ValidationError, masked

__all__ = [
    "COUNTRY",
    "CURRENCY",
    "NAPAS_GUID",
    "ServiceCode",
    "VietQR",
    "account_number",
    "crc16_ccitt_false",
    "parse_payload",
]

NAPAS_GUID: Final = "A000000727"
CURRENCY: Final = "704"  # ISO 4217 numeric code of the đồng
COUNTRY: Final = "VN"
_FORMAT: Final = "01"
_STATIC: Final = "11"
_DYNAMIC: Final = "12"
_CRC_TAG: Final = "6304"
_MAX_AMOUNT_CHARS: Final = 13
_MAX_ACCOUNT_CHARS: Final = 19
_MAX_TEXT_CHARS: Final = 25
_MAX_PAYLOAD_CHARS: Final = 512  # a QR code holds ~4,000 characters; a VietQR is under 200
_BIN: Final = re.compile(r"[0-9]{6}")
_ACCOUNT: Final = re.compile(r"[0-9A-Za-z]+")
_CARD: Final = re.compile(r"[0-9]+")
_TEXT: Final = re.compile(r"[0-9A-Za-z]+(?: [0-9A-Za-z]+)*")
_CRC: Final = re.compile(r"[0-9A-Fa-f]{4}")  # upper case written, either case read
_ANS_TEXT: Final = re.compile(r"[\x20-\x7e]{1,25}")  # EMVCo "ans": ASCII 32-126
_PRINTABLE: Final = re.compile(r"[\x20-\x7e]*")
_DIGITS: Final = re.compile(r"[0-9]+")
_AMOUNT: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_RULE: Final = "Y3"
_HEAD: Final = 4  # a data object's 2-digit id and 2-digit length


def crc16_ccitt_false(text: str) -> str:
    """The CRC-16/CCITT-FALSE of ``text``'s ASCII bytes as 4 upper-case hex digits (``"123456789"`` → ``29B1``).

    Polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR: what EMVCo QR codes carry.

    Raises:
        ValidationError: ``text`` is not a text of ASCII characters.
    """
    if not isinstance(text, str) or not text.isascii():  # a payload holds an account number: not shown
        shown = f"{len(text)} characters" if isinstance(text, str) else type(text).__name__
        raise ValidationError("must be ASCII text", rule=_RULE, field="payload", value=shown)
    # binascii.crc_hqx is the non-reflected CRC-CCITT (poly 0x1021) with the initial value given.
    return f"{binascii.crc_hqx(text.encode('ascii'), 0xFFFF):04X}"


class ServiceCode(enum.Enum):
    """The NAPAS 24/7 service a VietQR asks for: a transfer to an account or to a card."""

    ACCOUNT = "QRIBFTTA"
    CARD = "QRIBFTTC"


def _bin(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _BIN.fullmatch(value):
        raise ValidationError("must be the bank's 6-digit NAPAS BIN", rule=_RULE, field=attribute.name, value=value)


def account_number(value: object, *, service: ServiceCode = ServiceCode.ACCOUNT, field: str = "account") -> str:
    """``value`` if it can be a VietQR's account number (or card number, for ``ServiceCode.CARD``).

    Raises:
        ValidationError: (Y3, naming ``field``) not 1-19 ASCII letters and digits (digits for a card); the
            value is masked (``00*******0000``).
    """
    pattern, what = (_CARD, "digits") if service is ServiceCode.CARD else (_ACCOUNT, "ASCII letters and digits")
    if not isinstance(value, str) or not pattern.fullmatch(value) or len(value) > _MAX_ACCOUNT_CHARS:
        raise ValidationError(
            f"must be 1-{_MAX_ACCOUNT_CHARS} {what}", rule=_RULE, field=field, value=masked(value, "account")
        )
    return value


def _account(instance: VietQR, attribute: attrs.Attribute[Any], value: object) -> None:
    account_number(value, service=instance.service, field=attribute.name)


def _amount(value: object) -> Decimal | None:
    """The amount as a whole number of đồng, or ``None``; floats and booleans are refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValidationError("must be a Decimal or int number of đồng", rule=_RULE, field="amount", value=value)
    amount = Decimal(value)
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise ValidationError("must be a whole number of đồng", rule=_RULE, field="amount", value=value)
    if amount <= 0 or amount.adjusted() >= _MAX_AMOUNT_CHARS:  # digits counted without printing 1e999999
        raise ValidationError(
            f"must be more than 0 and at most {_MAX_AMOUNT_CHARS} digits", rule=_RULE, field="amount", value=value
        )
    return Decimal(int(amount))


def _text(instance: VietQR, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if instance.read_leniently:
        if not isinstance(value, str) or not _ANS_TEXT.fullmatch(value):
            raise ValidationError(
                f"must be 1-{_MAX_TEXT_CHARS} printable ASCII characters", rule=_RULE, field=attribute.name, value=value
            )
        return
    if not isinstance(value, str) or not _TEXT.fullmatch(value) or len(value) > _MAX_TEXT_CHARS:
        raise ValidationError(
            f"must be 1-{_MAX_TEXT_CHARS} ASCII letters and digits, words separated by single spaces",
            rule=_RULE,
            field=attribute.name,
            value=value,
        )


def _instance_of(kind: type) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind):
            raise ValidationError(f"must be a {kind.__name__}", rule=_RULE, field=attribute.name, value=value)

    return check


def _dynamic_default(qr: VietQR) -> bool:
    return qr.amount is not None


def _field(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


@attrs.frozen(kw_only=True)
class VietQR:
    """The fields of a VietQR bank-transfer code, validated on construction (Y3).

    ``amount`` is a whole number of đồng (``None``: the payer types it); ``dynamic`` defaults to whether
    there is an amount (point of initiation ``12``, else ``11``). ``purpose`` is the transfer content
    (sub-tag 08); ``reference_label`` an optional reference (sub-tag 05) and ``bill_number`` the bill or
    invoice number (sub-tag 01), which banks show but do not carry to the statement.

    ``read_leniently`` is set by :func:`parse_payload` only: the texts of a code read may hold any printable
    ASCII character the specification allows. It takes no part in equality. Leave it ``False`` to build a
    code: what the library writes keeps to the strict form.

    Raises:
        ValidationError: (Y3, with the field and value) a BIN that is not 6 digits; an account that is not
            1-19 ASCII letters and digits (digits only for a card); an amount that is a float, not a whole
            number of đồng, not above 0 or longer than 13 digits; a purpose, reference label or bill number
            longer than 25 characters or with characters other than ASCII letters, digits and single inner
            spaces (other than printable ASCII, when ``read_leniently``).
    """

    bin: str = attrs.field(validator=_bin)
    service: ServiceCode = attrs.field(default=ServiceCode.ACCOUNT, validator=_instance_of(ServiceCode))
    account: str = attrs.field(validator=_account)
    amount: Decimal | None = attrs.field(default=None, converter=_amount)
    purpose: str | None = attrs.field(default=None, validator=_text)
    reference_label: str | None = attrs.field(default=None, validator=_text)
    bill_number: str | None = attrs.field(default=None, validator=_text)
    dynamic: bool = attrs.field(default=attrs.Factory(_dynamic_default, takes_self=True), validator=_instance_of(bool))
    read_leniently: bool = attrs.field(default=False, eq=False, repr=False, validator=_instance_of(bool))

    def payload(self) -> str:
        """The payload text, CRC included: ASCII, the data objects in ascending id order."""
        beneficiary = _field("00", self.bin) + _field("01", self.account)
        merchant = _field("00", NAPAS_GUID) + _field("01", beneficiary) + _field("02", self.service.value)
        parts = [
            _field("00", _FORMAT),
            _field("01", _DYNAMIC if self.dynamic else _STATIC),
            _field("38", merchant),
            _field("53", CURRENCY),
        ]
        if self.amount is not None:
            parts.append(_field("54", str(int(self.amount))))
        parts.append(_field("58", COUNTRY))
        extra = "".join(
            _field(tag, text)
            for tag, text in (("01", self.bill_number), ("05", self.reference_label), ("08", self.purpose))
            if text is not None
        )
        if extra:
            parts.append(_field("62", extra))
        body = "".join(parts) + _CRC_TAG
        return body + crc16_ccitt_false(body)


def _refuse(message: str, value: object, field: str = "payload") -> ValidationError:
    return ValidationError(message, rule=_RULE, field=field, value=value)


def _objects(text: str, where: str) -> Iterator[tuple[str, str]]:
    """The (id, value) data objects of ``text``, in order; ``where`` names the template for errors."""
    at = 0
    while at < len(text):
        head = text[at : at + _HEAD]
        if len(head) < _HEAD or not _DIGITS.fullmatch(head):
            raise _refuse(f"{where}: a data object must start with a 2-digit id and a 2-digit length", head)
        end = at + _HEAD + int(head[2:])
        if end > len(text):
            raise _refuse(f"{where}: data object {head[:2]} runs past the end", head)
        yield head[:2], text[at + _HEAD : end]
        at = end


def _template(text: str, where: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag, value in _objects(text, where):
        if tag in found:
            raise _refuse(f"{where}: data object {tag} appears twice", tag)
        found[tag] = value
    return found


def _require(objects: dict[str, str], tag: str, where: str, expected: str | None = None) -> str:
    value = objects.get(tag)
    if value is None:
        raise _refuse(f"{where}: data object {tag} is missing", tag)
    if expected is not None and value != expected:
        raise _refuse(f"{where}: data object {tag} must be {expected!r}", value)
    return value


def _checked(payload: object) -> str:
    """The payload without its CRC object, once its characters and its CRC are checked."""
    if not isinstance(payload, str) or len(payload) > _MAX_PAYLOAD_CHARS:
        shown = f"{len(payload)} characters" if isinstance(payload, str) else type(payload).__name__
        raise _refuse(f"must be a text of at most {_MAX_PAYLOAD_CHARS} characters", shown)
    if not _PRINTABLE.fullmatch(payload):  # its length only: a payload holds an account number
        raise _refuse("must be printable ASCII text", f"{len(payload)} characters")
    body, crc = payload[:-4], payload[-4:]
    if not body.endswith(_CRC_TAG) or not _CRC.fullmatch(crc):
        raise _refuse("must end with the CRC object 6304 and 4 hex digits", payload[-8:], "crc")
    if crc16_ccitt_false(body) != crc.upper():
        raise _refuse("the CRC does not match the payload: it was changed or mistyped", crc, "crc")
    return body[: -len(_CRC_TAG)]


def parse_payload(payload: object) -> VietQR:
    """Read a VietQR payload back into its fields, once its CRC is verified (Y3).

    Data objects this module does not build (merchant name, category, city, other sub-tags of 62,
    unreserved templates) are read past and not kept. Fields are validated as :class:`VietQR` does, except
    that the bill number, reference label and purpose may hold any printable ASCII character, up to 25, and
    the CRC may be written in lower case, as the specification allows (the result is marked
    ``read_leniently``).

    Raises:
        ValidationError: (Y3) not printable ASCII, a missing or wrong CRC (field ``crc``), a malformed or
            repeated data object, a mandatory one missing, another GUID, currency or country, an unknown
            point of initiation or service; a field :class:`VietQR` refuses (with its name).
    """
    root = _template(_checked(payload), "payload")
    if "63" in root:
        raise _refuse("payload: the CRC object must come last, once", "63")
    _require(root, "00", "payload", _FORMAT)
    initiation = _require(root, "01", "payload")
    if initiation not in (_STATIC, _DYNAMIC):
        raise _refuse("payload: the point of initiation must be 11 (static) or 12 (dynamic)", initiation)
    merchant = _template(_require(root, "38", "payload"), "38")
    _require(merchant, "00", "38", NAPAS_GUID)
    beneficiary = _template(_require(merchant, "01", "38"), "38.01")
    service = _require(merchant, "02", "38")
    if service not in {code.value for code in ServiceCode}:
        raise _refuse("38: the service must be QRIBFTTA or QRIBFTTC", service, "service")
    _require(root, "53", "payload", CURRENCY)
    _require(root, "58", "payload", COUNTRY)
    extra = _template(root.get("62", ""), "62")
    return VietQR(
        bin=_require(beneficiary, "00", "38.01"),
        account=_require(beneficiary, "01", "38.01"),
        service=ServiceCode(service),
        amount=_read_amount(root.get("54")),
        purpose=extra.get("08"),
        reference_label=extra.get("05"),
        bill_number=extra.get("01"),
        dynamic=initiation == _DYNAMIC,
        read_leniently=True,
    )


def _read_amount(text: str | None) -> Decimal | None:
    if text is None:
        return None
    if not _AMOUNT.fullmatch(text):
        raise _refuse("must be a decimal number", text, "amount")
    return Decimal(text)
