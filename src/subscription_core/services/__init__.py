"""The application services: the library's public use cases, one plain function each.

Every use case takes the dependencies (:class:`Services`, built once by a bootstrap function such as
``subscription_core_adapters.bootstrap.bootstrap_memory``), the acting party
(:class:`~subscription_core.customers.Actor`) and plain inputs; each mutating one takes an ``idempotency_key``. They
orchestrate: the rules live in the domain modules, whose errors they let through unchanged (one hierarchy,
``subscription_core.errors``). A use case that raises changes nothing: its unit of work is rolled back, outbox included.
"""

from subscription_core.services.cancelling import Cancellation, UnusedTermRefund, cancel_subscription
from subscription_core.services.commands import (
    AddonChoice,
    Checkout,
    NewPurchase,
    OrderRequest,
    Renewal,
    RetentionPackage,
    StorageTopUp,
)
from subscription_core.services.context import Services
from subscription_core.services.customers import TaxCodeCheck, check_tax_code, search_customers, update_customer
from subscription_core.services.dead_letters import dead_notices, requeue_notice
from subscription_core.services.held_back import held_back_subscriptions
from subscription_core.services.invoicing import (
    InvoicingRun,
    issue_invoices,
    issue_pending_invoices,
    retry_invoice,
    unissued_invoices,
)
from subscription_core.services.links import (
    LinkedLine,
    LinkedOrder,
    LinkedPackage,
    PaymentLink,
    PaymentLinkView,
    issue_payment_link,
    open_payment_link,
    pay_by_link,
    payment_link_view,
)
from subscription_core.services.notifications import NotificationResult, NotificationStatus, handle_notification
from subscription_core.services.ordering import cancel_order, place_order, quote_order
from subscription_core.services.paying import PaymentStarted, activate_now, record_offline_payment, start_payment
from subscription_core.services.proofs import reject_payment_proof, submit_payment_proof, verify_payment_proof
from subscription_core.services.queries import (
    OrderSummary,
    SubscriptionDetail,
    customer_orders,
    order_detail,
    subscription_details,
)
from subscription_core.services.reconciling import reconcile_statement
from subscription_core.services.refund_outcomes import confirm_bank_refunds, settle_refund
from subscription_core.services.refunds import record_bank_refund, refund_unapplied, refunds_of
from subscription_core.services.registering import (
    grant_buying_right,
    link_accountant,
    register_customer,
    register_promotion,
)
from subscription_core.services.relay import Delivery, relay_outbox
from subscription_core.services.renewal_review import ClientReview, RenewalReview, ReviewProblem, renewal_review
from subscription_core.services.renewing import (
    extend_commitment,
    place_bulk_renewal,
    quote_bulk_renewal,
    register_commitment,
    review_bulk_renewal,
)
from subscription_core.services.scheduler import SchedulerRun, run_scheduler
from subscription_core.services.selectable import SelectablePromotion, selectable_promotions
from subscription_core.services.subscription_notes import add_subscription_note
from subscription_core.services.trials import start_trial
from subscription_core.services.unapplied_money import (
    apply_unapplied_money,
    refund_unapplied_money,
    unapplied_money,
)
from subscription_core.services.visitors import quote_for_visitor

__all__ = [
    "AddonChoice",
    "Cancellation",
    "Checkout",
    "ClientReview",
    "Delivery",
    "InvoicingRun",
    "LinkedLine",
    "LinkedOrder",
    "LinkedPackage",
    "NewPurchase",
    "NotificationResult",
    "NotificationStatus",
    "OrderRequest",
    "OrderSummary",
    "PaymentLink",
    "PaymentLinkView",
    "PaymentStarted",
    "Renewal",
    "RenewalReview",
    "RetentionPackage",
    "ReviewProblem",
    "SchedulerRun",
    "SelectablePromotion",
    "Services",
    "StorageTopUp",
    "SubscriptionDetail",
    "TaxCodeCheck",
    "UnusedTermRefund",
    "activate_now",
    "add_subscription_note",
    "apply_unapplied_money",
    "cancel_order",
    "cancel_subscription",
    "check_tax_code",
    "confirm_bank_refunds",
    "customer_orders",
    "dead_notices",
    "extend_commitment",
    "grant_buying_right",
    "handle_notification",
    "held_back_subscriptions",
    "issue_invoices",
    "issue_payment_link",
    "issue_pending_invoices",
    "link_accountant",
    "open_payment_link",
    "order_detail",
    "pay_by_link",
    "payment_link_view",
    "place_bulk_renewal",
    "place_order",
    "quote_bulk_renewal",
    "quote_for_visitor",
    "quote_order",
    "reconcile_statement",
    "record_bank_refund",
    "record_offline_payment",
    "refund_unapplied",
    "refund_unapplied_money",
    "refunds_of",
    "register_commitment",
    "register_customer",
    "register_promotion",
    "reject_payment_proof",
    "relay_outbox",
    "renewal_review",
    "requeue_notice",
    "retry_invoice",
    "review_bulk_renewal",
    "run_scheduler",
    "search_customers",
    "selectable_promotions",
    "settle_refund",
    "start_payment",
    "start_trial",
    "submit_payment_proof",
    "subscription_details",
    "unapplied_money",
    "unissued_invoices",
    "update_customer",
    "verify_payment_proof",
]
