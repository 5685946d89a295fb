"""The e-mail templates of the notices (N1): a subject, a text body and an HTML body per kind and language.

Templates are :class:`string.Template` sources (``$order_id``, ``${total}``) filled from an outbox
message's ``data`` and its ``subject_id``. Each value is shown as a reader in Vietnam expects it: amounts
as ``1.200.000 đ``, dates as ``30/04/2027``, instants as ``23:59 30/04/2027`` in Asia/Ho_Chi_Minh, payment
methods and order kinds by their names; in the HTML body every value is escaped. A placeholder with no
value shows as empty, and a line of the text or HTML body whose every placeholder is empty is left out,
so one template serves an order placed with and without payment instructions. Keys a template does not
name are ignored.

:func:`default_templates` has one template per kind of :func:`~subscription_core.notices.notice_kinds`
in Vietnamese (the default) and English; :meth:`Templates.replace` swaps one for a host's own.
"""

from __future__ import annotations

import datetime as dt
import enum
import html
import re
import string
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Final

import attrs

from subscription_core.calendar import VIETNAM_TZ
from subscription_core.errors import NotFoundError, ValidationError
from subscription_core.notices import OutboxMessage, notice_kinds

__all__ = ["Language", "RenderedNotice", "Template", "Templates", "default_templates", "vietnamese_amount"]


class Language(enum.Enum):
    """The language of an e-mail; Vietnamese is the default everywhere."""

    VI = "vi"
    EN = "en"


def vietnamese_amount(amount: Decimal, currency: str = "VND") -> str:
    """Show ``amount`` as in Vietnam: ``1.200.000 đ``; other currencies keep their code (``1.234,50 USD``).

    Raises:
        ValidationError: ``amount`` is not a finite ``Decimal``.
    """
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationError("must be a finite Decimal", field="amount", value=amount)
    if currency == "VND" and amount == amount.to_integral_value():
        amount = amount.to_integral_value()  # whole đồng: no ",00"
    digits = format(amount, ",f").translate(str.maketrans(",.", ".,"))
    return f"{digits} {'đ' if currency == 'VND' else currency}"


def _source(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise ValidationError("must be text", rule="N1", field=attribute.name, value=type(value).__name__)
    if not string.Template(value).is_valid():
        raise ValidationError(
            "has a '$' that names no placeholder (write '$$' for a dollar sign)", field=attribute.name
        )
    if attribute.name == "subject" and ("\n" in value or "\r" in value or not value.strip()):
        raise ValidationError("must be one non-empty line", rule="N1", field="subject")


@attrs.frozen(kw_only=True)
class Template:
    """The sources of one notice's e-mail: ``subject`` (one line), ``text`` and ``html`` bodies.

    Raises:
        ValidationError: a source is not text or has a stray ``$``; a subject that is blank or several lines.
    """

    subject: str = attrs.field(validator=_source)
    text: str = attrs.field(validator=_source)
    html: str = attrs.field(validator=_source)

    @classmethod
    def of_text(cls, *, subject: str, text: str, language: Language = Language.VI) -> Template:
        """A template whose HTML body is its text body, a paragraph per line (the literal text escaped).

        Raises:
            ValidationError: as the constructor.
        """
        if not isinstance(text, str):
            raise ValidationError("must be text", field="text", value=type(text).__name__)
        paragraphs = (f"<p>{html.escape(line, quote=False)}</p>" for line in text.splitlines() if line.strip())
        lang = language.value if isinstance(language, Language) else Language.VI.value
        page = "\n".join(
            [f'<!DOCTYPE html>\n<html lang="{lang}">\n<head><meta charset="utf-8"></head>\n<body>', *paragraphs]
        )
        return cls(subject=subject, text=text, html=f"{page}\n</body>\n</html>\n")


@attrs.frozen(kw_only=True)
class RenderedNotice:
    """A notice's e-mail ready to send: its subject (one line), text body and HTML body."""

    subject: str
    text: str
    html: str


# Values: what a reader sees instead of the stored text. Money as core's Money renders it, "1,200,000 VND".
_MONEY: Final = re.compile(r"^(-?\d{1,3}(?:,\d{3})*(?:\.\d+)?) ([A-Z]{3})$")
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_LABELS: Final[Mapping[Language, Mapping[str, str]]] = {
    Language.VI: {
        "bank_transfer": "Chuyển khoản ngân hàng",
        "cash": "Tiền mặt",
        "domestic_card": "Thẻ nội địa (Internet Banking)",
        "e_wallet": "Ví điện tử",
        "international_card": "Thẻ quốc tế",
        "new_purchase": "Mua mới",
        "renewal": "Gia hạn",
        "renewal_with_plan_switch": "Gia hạn và đổi gói",
        "storage_top_up": "Mua thêm dung lượng",
        "data_retention": "Lưu trữ dữ liệu",
        "renewal_on_commitment": "Gia hạn theo cam kết",
        "bulk_renewal": "Gia hạn hàng loạt",
        "application data": "dữ liệu phần mềm",
        "payment proof": "chứng từ thanh toán",
    },
    Language.EN: {
        "bank_transfer": "Bank transfer",
        "cash": "Cash",
        "domestic_card": "Domestic card (internet banking)",
        "e_wallet": "E-wallet",
        "international_card": "International card",
        "new_purchase": "New purchase",
        "renewal": "Renewal",
        "renewal_with_plan_switch": "Renewal with a plan change",
        "storage_top_up": "Extra storage",
        "data_retention": "Data retention",
        "renewal_on_commitment": "Renewal on a commitment to pay",
        "bulk_renewal": "Bulk renewal",
    },
}
_LABELLED: Final = frozenset({"method", "kind", "erased"})
_MAX_DIGITS: Final = 30  # beyond 10**30 a number is no amount of money


def _clean(value: str) -> str:
    # Lone surrogates cannot be encoded, and control characters do not belong in a mail; tabs and line breaks do.
    text = value.encode("utf-8", "replace").decode("utf-8")
    return "".join(c if c in "\n\t" or unicodedata.category(c) != "Cc" else " " for c in text)


def _amount(text: str, currency: str) -> str | None:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite() or abs(amount.adjusted()) > _MAX_DIGITS:
        return None  # not money: shown as it came
    return vietnamese_amount(amount) if currency == "VND" else vietnamese_amount(amount, currency)


def _shown(key: str, value: str, data: Mapping[str, str], language: Language) -> str:
    """The text a reader sees for ``value``: amounts, dates, instants and labels formatted, anything else as is."""
    shown: str | None = None
    if key == "amount":
        shown = _amount(value, data.get("currency", "VND"))
    elif money := _MONEY.match(value):
        shown = _amount(money.group(1).replace(",", ""), money.group(2))
    elif _DATE.match(value):
        shown = _date(value)
    elif _INSTANT.match(value):
        shown = _instant(value)
    elif key in _LABELLED:
        labels = _LABELS[language]
        shown = ", ".join(labels.get(part, part) for part in value.split(", "))
    return value if shown is None else shown


def _date(value: str) -> str | None:
    try:
        return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
    except ValueError:
        return None


def _instant(value: str) -> str | None:
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if instant.tzinfo is None or instant.utcoffset() is None:
        return None
    return instant.astimezone(VIETNAM_TZ).strftime("%H:%M %d/%m/%Y")


class _Values(dict[str, str]):
    """Placeholder values; a missing one shows as empty rather than failing."""

    def __missing__(self, key: str) -> str:
        return ""


def _fill(source: str, values: _Values, *, drop_empty_lines: bool) -> str:
    if not drop_empty_lines:
        return string.Template(source).substitute(values)
    lines = []
    for line in source.splitlines(keepends=True):
        template = string.Template(line)
        names = template.get_identifiers()
        if names and not any(values[name] for name in names):
            continue
        lines.append(template.substitute(values))
    return "".join(lines)


class Templates:
    """One :class:`Template` per notice kind and :class:`Language`; immutable (:meth:`replace` makes a copy)."""

    def __init__(self, table: Mapping[tuple[str, Language], Template]) -> None:
        """Hold ``table``; use :func:`default_templates` rather than building one from nothing.

        Raises:
            ValidationError: (N1) a key that is not a (notice kind, Language) pair, or a value not a Template.
        """
        kinds = notice_kinds()
        for key, template in table.items():
            kind, language = key if isinstance(key, tuple) and len(key) == 2 else (None, None)  # noqa: PLR2004
            if kind not in kinds or not isinstance(language, Language):
                raise ValidationError("must be a (notice kind, Language) pair", rule="N1", field="templates", value=key)
            if not isinstance(template, Template):
                raise ValidationError("must be a Template", rule="N1", field=f"templates[{kind}]", value=template)
        self._table = dict(table)

    def __repr__(self) -> str:
        """Show how many templates there are, not their text."""
        return f"Templates({len(self._table)} templates)"

    def template(self, kind: str, language: Language = Language.VI) -> Template:
        """The template of ``kind`` in ``language``.

        Raises:
            NotFoundError: (N1) no template for that kind and language.
        """
        try:
            return self._table[(kind, language)]
        except (KeyError, TypeError):
            raise NotFoundError(
                "no e-mail template for this notice kind", rule="N1", field="kind", value=kind
            ) from None

    def replace(self, kind: str, language: Language, template: Template) -> Templates:
        """A copy with ``template`` for ``kind`` in ``language``, every other template kept.

        Raises:
            ValidationError: (N1) not a notice kind, a language or a Template.
        """
        return Templates({**self._table, (kind, language): template})

    def render(self, message: OutboxMessage, language: Language = Language.VI) -> RenderedNotice:
        """Fill the template of the message's kind in ``language`` with its ``data`` and ``subject_id``.

        Raises:
            NotFoundError: (N1) no template for the kind and language.
            ValidationError: ``message`` is not an ``OutboxMessage``.
        """
        if not isinstance(message, OutboxMessage):
            raise ValidationError("must be an OutboxMessage", rule="N1", field="message", value=type(message).__name__)
        template = self.template(message.kind, language)
        data = {key: _clean(value) for key, value in message.data}
        data["subject_id"] = _clean(message.subject_id)
        shown = {key: _shown(key, value, data, language) for key, value in data.items()}
        one_line = _Values({key: " ".join(value.split()) for key, value in shown.items()})
        escaped = _Values({key: html.escape(value, quote=True) for key, value in shown.items()})
        return RenderedNotice(
            subject=" ".join(_fill(template.subject, one_line, drop_empty_lines=False).split()),
            text=_fill(template.text, _Values(shown), drop_empty_lines=True),
            html=_fill(template.html, escaped, drop_empty_lines=True),
        )


# The wording. Subscription notices name the subscription by ``$subject_id``; order notices carry
# ``order_id``, ``total`` and ``state``, and the facts listed in docs/adapters/email.md.
_FRAMES: Final[Mapping[Language, tuple[str, str]]] = {
    Language.VI: ("Kính gửi Quý khách,", "Đây là thư tự động, Quý khách vui lòng không trả lời thư này."),
    Language.EN: ("Dear customer,", "This is an automated message; please do not reply to it."),
}
_TERM_VI: Final = ("Gói dịch vụ: $plan", "Thời hạn sử dụng: từ $term_start đến $term_end")
_TERM_EN: Final = ("Plan: $plan", "Term: from $term_start to $term_end")
_WORDING: Final[Mapping[Language, Mapping[str, tuple[str, tuple[str, ...]]]]] = {
    Language.VI: {
        "order_placed": (
            "Đơn hàng $order_id đã được ghi nhận",
            (
                "Đơn hàng $order_id của Quý khách đã được ghi nhận.",
                "Loại đơn hàng: $kind",
                "Tổng tiền thanh toán: $total",
                "Hạn thanh toán: $pay_by",
                "Hình thức thanh toán: $method",
                "Ngân hàng: $bank",
                "Số tài khoản: $account",
                "Chủ tài khoản: $account_name",
                "Số tiền: $amount",
                "Nội dung chuyển khoản: $transfer_content",
            ),
        ),
        "order_paid": (
            "Đơn hàng $order_id đã được thanh toán",
            (
                "Chúng tôi đã nhận được khoản thanh toán $total cho đơn hàng $order_id.",
                "Mã giao dịch: $payment_id",
            ),
        ),
        "order_cancelled": (
            "Đơn hàng $order_id đã bị hủy",
            (
                "Đơn hàng $order_id đã bị hủy.",
                "Lý do: $reason",
            ),
        ),
        "order_lapsed": (
            "Đơn hàng $order_id đã quá hạn thanh toán",
            (
                "Đơn hàng $order_id (tổng tiền $total) đã quá hạn thanh toán và không còn hiệu lực.",
                "Nếu vẫn có nhu cầu, Quý khách vui lòng đặt hàng lại.",
            ),
        ),
        "invoice_issued": (
            "Hóa đơn điện tử của đơn hàng $order_id",
            (
                "Hóa đơn điện tử của đơn hàng $order_id đã được phát hành.",
                "Ký hiệu: $series",
                "Số hóa đơn: $number",
            ),
        ),
        "bulk_renewed": (
            "Đã gia hạn cho $clients khách hàng (đơn hàng $order_id)",
            ("Đơn hàng gia hạn hàng loạt $order_id đã được thanh toán: $clients khách hàng đã được gia hạn.",),
        ),
        "trial_started": ("Thuê bao $subject_id: bắt đầu dùng thử", ("Thuê bao $subject_id đã bắt đầu dùng thử.",)),
        "payment_received": (
            "Thuê bao $subject_id: đã nhận thanh toán",
            (
                "Chúng tôi đã nhận được khoản thanh toán cho thuê bao $subject_id lúc $received_at.",
                "Thuê bao sẽ được kích hoạt chậm nhất lúc $activate_by.",
            ),
        ),
        "activated": (
            "Thuê bao $subject_id đã được kích hoạt",
            (
                "Thuê bao $subject_id đã được kích hoạt.",
                *_TERM_VI,
            ),
        ),
        "extended": (
            "Thuê bao $subject_id đã được gia hạn",
            (
                "Thuê bao $subject_id đã được gia hạn.",
                *_TERM_VI,
            ),
        ),
        "storage_added": (
            "Thuê bao $subject_id: đã thêm dung lượng",
            (
                "Thuê bao $subject_id đã được thêm dung lượng lưu trữ.",
                "Dung lượng thêm: $storage GB",
            ),
        ),
        "expiring_soon": (
            "Thuê bao $subject_id sắp hết hạn",
            (
                "Thuê bao $subject_id sẽ hết hạn lúc $deadline (còn $days_left ngày).",
                "Quý khách vui lòng gia hạn để không bị gián đoạn.",
            ),
        ),
        "expired": (
            "Thuê bao $subject_id đã hết hạn",
            (
                "Thuê bao $subject_id đã hết hạn.",
                "Dữ liệu sẽ bị xóa vào ngày $purge_on nếu Quý khách không gia hạn hoặc mua gói lưu trữ dữ liệu.",
            ),
        ),
        "retention_bought": (
            "Thuê bao $subject_id: đã mua gói lưu trữ dữ liệu",
            ("Dữ liệu của thuê bao $subject_id được lưu trữ từ $retention_start đến $retention_end.",),
        ),
        "retention_ending": (
            "Thuê bao $subject_id: gói lưu trữ dữ liệu sắp kết thúc",
            ("Gói lưu trữ dữ liệu của thuê bao $subject_id kết thúc lúc $deadline (còn $days_left ngày).",),
        ),
        "retention_ended": (
            "Thuê bao $subject_id: gói lưu trữ dữ liệu đã kết thúc",
            (
                "Gói lưu trữ dữ liệu của thuê bao $subject_id đã kết thúc.",
                "Dữ liệu sẽ bị xóa vào ngày $purge_on.",
            ),
        ),
        "purged": (
            "Thuê bao $subject_id: dữ liệu đã bị xóa",
            (
                "Dữ liệu của thuê bao $subject_id đã bị xóa.",
                "Đã xóa: $erased",
            ),
        ),
        "commitment_registered": (
            "Thuê bao $subject_id: đã ghi nhận cam kết thanh toán",
            (
                "Cam kết thanh toán cho thuê bao $subject_id đã được ghi nhận.",
                "Hạn thanh toán: $due_on",
                *_TERM_VI,
            ),
        ),
        "commitment_due": (
            "Thuê bao $subject_id: sắp đến hạn thanh toán theo cam kết",
            ("Hạn thanh toán theo cam kết của thuê bao $subject_id là $deadline (còn $days_left ngày).",),
        ),
        "commitment_extended": (
            "Thuê bao $subject_id: đã gia hạn cam kết thanh toán",
            (
                "Cam kết thanh toán của thuê bao $subject_id đã được gia hạn.",
                "Hạn thanh toán mới: $due_on",
            ),
        ),
        "proof_submitted": (
            "Thuê bao $subject_id: đã nhận chứng từ thanh toán",
            ("Chúng tôi đã nhận chứng từ thanh toán của thuê bao $subject_id và sẽ xác nhận sớm nhất.",),
        ),
        "proof_rejected": (
            "Thuê bao $subject_id: chứng từ thanh toán chưa hợp lệ",
            ("Chứng từ thanh toán của thuê bao $subject_id chưa được chấp nhận. Quý khách vui lòng gửi lại.",),
        ),
        "renewal_official": (
            "Thuê bao $subject_id đã được gia hạn chính thức",
            (
                "Thanh toán đã được xác nhận, thuê bao $subject_id đã được gia hạn chính thức.",
                *_TERM_VI,
            ),
        ),
        "cut_off": (
            "Thuê bao $subject_id đã bị ngừng",
            (
                "Thuê bao $subject_id đã bị ngừng do chưa thanh toán đúng hạn cam kết.",
                "Dữ liệu sẽ bị xóa vào ngày $purge_on nếu Quý khách không thanh toán.",
            ),
        ),
        "cancelled": ("Thuê bao $subject_id đã bị hủy", ("Thuê bao $subject_id đã bị hủy.",)),
    },
    Language.EN: {
        "order_placed": (
            "Order $order_id received",
            (
                "We have received your order $order_id.",
                "Order type: $kind",
                "Total to pay: $total",
                "Pay by: $pay_by",
                "Payment method: $method",
                "Bank: $bank",
                "Account number: $account",
                "Account holder: $account_name",
                "Amount: $amount",
                "Transfer reference: $transfer_content",
            ),
        ),
        "order_paid": (
            "Order $order_id paid",
            (
                "We have received your payment of $total for order $order_id.",
                "Transaction: $payment_id",
            ),
        ),
        "order_cancelled": (
            "Order $order_id cancelled",
            (
                "Order $order_id has been cancelled.",
                "Reason: $reason",
            ),
        ),
        "order_lapsed": (
            "Order $order_id expired unpaid",
            (
                "Order $order_id (total $total) was not paid in time and is no longer valid.",
                "Please place a new order if you still need it.",
            ),
        ),
        "invoice_issued": (
            "E-invoice for order $order_id",
            (
                "The e-invoice for order $order_id has been issued.",
                "Series: $series",
                "Invoice number: $number",
            ),
        ),
        "bulk_renewed": (
            "$clients clients renewed (order $order_id)",
            ("Bulk renewal order $order_id is paid: $clients clients have been renewed.",),
        ),
        "trial_started": (
            "Subscription $subject_id: trial started",
            ("Your trial of subscription $subject_id has started.",),
        ),
        "payment_received": (
            "Subscription $subject_id: payment received",
            (
                "We received your payment for subscription $subject_id at $received_at.",
                "It will be activated by $activate_by at the latest.",
            ),
        ),
        "activated": (
            "Subscription $subject_id activated",
            (
                "Subscription $subject_id is active.",
                *_TERM_EN,
            ),
        ),
        "extended": (
            "Subscription $subject_id extended",
            (
                "Subscription $subject_id has been extended.",
                *_TERM_EN,
            ),
        ),
        "storage_added": (
            "Subscription $subject_id: storage added",
            (
                "Storage has been added to subscription $subject_id.",
                "Added: $storage GB",
            ),
        ),
        "expiring_soon": (
            "Subscription $subject_id expires soon",
            (
                "Subscription $subject_id expires at $deadline ($days_left days left).",
                "Please renew it to avoid any interruption.",
            ),
        ),
        "expired": (
            "Subscription $subject_id has expired",
            (
                "Subscription $subject_id has expired.",
                "Its data will be erased on $purge_on unless you renew or buy data retention.",
            ),
        ),
        "retention_bought": (
            "Subscription $subject_id: data retention bought",
            ("The data of subscription $subject_id is kept from $retention_start to $retention_end.",),
        ),
        "retention_ending": (
            "Subscription $subject_id: data retention ends soon",
            ("Data retention for subscription $subject_id ends at $deadline ($days_left days left).",),
        ),
        "retention_ended": (
            "Subscription $subject_id: data retention ended",
            (
                "Data retention for subscription $subject_id has ended.",
                "Its data will be erased on $purge_on.",
            ),
        ),
        "purged": (
            "Subscription $subject_id: data erased",
            (
                "The data of subscription $subject_id has been erased.",
                "Erased: $erased",
            ),
        ),
        "commitment_registered": (
            "Subscription $subject_id: commitment to pay registered",
            (
                "Your commitment to pay for subscription $subject_id is registered.",
                "Pay by: $due_on",
                *_TERM_EN,
            ),
        ),
        "commitment_due": (
            "Subscription $subject_id: payment due under your commitment",
            ("Payment for subscription $subject_id is due at $deadline ($days_left days left).",),
        ),
        "commitment_extended": (
            "Subscription $subject_id: commitment extended",
            (
                "Your commitment to pay for subscription $subject_id has been extended.",
                "New due date: $due_on",
            ),
        ),
        "proof_submitted": (
            "Subscription $subject_id: proof of payment received",
            ("We have received the proof of payment for subscription $subject_id and will verify it shortly.",),
        ),
        "proof_rejected": (
            "Subscription $subject_id: proof of payment not accepted",
            ("The proof of payment for subscription $subject_id was not accepted. Please send it again.",),
        ),
        "renewal_official": (
            "Subscription $subject_id renewal confirmed",
            (
                "Your payment is verified and the renewal of subscription $subject_id is official.",
                *_TERM_EN,
            ),
        ),
        "cut_off": (
            "Subscription $subject_id suspended",
            (
                "Subscription $subject_id is suspended: the payment committed to was not made in time.",
                "Its data will be erased on $purge_on unless you pay.",
            ),
        ),
        "cancelled": ("Subscription $subject_id cancelled", ("Subscription $subject_id has been cancelled.",)),
    },
}


def default_templates() -> Templates:
    """The library's templates: every notice kind in Vietnamese and English, HTML made from the text."""
    table = {}
    for language, wording in _WORDING.items():
        greeting, footer = _FRAMES[language]
        for kind, (subject, body) in wording.items():
            text = "\n".join([greeting, "", *body, "", footer, ""])
            table[(kind, language)] = Template.of_text(subject=subject, text=text, language=language)
    return Templates(table)
