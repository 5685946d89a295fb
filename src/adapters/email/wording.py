"""The wording of the e-mail notices (N1): every notice kind's subject and lines, in Vietnamese and English.

Subscription notices name the subscription by ``$subject_id``; order notices carry ``order_id``, ``total``
and ``state``, and the facts listed in docs/adapters/email.md. Sources are :class:`string.Template` text
(``$order_id``): :mod:`subscription_core_adapters.email.templates` fills them and turns them into templates. Data only:
no rendering here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

__all__ = ["FRAMES", "LABELS", "WORDING", "Language"]


class Language(enum.Enum):
    """The language of an e-mail; Vietnamese is the default everywhere."""

    VI = "vi"
    EN = "en"


LABELS: Final[Mapping[Language, Mapping[str, str]]] = {
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
"""Per language, the names shown for the codes a notice carries (payment methods, order kinds, erased data)."""

FRAMES: Final[Mapping[Language, tuple[str, str]]] = {
    Language.VI: ("Kính gửi Quý khách,", "Đây là thư tự động, Quý khách vui lòng không trả lời thư này."),
    Language.EN: ("Dear customer,", "This is an automated message; please do not reply to it."),
}
"""Per language, the greeting that opens every e-mail and the footer that closes it."""

# The lines every notice of a new or extended term shows.
_TERM_VI: Final = ("Gói dịch vụ: $plan", "Thời hạn sử dụng: từ $term_start đến $term_end")
_TERM_EN: Final = ("Plan: $plan", "Term: from $term_start to $term_end")
WORDING: Final[Mapping[Language, Mapping[str, tuple[str, tuple[str, ...]]]]] = {
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
        "payment_reminder": (
            "Nhắc thanh toán đơn hàng $order_id",
            (
                "Đơn hàng $order_id (tổng tiền $total) của Quý khách chưa được thanh toán.",
                "Hạn thanh toán: $pay_by (còn $days_left ngày).",
                "Sau thời hạn này, đơn hàng sẽ hết hiệu lực.",
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
        "term_started": (
            "Thuê bao $subject_id: bắt đầu kỳ sử dụng mới",
            (
                "Kỳ sử dụng mới của thuê bao $subject_id đã bắt đầu.",
                *_TERM_VI,
                "Dung lượng mua thêm cho kỳ này: $storage GB",
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
        "payment_reminder": (
            "Payment reminder for order $order_id",
            (
                "Your order $order_id (total $total) has not been paid yet.",
                "Pay by: $pay_by ($days_left days left).",
                "After that, the order is no longer valid.",
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
        "term_started": (
            "Subscription $subject_id: new term started",
            (
                "A new paid term of subscription $subject_id has started.",
                *_TERM_EN,
                "Extra storage bought for this term: $storage GB",
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
"""Per language and notice kind, the subject and the body's lines (greeting and footer aside)."""
