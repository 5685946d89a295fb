"""Bank transfers: VietQR payloads and images, the table of banks, and the bank-transfer payment provider.

:class:`BankTransferProvider` implements the ``PaymentProvider`` port for bank transfers (Y1, Y3): its
instructions carry the vendor's account, the amount, the order's transfer reference and a VietQR
payload (:mod:`subscription_core_adapters.banking.vietqr`), which :func:`qr_svg` and :func:`qr_png` draw (the ``qr``
extra). Nothing here touches the network.
"""

from subscription_core_adapters.banking.banks import BANKS, Bank, find_bank
from subscription_core_adapters.banking.images import MissingExtraError, qr_png, qr_svg
from subscription_core_adapters.banking.transfer import DEFAULT_NAME, BankAccount, BankTransferProvider
from subscription_core_adapters.banking.vietqr import (
    NAPAS_GUID,
    ServiceCode,
    VietQR,
    account_number,
    crc16_ccitt_false,
    parse_payload,
)

__all__ = [
    "BANKS",
    "DEFAULT_NAME",
    "NAPAS_GUID",
    "Bank",
    "BankAccount",
    "BankTransferProvider",
    "MissingExtraError",
    "ServiceCode",
    "VietQR",
    "account_number",
    "crc16_ccitt_false",
    "find_bank",
    "parse_payload",
    "qr_png",
    "qr_svg",
]
