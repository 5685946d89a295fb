"""Vietnamese banks a vendor's account may be at: their NAPAS BIN, code and short name (Y3).

A VietQR names the beneficiary's bank by its 6-digit BIN (the "bank identification number" the State
Bank of Vietnam assigns, which NAPAS routes on). People name banks by their short name (Vietcombank) or
by the code banking apps and the VietQR.io bank list use (VCB; ICB for VietinBank, VBA for Agribank).

The table was checked against three public sources, which agree on every BIN below:

* the State Bank of Vietnam's list of card-issuer BINs, as republished with the VietQR specification in
  ``github.com/subiz/vietqr`` (``bank.csv``);
* the VietQR.IO bank list (``https://api.vietqr.io/v2/banks``, described at
  ``https://vietqr.io/danh-sach-api/link-tao-ma-nhanh/``: "Vietinbank có mã BIN là 970415 ... Napas quy
  ước tên viết tắt là ICB"), for the codes;
* ``github.com/xuannghia/vietnam-qr-pay`` (``src/constants/banks.ts``), for BINs and short names.

A bank missing here is given to :class:`~subscription_core_adapters.banking.transfer.BankTransferProvider` as a
:class:`Bank` of its own.

>>> find_bank("vietinbank").bin, find_bank("ICB").short_name, find_bank("970436").code
('970415', 'VietinBank', 'VCB')
"""

from __future__ import annotations

import re
from typing import Any, Final

import attrs

from subscription_core.errors import NotFoundError, ValidationError, non_empty_text

__all__ = ["BANKS", "Bank", "find_bank"]

_CODE: Final = re.compile(r"[A-Z0-9]{2,12}")
_BIN: Final = re.compile(r"[0-9]{6}")


def _code(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise ValidationError("must be 2-12 upper-case letters or digits", rule="Y3", field=attribute.name, value=value)


def _bin(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _BIN.fullmatch(value):
        raise ValidationError("must be the bank's 6-digit NAPAS BIN", rule="Y3", field=attribute.name, value=value)


def _aliases(value: object) -> tuple[str, ...]:
    if not isinstance(value, tuple | list) or not all(isinstance(a, str) and a.strip() for a in value):
        raise ValidationError("must be a sequence of non-empty texts", rule="Y3", field="aliases", value=value)
    return tuple(a.strip() for a in value)


@attrs.frozen(kw_only=True)
class Bank:
    """A bank: its code (``VCB``), short name (``Vietcombank``), 6-digit NAPAS BIN and full name.

    ``aliases`` are other names people use for it (``CTG`` for VietinBank, its stock ticker).

    Raises:
        ValidationError: (Y3) a code that is not 2-12 upper-case letters or digits, a BIN that is not 6
            digits, an empty short or full name, aliases that are not non-empty texts.
    """

    code: str = attrs.field(validator=_code)
    short_name: str = attrs.field(validator=non_empty_text(rule="Y3"))
    bin: str = attrs.field(validator=_bin)
    name: str = attrs.field(validator=non_empty_text(rule="Y3"))
    aliases: tuple[str, ...] = attrs.field(default=(), converter=_aliases)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the bank is found by: code, short name, aliases and BIN."""
        return (self.code, self.short_name, *self.aliases, self.bin)


BANKS: Final[tuple[Bank, ...]] = (
    Bank(code="VCB", short_name="Vietcombank", bin="970436", name="Ngân hàng TMCP Ngoại thương Việt Nam"),
    Bank(
        code="BIDV",
        short_name="BIDV",
        bin="970418",
        name="Ngân hàng TMCP Đầu tư và Phát triển Việt Nam",
        aliases=("BID",),
    ),
    Bank(
        code="ICB",
        short_name="VietinBank",
        bin="970415",
        name="Ngân hàng TMCP Công thương Việt Nam",
        aliases=("CTG",),
    ),
    Bank(
        code="VBA",
        short_name="Agribank",
        bin="970405",
        name="Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam",
    ),
    Bank(code="TCB", short_name="Techcombank", bin="970407", name="Ngân hàng TMCP Kỹ thương Việt Nam"),
    Bank(code="MB", short_name="MBBank", bin="970422", name="Ngân hàng TMCP Quân đội", aliases=("MBB",)),
    Bank(code="ACB", short_name="ACB", bin="970416", name="Ngân hàng TMCP Á Châu"),
    Bank(code="VPB", short_name="VPBank", bin="970432", name="Ngân hàng TMCP Việt Nam Thịnh Vượng"),
    Bank(code="TPB", short_name="TPBank", bin="970423", name="Ngân hàng TMCP Tiên Phong"),
    Bank(code="STB", short_name="Sacombank", bin="970403", name="Ngân hàng TMCP Sài Gòn Thương Tín"),
    Bank(code="HDB", short_name="HDBank", bin="970437", name="Ngân hàng TMCP Phát triển Thành phố Hồ Chí Minh"),
    Bank(code="VIB", short_name="VIB", bin="970441", name="Ngân hàng TMCP Quốc tế Việt Nam"),
    Bank(code="SHB", short_name="SHB", bin="970443", name="Ngân hàng TMCP Sài Gòn - Hà Nội"),
    Bank(code="MSB", short_name="MSB", bin="970426", name="Ngân hàng TMCP Hàng Hải Việt Nam"),
    Bank(code="OCB", short_name="OCB", bin="970448", name="Ngân hàng TMCP Phương Đông"),
    Bank(code="EIB", short_name="Eximbank", bin="970431", name="Ngân hàng TMCP Xuất Nhập khẩu Việt Nam"),
    Bank(code="SEAB", short_name="SeABank", bin="970440", name="Ngân hàng TMCP Đông Nam Á"),
)
"""The banks known by name, the ten largest by customers first."""


def find_bank(name: object, banks: tuple[Bank, ...] = BANKS) -> Bank:
    """The bank of ``banks`` whose code, short name, alias or BIN is ``name`` (case and spaces ignored).

    Raises:
        NotFoundError: (Y3) no bank has that name; the error lists the codes known.
    """
    wanted = name.strip().casefold() if isinstance(name, str) else None
    for bank in banks:
        if wanted in {known.casefold() for known in bank.names}:
            return bank
    known = ", ".join(bank.code for bank in banks)
    raise NotFoundError(
        f"is not a bank known by code, short name or BIN ({known}); pass a Bank for another",
        rule="Y3",
        field="bank",
        value=name,
    )
