"""The banking adapters' entries (merged into ``registry.PAYMENT_PROVIDERS`` by conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

from subscription_core.payments import MethodKind
from subscription_core.transfers import transfer_reference
from subscription_core_adapters.banking import BankTransferProvider

from .registry import ProviderHarness


def bank_transfer() -> ProviderHarness:
    """Transfers to a Vietcombank account: no notifications (money is found on statements), no secret."""
    provider = BankTransferProvider(bank="VCB", account="0011004000000", account_name="CONG TY CO PHAN PHAN MEM")
    return ProviderHarness(
        provider=provider,
        notify=None,
        secret=b"",
        signature_field="",
        methods=frozenset({MethodKind.BANK_TRANSFER}),
        transfer_content=transfer_reference,
    )


PAYMENT_PROVIDERS: dict[str, Callable[[], ProviderHarness]] = {"bank_transfer": bank_transfer}
