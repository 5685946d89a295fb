"""VNPay's merchant API (``querydr``, ``refund``) played on 127.0.0.1, written from VNPay's documentation.

The checksums are computed here apart from the adapter: the request's fields joined by ``|`` in the order
of VNPay's page "API querydr, refund" and its Node and Java demos, the answer's in the order the ``vnpay``
npm library verifies; each the hex HMAC-SHA512 under the terminal's secret. The server checks every
request's checksum (answering ``97`` when it does not verify, as VNPay does), keeps the transactions it
was given, refunds them, and can misbehave on demand: answer late (after refunding, or without having done
anything), answer HTTP 500, answer something that is not JSON, or tamper with or drop its signature.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs

REQUEST_ORDER = {
    "querydr": [
        "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef", "vnp_TransactionDate",
        "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
    ],
    "refund": [
        "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TransactionType", "vnp_TxnRef",
        "vnp_Amount", "vnp_TransactionNo", "vnp_TransactionDate", "vnp_CreateBy", "vnp_CreateDate", "vnp_IpAddr",
        "vnp_OrderInfo",
    ],
}  # fmt: skip
_ANSWER = [
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode", "vnp_TxnRef", "vnp_Amount",
    "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType", "vnp_TransactionStatus",
    "vnp_OrderInfo",
]  # fmt: skip
ANSWER_ORDER = {"refund": _ANSWER, "querydr": [*_ANSWER, "vnp_PromotionCode", "vnp_PromotionAmount"]}


def hmac512(secret: str, text: str) -> str:
    """The lower-case hex HMAC-SHA512 of ``text`` (UTF-8) under ``secret``."""
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha512).hexdigest()


def piped(fields: Mapping[str, object], order: list[str]) -> str:
    """The fields' values in ``order`` joined by ``|``; a missing one is empty, a number its digits."""
    return "|".join(str(fields.get(name, "")) for name in order)


@attrs.define
class Txn:
    """One transaction VNPay holds: a payment, later maybe refunded."""

    txn_ref: str
    date: str  # the payment URL's vnp_CreateDate: VNPay's vnp_TransactionDate
    amount_x100: int
    transaction_no: str
    kind: str = "01"
    status: str = "00"
    refunded_x100: int = 0
    promotion: tuple[str, str] = ("", "")  # vnp_PromotionCode, vnp_PromotionAmount


@attrs.define
class FakeVnpay:
    """VNPay's side; ``url`` once started. ``misbehave`` holds what the next answers do, oldest first.

    Modes: ``"late"`` (do the work, answer after ``delay`` s), ``"hang"`` (do nothing, answer after
    ``delay`` s), ``"http500"``, ``"not_json"``, ``"tampered"`` (change the amount after signing),
    ``"unsigned"``, ``"other_secret"`` (sign with another key); and two ways VNPay may write a good answer:
    ``"numeric"`` (``vnp_Amount`` as a JSON number) and ``"extras"`` (unsigned fields besides).
    ``complete_refunds`` finishes an accepted refund at once (status ``00``) instead of leaving it
    processing (``05``, when VNPay answers ``94`` to any other refund of the payment).
    """

    secret: str
    tmn_code: str
    delay: float = 3.0
    url: str = ""
    transactions: dict[tuple[str, str], Txn] = attrs.field(factory=dict)
    received: list[dict[str, Any]] = attrs.field(factory=list)
    misbehave: list[str] = attrs.field(factory=list)
    released: threading.Event = attrs.field(factory=threading.Event)
    complete_refunds: bool = False  # an accepted refund is done at once (status 00), not left processing (05)
    _numbers: Iterator[int] = attrs.field(factory=lambda: itertools.count(15000001))
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def pay(
        self, txn_ref: str, date: str, amount_vnd: int, *, status: str = "00", promotion: tuple[str, str] = ("", "")
    ) -> Txn:
        """A payment VNPay took (status ``00``) or that failed (``02``), with a promotion VNPay applied."""
        number = str(next(self._numbers)) if status == "00" else "0"
        txn = Txn(txn_ref, date, amount_vnd * 100, number, status=status, promotion=promotion)
        self.transactions[txn_ref, date] = txn
        return txn

    def answer(self, body: bytes) -> tuple[int, bytes]:
        """The HTTP status and body VNPay sends for a request ``body``."""
        with self._lock:
            mode = self.misbehave.pop(0) if self.misbehave else ""
        if mode == "http500":
            return 500, b"Internal Server Error"
        if mode == "not_json":
            return 200, b"<html>maintenance</html>"
        request = json.loads(body)
        self.received.append(request)
        if mode == "hang":
            self.released.wait(self.delay)
            return 200, b"{}"
        fields = self._handled(request)
        if mode == "late":
            self.released.wait(self.delay)
        return 200, json.dumps(self._signed(fields, request.get("vnp_Command", ""), mode)).encode("utf-8")

    def _handled(self, request: dict[str, Any]) -> dict[str, str]:
        command = request.get("vnp_Command", "")
        base = {"vnp_ResponseId": f"resp{len(self.received):04d}", "vnp_Command": command}
        order = REQUEST_ORDER.get(command)
        sent = str(request.get("vnp_SecureHash", ""))
        if order is None or not hmac.compare_digest(sent, hmac512(self.secret, piped(request, order))):
            return base | {"vnp_ResponseCode": "97", "vnp_Message": "Invalid Checksum"}
        if request["vnp_TmnCode"] != self.tmn_code:
            return base | {"vnp_ResponseCode": "02", "vnp_Message": "Invalid TmnCode"}
        base |= {"vnp_TmnCode": self.tmn_code, "vnp_TxnRef": request["vnp_TxnRef"]}
        with self._lock:
            txn = self.transactions.get((request["vnp_TxnRef"], request["vnp_TransactionDate"]))
            if txn is None:
                return base | {"vnp_ResponseCode": "91", "vnp_Message": "Transaction not found"}
            if command == "querydr":
                return base | self._described(txn) | {"vnp_ResponseCode": "00", "vnp_Message": "QueryDR Success"}
            return base | self._refunded(txn, request)

    def _refunded(self, txn: Txn, request: dict[str, Any]) -> dict[str, str]:
        if txn.kind != "01" and txn.status == "05":
            return {"vnp_ResponseCode": "94", "vnp_Message": "Duplicate request"}
        if txn.kind == "01" and txn.status != "00":
            return {"vnp_ResponseCode": "95", "vnp_Message": "Transaction is not success"}
        amount = int(request["vnp_Amount"])
        if amount > txn.amount_x100 - txn.refunded_x100:
            return {"vnp_ResponseCode": "93", "vnp_Message": "Invalid amount"}
        status = "00" if self.complete_refunds else "05"
        txn.kind, txn.status, txn.refunded_x100 = request["vnp_TransactionType"], status, txn.refunded_x100 + amount
        return {
            "vnp_ResponseCode": "00",
            "vnp_Message": "Refund success",
            "vnp_Amount": str(amount),
            "vnp_BankCode": "NCB",
            "vnp_PayDate": request["vnp_CreateDate"],
            "vnp_TransactionNo": str(next(self._numbers)),
            "vnp_TransactionType": txn.kind,
            "vnp_TransactionStatus": txn.status,
            "vnp_OrderInfo": request["vnp_OrderInfo"],
        }

    @staticmethod
    def _described(txn: Txn) -> dict[str, str]:
        return {
            "vnp_Amount": str(txn.amount_x100),
            "vnp_BankCode": "NCB",
            "vnp_PayDate": txn.date,
            "vnp_TransactionNo": txn.transaction_no,
            "vnp_TransactionType": txn.kind,
            "vnp_TransactionStatus": txn.status,
            "vnp_OrderInfo": "Thanh toan don hang",
            "vnp_PromotionCode": txn.promotion[0],
            "vnp_PromotionAmount": txn.promotion[1],
        }

    def _signed(self, fields: dict[str, str], command: str, mode: str) -> dict[str, Any]:
        order = ANSWER_ORDER.get(command, ANSWER_ORDER["refund"])
        key = "ANOTHERSECRET" if mode == "other_secret" else self.secret
        answer: dict[str, Any] = dict(fields)
        if mode == "numeric" and "vnp_Amount" in answer:
            answer["vnp_Amount"] = int(answer["vnp_Amount"])  # a JSON number: signed as its digits
        signed = answer | {"vnp_SecureHash": hmac512(key, piped(answer, order))}
        if mode == "extras":
            signed |= {"vnp_CardType": ["ATM"], "vnp_Rate": 1.5}  # fields the checksum does not cover
        if mode == "tampered":
            signed["vnp_Amount"] = str(int(signed.get("vnp_Amount") or "0") + 100_00)
        if mode == "unsigned":
            del signed["vnp_SecureHash"]
        return signed


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status, answer = self.server.vnpay.answer(body)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except OSError:  # the client gave up (timed out) before the late answer
            return

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002, ARG002 - the base class's signature; quiet
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    vnpay: FakeVnpay


@attrs.define
class Running:
    """A started fake with its server, to stop."""

    vnpay: FakeVnpay
    server: _Server
    thread: threading.Thread

    def stop(self) -> None:
        """Release any late answer, stop serving and close the socket."""
        self.vnpay.released.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start(vnpay: FakeVnpay) -> Running:
    """Serve ``vnpay`` on a free port of 127.0.0.1 in a thread; its ``url`` is set."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.vnpay = vnpay
    vnpay.url = f"http://127.0.0.1:{server.server_address[1]}/merchant_webapi/api/transaction"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), name="fake-vnpay-api", daemon=True)
    thread.start()
    return Running(vnpay=vnpay, server=server, thread=thread)
