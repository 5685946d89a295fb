"""The reference host's wiring: everything a new host copies to sell, take VNPay and VietQR, and run the worker.

:func:`wiring_from_env` reads the settings from environment variables (listed in ``README.md`` beside this
file) and returns the one :class:`~subscription_core_adapters.bootstrap.SqlWiring` handle: the services on
PostgreSQL or SQLite, the real VNPay provider and its refunds, bank transfers with VietQR, e-invoices numbered
in the same database, and e-mail over SMTP (or, without ``SMTP_HOST``, a notifier that only records, for development).
It takes no argument, so the worker runs it as it is:
``subscription-core worker --app examples.host.wiring:wiring_from_env``. Nothing here runs at import time.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from subscription_core import load_catalog
from subscription_core.errors import ValidationError
from subscription_core.notices import Channel
from subscription_core.payments import MethodKind
from subscription_core.ports import Notifier
from subscription_core_adapters.banking import BankTransferProvider
from subscription_core_adapters.bootstrap import SqlWiring, bootstrap_sql
from subscription_core_adapters.einvoice import InvoiceSeries, Seller
from subscription_core_adapters.email import RoutingNotifier, Security, SmtpNotifier, SmtpSettings
from subscription_core_adapters.fakes import RecordingNotifier
from subscription_core_adapters.gateways import (
    VnpayApiClient,
    VnpayApiConfig,
    VnpayConfig,
    VnpayPaymentStatusQuery,
    VnpayProvider,
    VnpayRefundGateway,
)
from subscription_core_adapters.gateways.vnpay_api import SANDBOX_API_URL

__all__ = ["wiring_from_env"]

CATALOG = Path(__file__).resolve().parent.parent / "catalogs" / "amis_vn.toml"
_log = logging.getLogger("examples.host")


def _env(name: str, default: str | None = None) -> str:
    """The variable ``name``, or ``default``; refused when neither is set (a secret is never shown)."""
    value = os.environ.get(name, "").strip() or default
    if value is None:
        raise ValidationError("is not set: see examples/host/README.md", field=name)
    return value


def _notifier() -> Notifier:
    """E-mail over SMTP when ``SMTP_HOST`` is set; in-app notices go to the host's own bell (a stand-in here)."""
    bell = RecordingNotifier()  # replace with the host's in-app notifier (its bell and banner)
    if not os.environ.get("SMTP_HOST"):
        _log.warning("SMTP_HOST is not set: notices are only recorded in memory, never sent (development only)")
        return bell
    user = os.environ.get("SMTP_USERNAME") or None
    try:
        port, security = int(_env("SMTP_PORT", "587")), Security(_env("SMTP_SECURITY", "starttls"))
    except ValueError:
        raise ValidationError("SMTP_PORT must be a number, SMTP_SECURITY none, starttls or ssl", field="SMTP") from None
    settings = SmtpSettings(
        host=_env("SMTP_HOST"),
        port=port,
        security=security,
        sender=_env("SMTP_SENDER"),
        message_id_domain=_env("SMTP_MESSAGE_ID_DOMAIN"),
        username=user,
        password=_env("SMTP_PASSWORD") if user else None,
    )
    return RoutingNotifier({Channel.EMAIL: SmtpNotifier(settings), Channel.IN_APP: bell})


def wiring_from_env() -> SqlWiring:
    """Wire the services from the environment, migrating the database; call once per process, keep the handle.

    Raises:
        ValidationError: a required variable is unset, or a setting is refused by the adapter it configures
            (the message names the setting, never a secret).
        SubscriptionError: the catalog cannot be read, or the database cannot be reached or migrated.
    """
    terminal = VnpayConfig(
        tmn_code=_env("VNPAY_TMN_CODE"),
        hash_secret=_env("VNPAY_HASH_SECRET"),
        return_url=_env("VNPAY_RETURN_URL"),
        payment_url=_env("VNPAY_PAYMENT_URL", "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"),
        ip_address=_env("VNPAY_IP_ADDRESS", "127.0.0.1"),  # sent as vnp_IpAddr: the port has no buyer's IP
    )
    vnpay = VnpayProvider(terminal)
    # Refunds (Y8) and payment queries (the scheduler's check of lost IPNs) on VNPay's merchant API.
    api = VnpayApiClient(VnpayApiConfig.of_terminal(terminal, api_url=_env("VNPAY_API_URL", SANDBOX_API_URL)))
    bank = BankTransferProvider(
        bank=_env("SHOP_BANK"), account=_env("SHOP_BANK_ACCOUNT"), account_name=_env("SHOP_BANK_ACCOUNT_NAME")
    )
    seller = Seller(
        name=_env("SELLER_NAME"),
        tax_code=_env("SELLER_TAX_CODE"),
        address=_env("SELLER_ADDRESS"),
        email=_env("SELLER_EMAIL"),
    )
    try:
        link_key = bytes.fromhex(_env("SHOP_LINK_KEY"))
    except ValueError:
        raise ValidationError("must be hex (64 digits or more)", field="SHOP_LINK_KEY") from None
    url = _env("SHOP_DATABASE", "shop.sqlite3")  # a postgresql:// DSN, or a SQLite file's path
    on_pg = url.startswith(("postgresql:", "postgres:"))
    return bootstrap_sql(
        load_catalog(_env("SHOP_CATALOG", str(CATALOG))),
        dsn=url if on_pg else None,
        schema=(os.environ.get("SHOP_DB_SCHEMA") or None) if on_pg else None,  # default: subscription_core
        database=None if on_pg else url,
        providers={vnpay.name: vnpay, bank.name: bank},
        routes={
            MethodKind.DOMESTIC_CARD: vnpay.name,
            MethodKind.INTERNATIONAL_CARD: vnpay.name,
            MethodKind.BANK_TRANSFER: bank.name,
        },
        seller=seller,
        series=InvoiceSeries(_env("INVOICE_SERIES")),
        notifier=_notifier(),
        link_key=link_key,
        refund_gateways={vnpay.name: VnpayRefundGateway(api)},
        status_queries={vnpay.name: VnpayPaymentStatusQuery(api, expire_after=terminal.expire_after)},
    )
