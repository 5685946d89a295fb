"""subscription_core: an exact, typed subscription engine for Vietnamese SaaS vendors.

The public API is re-exported here; the modules behind it are named after the domain concepts
(``money``, ``catalog``, ``promotions``, ``pricing``, ...).
"""

from subscription_core.catalog import Addon, AddonKind, Catalog, Cycle, CycleUnit, Plan, PricingOption, Product, Quota
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
)
from subscription_core.money import Currency, Money, allocate
from subscription_core.tax import VatKind, VatPeriod, VatRate, VatSchedule

__all__ = [
    "Addon",
    "AddonKind",
    "Catalog",
    "CatalogError",
    "ConflictError",
    "Currency",
    "CurrencyMismatchError",
    "Cycle",
    "CycleUnit",
    "InvalidTransitionError",
    "Money",
    "NotEligibleError",
    "NotFoundError",
    "PermissionDeniedError",
    "Plan",
    "PricingOption",
    "Product",
    "Quota",
    "ReadOnlyError",
    "SubscriptionError",
    "ValidationError",
    "VatKind",
    "VatPeriod",
    "VatRate",
    "VatSchedule",
    "allocate",
]
