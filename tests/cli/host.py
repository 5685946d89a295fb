"""A host's wiring factory, as ``--app tests.cli.host:wiring`` loads it (from the project root) in the CLI's tests.

It wires what a host would: the catalog, a bank-transfer provider, the reference e-invoice issuer numbered in
the database, a notifier, on the database the command names (``database_settings``). The notifier appends
each delivered message id to the file ``CLI_TEST_DELIVERED`` names (flushed before it returns, so a test can
compare deliveries with the outbox), sleeps ``CLI_TEST_SEND_SECONDS`` per message (a slow mail server, to stop
a worker mid-batch), and refuses for good every recipient starting with ``bounce`` (a dead letter).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Final

from subscription_core.catalog_files import load_catalog
from subscription_core.errors import DeliveryError
from subscription_core.notices import OutboxMessage
from subscription_core.payments import MethodKind
from subscription_core_adapters.banking import BankTransferProvider
from subscription_core_adapters.bootstrap import SqlWiring, bootstrap_sql
from subscription_core_adapters.cli import database_settings
from subscription_core_adapters.einvoice import InvoiceSeries, Seller

ROOT: Final = Path(__file__).resolve().parents[2]
CATALOG: Final = ROOT / "examples" / "catalogs" / "amis_vn.toml"
DELIVERED: Final = "CLI_TEST_DELIVERED"
SEND_SECONDS: Final = "CLI_TEST_SEND_SECONDS"
SELLER: Final = Seller(
    name="Công ty Cổ phần Phần mềm AMIS", tax_code="0101243150", address="Cầu Giấy, Hà Nội", email="hoadon@amis.vn"
)
LINK_KEY: Final = b"k" * 32  # a test's key; a host's comes from its secret store


class FileNotifier:
    """Delivers by appending the message id to a file; refuses ``bounce*`` recipients for good."""

    def __init__(self, path: Path | None, seconds: float) -> None:
        self.path = path
        self.seconds = seconds

    def send(self, message: OutboxMessage) -> None:
        if message.recipient.startswith("bounce"):
            raise DeliveryError(f"message {message.id}: the mailbox does not exist", permanent=True)
        time.sleep(self.seconds)
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as file:
                file.write(f"{message.id}\n")
                file.flush()
                os.fsync(file.fileno())


def wiring() -> SqlWiring:
    """The test host's wiring on the database of ``SUBSCRIPTION_CORE_DSN`` or ``SUBSCRIPTION_CORE_DATABASE``."""
    bank = BankTransferProvider(bank="VCB", account="0011004123456", account_name="CONG TY CP PHAN MEM AMIS")
    delivered = os.environ.get(DELIVERED)
    notifier = FileNotifier(Path(delivered) if delivered else None, float(os.environ.get(SEND_SECONDS, "0")))
    return bootstrap_sql(
        load_catalog(CATALOG),
        **database_settings(),
        providers={bank.name: bank},
        routes={MethodKind.BANK_TRANSFER: bank.name},
        seller=SELLER,
        series=InvoiceSeries("C26TAA"),
        notifier=notifier,
        link_key=LINK_KEY,
    )
