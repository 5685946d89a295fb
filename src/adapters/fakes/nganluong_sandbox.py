"""A local stand-in for NgânLượng's checkout API 3.1, on 127.0.0.1, for tests and demos. It is not NgânLượng.

:class:`NganLuongSandbox` answers ``SetExpressCheckout`` and ``GetTransactionDetail`` form POSTs as
NgânLượng's published samples expect (an XML ``<result>`` with ``error_code``, ``token``, ``checkout_url``;
the transaction's fields), checking the merchant id and the MD5 of the connection password it was given.
It is written apart from the adapter (its own field lists, MD5 and XML), so that a test checks the
adapter against the protocol, not against itself. Unlike the other fakes it listens on a socket, so it
is not exported by :mod:`subscription_core_adapters.fakes`: import it from this module.

The buyer's side is played by its controls: :meth:`NganLuongSandbox.pay` (optionally another amount),
:meth:`~NganLuongSandbox.cancel`, :meth:`~NganLuongSandbox.hold`, and :meth:`~NganLuongSandbox.return_query`
for the query the buyer's browser brings back; :meth:`~NganLuongSandbox.delay` makes transaction checks
answer late. It serves no checkout page: ``checkout_url`` points at ``checkout_page`` with the token.
Like NgânLượng (whose samples escape it before parsing), it writes the ``&`` of the checkout URL raw.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final, Self
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

import attrs

__all__ = ["NganLuongSandbox", "SandboxTransaction"]

API_PATH: Final = "/nl30/checkout.api.nganluong.post.php"
_BANKS: Final = frozenset(
    {
        "ACB", "AGB", "BAB", "BIDV", "DAB", "EXB", "GPB", "HDB", "ICB", "MB", "MSB", "NAB",
        "NVB", "OJB", "PGB", "SCB", "SGB", "SHB", "TCB", "TPB", "VAB", "VCB", "VIB", "VPB",
    }
)  # fmt: skip
_METHODS: Final = frozenset({"ATM_ONLINE", "VISA", "NL", "IB_ONLINE", "ATM_OFFLINE", "NH_OFFLINE"})
_MAX_BODY: Final = 64 * 1024
_MAX_ORDER_CODE: Final = 100


@attrs.define
class SandboxTransaction:
    """One checkout the stand-in opened: what the merchant asked, and what the buyer did."""

    token: str
    order_code: str
    amount: int
    payment_method: str
    bank_code: str
    return_url: str
    cancel_url: str
    buyer: tuple[str, str, str, str]
    description: str
    state: str = "open"  # open, paid, held, cancelled
    paid_amount: int | None = None
    transaction_id: str = ""
    answer_error: str = ""  # an error code GetTransactionDetail answers for this token instead (answer_with)
    status: str = ""  # a transaction_status answered instead of the state's (answer_with)


class NganLuongSandbox:
    """NgânLượng's checkout API for one merchant, on an ephemeral port of 127.0.0.1 once started.

    Use it as a context manager (``with NganLuongSandbox(...) as nl:``) or call :meth:`start` and
    :meth:`stop`. Thread-safe: the tests race deliveries against it.
    """

    def __init__(
        self,
        *,
        merchant_id: str,
        password: str,
        receiver_email: str,
        checkout_page: str = "https://sandbox.nganluong.vn:8088/nl30/checkout.php",
    ) -> None:
        """A stand-in that knows one merchant, ``password`` being its connection password (in clear)."""
        self.merchant_id = merchant_id
        self.receiver_email = receiver_email
        self.checkout_page = checkout_page
        self._password_md5 = hashlib.md5(password.encode("utf-8"), usedforsecurity=False).hexdigest()
        self._lock = threading.Lock()
        self._transactions: dict[str, SandboxTransaction] = {}
        self._numbers = itertools.count(135416)
        self._delay = 0.0
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self.calls: dict[str, int] = {}

    def __enter__(self) -> Self:
        """Start serving."""
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        """Stop serving."""
        self.stop()

    @property
    def url(self) -> str:
        """The API URL to configure (``http://127.0.0.1:<port>/nl30/checkout.api.nganluong.post.php``)."""
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{API_PATH}"

    def start(self) -> None:
        """Listen on 127.0.0.1, an ephemeral port, on a daemon thread."""
        handler = type("Handler", (_Handler,), {"sandbox": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop listening; answers held back by :meth:`delay` are released."""
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- the buyer's side -------------------------------------------------------------------------

    def transaction(self, token: str) -> SandboxTransaction:
        """The checkout opened under ``token`` (``KeyError`` if none)."""
        with self._lock:
            return self._transactions[token]

    def tokens(self) -> list[str]:
        """Every token issued, oldest first."""
        with self._lock:
            return list(self._transactions)

    def pay(self, token: str, *, amount: int | None = None) -> None:
        """The buyer pays ``token``'s checkout: its amount, or ``amount`` to play a mismatch."""
        self._set(token, "paid", amount)

    def hold(self, token: str) -> None:
        """NgânLượng holds ``token``'s payment (``transaction_status`` 01) until :meth:`pay`."""
        self._set(token, "held", None)

    def cancel(self, token: str) -> None:
        """The buyer cancels ``token``'s checkout (``transaction_status`` 02)."""
        self._set(token, "cancelled", None)

    def answer_with(self, token: str, *, error_code: str = "", transaction_status: str = "") -> None:
        """Make ``GetTransactionDetail`` answer ``error_code`` (115, 114, 99...) or ``transaction_status`` instead."""
        with self._lock:
            found = self._transactions[token]
            found.answer_error, found.status = error_code, transaction_status

    def delay(self, seconds: float) -> None:
        """Answer each ``GetTransactionDetail`` after ``seconds`` (0 to answer at once again)."""
        self._delay = seconds

    def return_query(self, token: str) -> dict[str, str]:
        """The query the buyer's browser brings back: the return (or cancel) URL's own, ``token`` and ``error_code``."""
        found = self.transaction(token)
        url = found.cancel_url if found.state == "cancelled" else found.return_url
        fields = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        return {**fields, "token": token, "error_code": "00" if found.state in {"paid", "held"} else "115"}

    def _set(self, token: str, state: str, amount: int | None) -> None:
        with self._lock:
            found = self._transactions[token]
            found.state = state
            if state in {"paid", "held"}:
                found.paid_amount = found.amount if amount is None else amount
                found.transaction_id = found.transaction_id or str(next(self._numbers) * 7)

    # --- the merchant's side ----------------------------------------------------------------------

    def answer(self, form: dict[str, str]) -> str:
        """The XML answer to one API call (the HTTP handler's work)."""
        function = form.get("function", "")
        with self._lock:
            self.calls[function] = self.calls.get(function, 0) + 1
        if form.get("merchant_id") != self.merchant_id:
            return _xml({"error_code": "06"})
        if form.get("merchant_password", "").lower() != self._password_md5:
            return _xml({"error_code": "07"})
        if form.get("version") != "3.1":
            return _xml({"error_code": "05"})
        if function == "SetExpressCheckout":
            return self._checkout(form)
        if function == "GetTransactionDetail":
            if self._delay:
                self._released.wait(self._delay)
            return self._detail(form.get("token", ""))
        return _xml({"error_code": "04"})

    def _checkout(self, form: dict[str, str]) -> str:
        refused = _checkout_problem(form, self.receiver_email)
        if refused:
            return _xml({"error_code": refused})
        with self._lock:
            number = next(self._numbers)
            seed = f"{number}:{form['order_code']}".encode()
            token = f"{number}-{hashlib.md5(seed, usedforsecurity=False).hexdigest()}"
            self._transactions[token] = SandboxTransaction(
                token=token,
                order_code=form["order_code"],
                amount=int(form["total_amount"]),
                payment_method=form["payment_method"],
                bank_code=form.get("bank_code", ""),
                return_url=form["return_url"],
                cancel_url=form.get("cancel_url", ""),
                buyer=(
                    form["buyer_fullname"],
                    form["buyer_email"],
                    form["buyer_mobile"],
                    form.get("buyer_address", ""),
                ),
                description=form.get("order_description", ""),
            )
        checkout_url = f"{self.checkout_page}?token={token}&lang=vi"  # '&' raw, as NgânLượng writes it
        fields = {"error_code": "00", "token": token, "description": "", "time_limit": "", "checkout_url": ""}
        return _xml(fields).replace("<checkout_url></checkout_url>", f"<checkout_url>{checkout_url}</checkout_url>")

    def _detail(self, token: str) -> str:
        with self._lock:
            found = self._transactions.get(token)
            if found is None:
                return _xml({"error_code": "29"})
            if found.answer_error:
                return _xml({"error_code": found.answer_error, "token": token})
            if found.state == "open" and not found.status:
                return _xml({"error_code": "81", "token": token})
            status = found.status or {"paid": "00", "held": "01", "cancelled": "02", "open": "02"}[found.state]
            name, email, mobile, address = found.buyer
            return _xml(
                {
                    "error_code": "00",
                    "token": token,
                    "description": "",
                    "transaction_status": status,
                    "receiver_email": self.receiver_email,
                    "order_code": found.order_code,
                    "total_amount": str(found.paid_amount if found.paid_amount is not None else found.amount),
                    "payment_method": found.payment_method,
                    "bank_code": found.bank_code,
                    "payment_type": "1",
                    "order_description": found.description,
                    "tax_amount": "0",
                    "discount_amount": "0",
                    "fee_shipping": "0",
                    "return_url": found.return_url,
                    "cancel_url": found.cancel_url,
                    "buyer_fullname": name,
                    "buyer_email": email,
                    "buyer_mobile": mobile,
                    "buyer_address": address,
                    "affiliate_code": "",
                    "transaction_id": found.transaction_id or "0",
                }
            )


def _checkout_problem(form: dict[str, str], receiver: str) -> str:
    """The error code NgânLượng would answer a ``SetExpressCheckout`` form with, or ``""`` when it is fine."""
    amount = form.get("total_amount", "")
    checks = [
        ("08", form.get("receiver_email", "").lower() == receiver.lower()),
        ("12", form.get("cur_code", "").lower() == "vnd"),
        ("10", 0 < len(form.get("order_code", "")) <= _MAX_ORDER_CODE),
        ("11", amount.isdigit() and int(amount) > 0),
        ("134", form.get("payment_method") in _METHODS),
        ("134", form.get("payment_method") != "ATM_ONLINE" or form.get("bank_code") in _BANKS),
        ("121", form.get("return_url", "").startswith(("https://", "http://"))),
        ("129", bool(form.get("buyer_fullname", "").strip())),
        ("130", "@" in form.get("buyer_email", "")),
        ("131", bool(form.get("buyer_mobile", "").strip())),
    ]
    return next((code for code, fine in checks if not fine), "")


def _xml(fields: dict[str, str]) -> str:
    body = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields.items())
    return f'<?xml version="1.0" encoding="utf-8"?><result>{body}</result>'


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # twenty racing deliveries connect at once; the default backlog of 5 resets some


class _Handler(BaseHTTPRequestHandler):
    sandbox: NganLuongSandbox

    def do_POST(self) -> None:
        """Answer a form POST to the API path."""
        length = int(self.headers.get("Content-Length") or 0)
        if urlsplit(self.path).path != API_PATH or not 0 <= length <= _MAX_BODY:
            self.send_error(404)
            return
        form = dict(parse_qsl(self.rfile.read(length).decode("utf-8", "replace"), keep_blank_values=True))
        body = self.sandbox.answer(form).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        """Keep test output quiet."""
