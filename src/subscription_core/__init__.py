"""subscription_core: an exact, typed subscription engine for Vietnamese SaaS vendors.

The public API is re-exported here; the modules behind it are named after the domain concepts
(``money``, ``catalog``, ``promotions``, ``pricing``, ``calendar``, ...). Hypothesis strategies for hosts'
own property tests live in :mod:`subscription_core.testing` (an optional extra, not imported here).
"""

from subscription_core.activation import activation_deadline
from subscription_core.bulk import BulkRenewal, BulkRow, validate_rows
from subscription_core.calendar import (
    VIETNAM_TZ,
    BusinessCalendar,
    end_of_local_day,
    ensure_aware,
    local_date,
    start_of_local_day,
)
from subscription_core.catalog import (
    Addon,
    AddonKind,
    Catalog,
    Cycle,
    CycleUnit,
    Plan,
    PricingOption,
    Product,
    Quota,
)
from subscription_core.catalog_files import (
    catalog_from_dict,
    catalog_from_json,
    catalog_from_toml,
    catalog_to_dict,
    load_catalog,
)
from subscription_core.commitments import commit_to_pay, extend_commitment, reject_proof, submit_proof, verify_payment
from subscription_core.contact_details import is_email_address
from subscription_core.customers import Actor, Contact, Customer, InvoiceInfo, Party, ServiceAccountant, find_customers
from subscription_core.entitlements import Commitment, CommitmentProof, Entitlement
from subscription_core.errors import (
    CatalogError,
    ConflictError,
    CurrencyMismatchError,
    InvalidTransitionError,
    NotEligibleError,
    NotFoundError,
    PermissionDeniedError,
    ReadOnlyError,
    SubscriptionError,
    ValidationError,
    masked,
)
from subscription_core.grants import AddonGrant, PlanGrant
from subscription_core.invoices import InvoiceRequest, IssuedInvoice
from subscription_core.lifecycle import (
    Notice,
    NoticeKind,
    Outcome,
    advance,
    cancel,
    mermaid_diagram,
    start_trial,
    subscribe,
    subscribe_offline,
)
from subscription_core.money import Currency, Money, allocate
from subscription_core.notices import Channel, OrderNoticeKind, OutboxMessage
from subscription_core.order_lines import Billing, OrderLine
from subscription_core.order_states import OrderState
from subscription_core.orders import Order, OrderKind
from subscription_core.payment_links import PaymentLinkSigner
from subscription_core.payments import Payment, PaymentMethod, PaymentProof, ProviderNotification, Verdict
from subscription_core.pricing import eligible_promotions, quote
from subscription_core.promotions import (
    AmountOff,
    Entry,
    PercentOff,
    Promotion,
    PurchaseKind,
    RedemptionCounts,
    Refusal,
    RefusalReason,
    Scope,
)
from subscription_core.quotes import (
    AddonSelection,
    AppliedPromotion,
    LineDiscount,
    LineKind,
    PlanSelection,
    Proration,
    Quote,
    QuoteLine,
    Selection,
    VatTotal,
)
from subscription_core.redemptions import Redemption
from subscription_core.renewals import activate, receive_payment, renew, top_up_storage
from subscription_core.resources import ResourceView, resource_view
from subscription_core.retention import Access, access, buy_retention, ensure_writable
from subscription_core.scheduling import DueRun, run_due
from subscription_core.subscriptions import ActorKind, Event, HistoryEntry, Opening, State, Subscription
from subscription_core.tax import VatKind, VatPeriod, VatRate, VatSchedule
from subscription_core.tax_codes import TaxCode, TaxCodeKind
from subscription_core.terms import (
    Term,
    TermUnit,
    add_units,
    days_in,
    expiry_instant,
    term_after,
    term_containing,
    terms_between,
)

__all__ = [
    "VIETNAM_TZ",
    "Access",
    "Actor",
    "ActorKind",
    "Addon",
    "AddonGrant",
    "AddonKind",
    "AddonSelection",
    "AmountOff",
    "AppliedPromotion",
    "Billing",
    "BulkRenewal",
    "BulkRow",
    "BusinessCalendar",
    "Catalog",
    "CatalogError",
    "Channel",
    "Commitment",
    "CommitmentProof",
    "ConflictError",
    "Contact",
    "Currency",
    "CurrencyMismatchError",
    "Customer",
    "Cycle",
    "CycleUnit",
    "DueRun",
    "Entitlement",
    "Entry",
    "Event",
    "HistoryEntry",
    "InvalidTransitionError",
    "InvoiceInfo",
    "InvoiceRequest",
    "IssuedInvoice",
    "LineDiscount",
    "LineKind",
    "Money",
    "NotEligibleError",
    "NotFoundError",
    "Notice",
    "NoticeKind",
    "Opening",
    "Order",
    "OrderKind",
    "OrderLine",
    "OrderNoticeKind",
    "OrderState",
    "OutboxMessage",
    "Outcome",
    "Party",
    "Payment",
    "PaymentLinkSigner",
    "PaymentMethod",
    "PaymentProof",
    "PercentOff",
    "PermissionDeniedError",
    "Plan",
    "PlanGrant",
    "PlanSelection",
    "PricingOption",
    "Product",
    "Promotion",
    "Proration",
    "ProviderNotification",
    "PurchaseKind",
    "Quota",
    "Quote",
    "QuoteLine",
    "ReadOnlyError",
    "Redemption",
    "RedemptionCounts",
    "Refusal",
    "RefusalReason",
    "ResourceView",
    "Scope",
    "Selection",
    "ServiceAccountant",
    "State",
    "Subscription",
    "SubscriptionError",
    "TaxCode",
    "TaxCodeKind",
    "Term",
    "TermUnit",
    "ValidationError",
    "VatKind",
    "VatPeriod",
    "VatRate",
    "VatSchedule",
    "VatTotal",
    "Verdict",
    "access",
    "activate",
    "activation_deadline",
    "add_units",
    "advance",
    "allocate",
    "buy_retention",
    "cancel",
    "catalog_from_dict",
    "catalog_from_json",
    "catalog_from_toml",
    "catalog_to_dict",
    "commit_to_pay",
    "days_in",
    "eligible_promotions",
    "end_of_local_day",
    "ensure_aware",
    "ensure_writable",
    "expiry_instant",
    "extend_commitment",
    "find_customers",
    "is_email_address",
    "load_catalog",
    "local_date",
    "masked",
    "mermaid_diagram",
    "quote",
    "receive_payment",
    "reject_proof",
    "renew",
    "resource_view",
    "run_due",
    "start_of_local_day",
    "start_trial",
    "submit_proof",
    "subscribe",
    "subscribe_offline",
    "term_after",
    "term_containing",
    "terms_between",
    "top_up_storage",
    "validate_rows",
    "verify_payment",
]
