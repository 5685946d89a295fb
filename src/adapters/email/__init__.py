"""E-mail notices over SMTP (N1, N2): the notifier, its settings and errors, the templates, channel routing.

``SmtpNotifier(SmtpSettings(...))`` sends the outbox's e-mail messages with :mod:`smtplib`; wrap it in a
:class:`RoutingNotifier` with an in-app notifier, for the outbox holds both channels. See
``docs/adapters/email.md``.
"""

from subscription_core_adapters.email.smtp import (
    DeliveryError,
    PermanentDeliveryError,
    RoutingNotifier,
    Security,
    SmtpNotifier,
    SmtpSettings,
    TransientDeliveryError,
    is_email_address,
    message_id_of,
    notice_id_of,
)
from subscription_core_adapters.email.templates import (
    Language,
    RenderedNotice,
    Template,
    Templates,
    default_templates,
    vietnamese_amount,
)

__all__ = [
    "DeliveryError",
    "Language",
    "PermanentDeliveryError",
    "RenderedNotice",
    "RoutingNotifier",
    "Security",
    "SmtpNotifier",
    "SmtpSettings",
    "Template",
    "Templates",
    "TransientDeliveryError",
    "default_templates",
    "is_email_address",
    "message_id_of",
    "notice_id_of",
    "vietnamese_amount",
]
