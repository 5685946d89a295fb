"""The reference host end to end, over HTTP (Starlette's TestClient on httpx), on SQLite and PostgreSQL.

A company signs up, gets a quote with a code, orders and pays by card through VNPay: the test plays VNPay,
checking the redirect's signature with its own HMAC-SHA512 and sending signed IPNs (a tampered one, the
real one, a replay). A second order is paid by bank transfer: its VietQR page, then the staff's statement
upload. Bad input is answered 4xx in the error shape, never 500; the worker's step relays the notices.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import importlib
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from examples.host.wiring import wiring_from_env
from httpx2 import Response
from starlette.testclient import TestClient
from tests.host.conftest import HASH_SECRET, RETURN_URL, ROOT, TMN_CODE

from subscription_core import VIETNAM_TZ, Actor, Entry, Party, PercentOff, Promotion, Scope
from subscription_core.errors import ValidationError
from subscription_core.services import (
    Checkout,
    NewPurchase,
    place_order,
    record_bank_refund,
    register_customer,
    register_promotion,
    unapplied_money,
)
from subscription_core_adapters.bootstrap import SqlWiring
from subscription_core_adapters.fakes import RecordingNotifier

CODE = "AMIS-SALES-15"
USER, OTHER_USER = "u-hoasen", "u-stranger"
STAFF = {"X-Staff": "st-lan"}
ERROR_KEYS = {"code", "rule", "field", "message", "retryable"}


def vnpay_hash(params: Mapping[str, str]) -> tuple[str, str]:
    """The text VNPay signs and its ``vnp_SecureHash``, written from VNPay's integration guide, not the library.

    As the guide's Python sample does (https://sandbox.vnpayment.vn/apis/docs/huong-dan-tich-hop/): the
    ``vnp_`` parameters but ``vnp_SecureHash`` and ``vnp_SecureHashType``, sorted by name, each
    ``name=quote_plus(value)``, joined by ``&``; the hex HMAC-SHA512 of it under the terminal's hash secret.
    """
    skipped = {"vnp_SecureHash", "vnp_SecureHashType"}
    signed = sorted((k, v) for k, v in params.items() if k.startswith("vnp_") and k not in skipped)
    data = "&".join(f"{name}={urllib.parse.quote_plus(value)}" for name, value in signed)
    return data, hmac.new(HASH_SECRET.encode(), data.encode(), hashlib.sha512).hexdigest()


def ipn(txn_ref: str, amount_x100: str, *, response: str = "00") -> dict[str, str]:
    """The query VNPay's IPN sends for a payment (the guide's "Code IPN URL" parameters), signed."""
    params = {
        "vnp_Amount": amount_x100,
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "VNP14226112",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": "Thanh toan don hang",
        "vnp_PayDate": dt.datetime.now(VIETNAM_TZ).strftime("%Y%m%d%H%M%S"),
        "vnp_ResponseCode": response,
        "vnp_TmnCode": TMN_CODE,
        "vnp_TransactionNo": "14226112",
        "vnp_TransactionStatus": response,
        "vnp_TxnRef": txn_ref,
    }
    return {**params, "vnp_SecureHash": vnpay_hash(params)[1]}


def customer(company: str, user: str = USER) -> dict[str, str]:
    return {"X-User": user, "X-Customer": company}


def sign_up(client: TestClient, tax_code: str, name: str, user: str = USER) -> str:
    subscriber = {"unit_name": name, "address": "Cầu Giấy, Hà Nội", "email": "ketoan@hoasen.vn", "tax_code": tax_code}
    answer = client.post(
        "/signup",
        json={"name": name, "tax_code": tax_code, "subscriber": subscriber},
        headers={"X-User": user, "Idempotency-Key": f"signup-{tax_code}"},
    )
    assert answer.status_code == 201, answer.text
    company: str = answer.json()["customer_id"]
    return company


def place(client: TestClient, company: str, key: str, codes: list[str], user: str = USER) -> dict[str, Any]:
    purchase = {"customer_id": company, "plan": "amis-professional", "option": "1y", "codes": codes}
    answer = client.post(
        "/orders",
        json={"purchase": purchase, "checkout": {"confirmed": True}},
        headers={**customer(company, user), "Idempotency-Key": key},
    )
    assert answer.status_code == 201, answer.text
    placed: dict[str, Any] = answer.json()
    return placed


def register_code(client: TestClient) -> None:
    """Staff store the sales code, as the host's back office would (the reference host has no page for it)."""
    wired: SqlWiring = client.app.state.wired  # type: ignore[attr-defined]
    promotion = Promotion(
        code=CODE,
        name="15% off a package, handed out by sales",
        scope=Scope.PACKAGE,
        benefit=PercentOff(percent=15),
        entry=Entry.CODE,
        targets={"amis-professional"},
    )
    register_promotion(wired.services, Actor.staff("st-lan"), promotion=promotion, idempotency_key="promo-1")


def redirect_to_vnpay(client: TestClient, company: str, order_id: str) -> dict[str, str]:
    """Start a card payment; check VNPay's URL is signed as VNPay verifies it, and return its parameters."""
    answer = client.post(f"/orders/{order_id}/vnpay?bank=NCB", headers=customer(company), follow_redirects=False)
    assert answer.status_code == 302, answer.text
    url = urllib.parse.urlsplit(answer.headers["location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
    params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True, strict_parsing=True))
    data, signature = vnpay_hash(params)
    assert url.query == f"{data}&vnp_SecureHash={params['vnp_SecureHash']}"  # the URL is the text signed
    assert hmac.compare_digest(params["vnp_SecureHash"], signature)
    return params


def test_a_company_buys_pays_by_vnpay_and_by_transfer_end_to_end(client: TestClient) -> None:
    company, order_id, params = browse_and_order(client)
    play_vnpay(client, company, order_id, params)
    pay_by_transfer(client, company)
    run_the_worker_step(client)


def browse_and_order(client: TestClient) -> tuple[str, str, dict[str, str]]:
    """Prices, a visitor's quote with a code, sign-up, an order with the code, the redirect to VNPay."""
    assert client.get("/prices").json()[3] == {
        "plan": "amis-professional",
        "name": "AMIS Professional",
        "option": "1y",
        "cycles": 1,
        "price": {"amount": "12000000", "currency": "VND"},
    }
    assert client.get("/catalog").json()["products"][0]["code"] == "amis-vn"
    register_code(client)
    quoted = client.post("/quote", json={"plan": "amis-professional", "option": "1y", "codes": [CODE, "NOPE"]})
    assert quoted.status_code == 200, quoted.text
    assert quoted.json()["grand_total"] == {"amount": "10200000", "currency": "VND"}
    assert [(r["code"], r["reason"]) for r in quoted.json()["refused"]] == [("NOPE", "unknown code")]

    company = sign_up(client, "0100109106", "Công ty TNHH Hoa Sen")
    first = place(client, company, "order-1", [CODE])
    assert first["grand_total"] == {"amount": "10200000", "currency": "VND"}
    assert place(client, company, "order-1", [CODE])["id"] == first["id"]  # the same key: the same order
    params = redirect_to_vnpay(client, company, first["id"])
    assert (params["vnp_TmnCode"], params["vnp_Amount"], params["vnp_ReturnUrl"]) == (
        TMN_CODE,
        "1020000000",
        RETURN_URL,
    )
    return company, first["id"], params


def play_vnpay(client: TestClient, company: str, order_id: str, params: dict[str, str]) -> None:
    """VNPay's side: tampered IPNs, the real one, its replay, the buyer's return page."""
    # A tampered IPN is refused 97 (VNPay's "Invalid signature") and changes nothing: the amount changed,
    # a cancelled payment turned into a paid one, the signature changed or left out.
    paid = ipn(params["vnp_TxnRef"], params["vnp_Amount"])
    forged = {**paid, "vnp_Amount": "100"}
    cancelled = ipn(params["vnp_TxnRef"], params["vnp_Amount"], response="24")
    flipped = "0" if paid["vnp_SecureHash"][-1] != "0" else "1"
    for tampered in (
        forged,
        {**cancelled, "vnp_ResponseCode": "00", "vnp_TransactionStatus": "00"},
        {**paid, "vnp_SecureHash": paid["vnp_SecureHash"][:-1] + flipped},
        {k: v for k, v in paid.items() if k != "vnp_SecureHash"},
    ):
        answer = client.get("/vnpay/ipn", params=tampered)
        assert (answer.status_code, answer.json()) == (200, {"RspCode": "97", "Message": "Invalid signature"})
    assert client.get(f"/orders/{order_id}", headers=customer(company)).json()["state"] == "placed"
    assert client.get("/subscriptions", headers=customer(company)).json() == []

    assert client.get("/vnpay/ipn", params=paid).json() == {"RspCode": "00", "Message": "Confirm Success"}
    assert client.get(f"/orders/{order_id}", headers=customer(company)).json()["state"] == "fulfilled"
    subscriptions = client.get("/subscriptions", headers=customer(company)).json()
    assert [(s["plan_code"], s["state"]) for s in subscriptions] == [("amis-professional", "active")]
    replay = client.get("/vnpay/ipn", params=paid)
    assert (replay.status_code, replay.json()) == (200, {"RspCode": "02", "Message": "Order already confirmed"})
    assert held(client, company) == held(client, company, subscriptions)  # nothing applied twice
    back = client.get("/vnpay/return", params=paid)
    assert back.status_code == 200
    assert f"Đơn hàng {order_id}: thanh toán thành công" in back.text
    assert "Chữ ký không hợp lệ" in client.get("/vnpay/return", params=forged).text


def pay_by_transfer(client: TestClient, company: str) -> None:
    """A second order paid by bank transfer: its VietQR page, then the staff's statement upload."""
    second = place(client, company, "order-2", [])
    reference = client.get(f"/orders/{second['id']}", headers=customer(company)).json()["transfer_reference"]
    page = client.get(f"/orders/{second['id']}/transfer", headers=customer(company))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<svg" in page.text
    assert "12.000.000 VND" in page.text
    assert reference in page.text
    assert client.get(f"/orders/{second['id']}/transfer", headers=customer(company)).text == page.text

    today = dt.datetime.now(VIETNAM_TZ).strftime("%d/%m/%Y")
    statement = f"date,amount,description\n{today},12000000,CT {reference} HOA SEN\n{today},500000,CHUYEN TIEN\n"
    uploaded = client.post(
        "/staff/statements",
        headers=STAFF,
        files={"file": ("sao-ke.csv", statement.encode(), "text/csv")},
        data={"format": "generic", "statement_id": "VCB-1"},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["counts"] == {"recorded": 1, "no_reference": 1}
    assert client.get(f"/orders/{second['id']}", headers=customer(company)).json()["state"] == "fulfilled"
    again = client.post("/staff/statements", headers=STAFF, files={"file": ("sao-ke.csv", statement.encode())})
    assert again.json()["counts"] == {"already_recorded": 2}


def run_the_worker_step(client: TestClient) -> None:
    """The worker's step, once (the CLI runs it in a loop): the notices the use cases committed are relayed."""
    wired: SqlWiring = client.app.state.wired  # type: ignore[attr-defined]
    wired.run_scheduler()
    sent = wired.relay_outbox().sent
    notifier = wired.services.notifier
    assert isinstance(notifier, RecordingNotifier)
    kinds = [message.kind for message in notifier.sent]
    assert sent == len(kinds)
    assert kinds.count("order_paid") == 4  # each order once, by e-mail and in the app: the replay sent nothing
    assert "order_placed" in kinds
    assert wired.relay_outbox().sent == 0


def held(client: TestClient, company: str, shown: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The company's subscriptions as shown (read now unless given), without the instant they were read at."""
    found = shown if shown is not None else client.get("/subscriptions", headers=customer(company)).json()
    return [{k: v for k, v in detail.items() if k != "as_of"} for detail in found]


def refused(answer: Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert ERROR_KEYS <= set(body) <= ERROR_KEYS | {"reference", "problems"}
    assert body["code"] == code


def test_y8_a_statement_upload_confirms_the_bank_refund_its_debit_line_carries(client: TestClient) -> None:
    today = dt.datetime.now(VIETNAM_TZ).strftime("%d/%m/%Y")
    credit = f"date,amount,description\n{today},500000,CHUYEN TIEN\n"
    first = client.post("/staff/statements", headers=STAFF, files={"file": ("sk-1.csv", credit.encode())})
    assert first.json()["counts"] == {"no_reference": 1}
    wired: SqlWiring = client.app.state.wired  # type: ignore[attr-defined]
    staff = Actor.staff("st-lan")
    (held,) = unapplied_money(wired.services, staff)
    refund = record_bank_refund(
        wired.services, staff, unapplied_id=held.id, reference="HT-0001", reason="unknown sender", idempotency_key="r"
    )
    debit = f"date,amount,description\n{today},-500000,IBFT HOAN TIEN HT-0001\n"
    uploaded = client.post("/staff/statements", headers=STAFF, files={"file": ("sk-2.csv", debit.encode())})
    assert uploaded.status_code == 200, uploaded.text
    body = uploaded.json()
    assert (body["counts"], body["debit_lines"]) == ({}, 1)
    [confirmed] = body["refunds_confirmed"]
    assert (confirmed["refund_id"], confirmed["amount"]) == (refund.id, "500000")
    again = client.post("/staff/statements", headers=STAFF, files={"file": ("sk-2.csv", debit.encode())})
    assert again.json()["refunds_confirmed"] == []


def test_bad_input_is_answered_4xx_in_the_error_shape(client: TestClient) -> None:
    refused(client.get("/nowhere"), 404, "not_found")
    refused(client.post("/quote", content=b"{not json"), 422, "validation")
    refused(client.post("/quote", json=[1]), 422, "validation")
    refused(client.post("/quote", json={"plan": 7, "option": "1y"}), 422, "validation")
    refused(client.post("/quote", json={"plan": "gold", "option": "1y"}), 422, "not_found")
    refused(
        client.post("/quote", json={"plan": "amis-professional", "option": "1y", "addons": [{"x": 1}]}),
        422,
        "validation",
    )
    refused(client.post("/signup", json={"name": "X", "tax_code": "0100109106"}), 403, "permission_denied")
    bad_tax = {"name": "Công ty A", "tax_code": "0100109107", "subscriber": None}
    refused(client.post("/signup", json=bad_tax, headers={"X-User": USER}), 422, "validation")
    company = sign_up(client, "0100109106", "Công ty TNHH Hoa Sen")
    subscriber = {"unit_name": "B", "address": "Hà Nội", "email": "b@b.vn", "tax_code": "0100109106"}
    twice = {"name": "Công ty B", "tax_code": "0100109106", "subscriber": subscriber}
    refused(client.post("/signup", json=twice, headers={"X-User": "u-b"}), 409, "conflict")

    refused(client.post("/orders", json={}), 422, "validation")
    purchase = {"customer_id": company, "plan": "amis-professional", "option": "1y"}
    body = {"purchase": purchase, "checkout": {"confirmed": True}}
    refused(client.post("/orders", json=body), 403, "permission_denied")
    refused(client.post("/orders", json=body, headers=customer(company, OTHER_USER)), 403, "permission_denied")
    gold = {**body, "purchase": {**purchase, "plan": "gold"}}
    refused(client.post("/orders", json=gold, headers=customer(company)), 422, "not_found")
    unconfirmed = {**body, "checkout": {"confirmed": False}}
    refused(client.post("/orders", json=unconfirmed, headers=customer(company)), 409, "not_eligible")
    placed = place(client, company, "order-1", [])
    other = {**body, "purchase": {**purchase, "option": "2y"}}
    reused = client.post("/orders", json=other, headers={**customer(company), "Idempotency-Key": "order-1"})
    refused(reused, 409, "conflict")

    refused(client.get("/orders/ord-missing", headers=customer(company)), 404, "not_found")
    rival = sign_up(client, "0106001003", "Công ty CP Hải Đăng", user=OTHER_USER)
    refused(client.get(f"/orders/{placed['id']}", headers=customer(rival, OTHER_USER)), 403, "permission_denied")
    refused(client.post(f"/orders/{placed['id']}/vnpay?bank=!!", headers=customer(company)), 422, "validation")
    refused(client.get("/orders/ord-missing/transfer", headers=customer(company)), 404, "not_found")

    refused(client.post("/staff/statements", files={"file": ("a.csv", b"x")}), 403, "permission_denied")
    refused(client.post("/staff/statements", headers=STAFF, data={"format": "generic"}), 422, "validation")
    refused(client.post("/staff/statements", headers=STAFF, files={"file": ("a.csv", b"x")}), 422, "validation")
    wrong = client.post("/staff/statements", headers=STAFF, files={"file": ("a.csv", b"x")}, data={"format": "acb"})
    refused(wrong, 422, "validation")
    assert client.get("/vnpay/ipn").json()["RspCode"] == "97"  # VNPay always gets 200 and its JSON
    assert client.get("/vnpay/ipn?vnp_TxnRef=a&vnp_TxnRef=b").json()["RspCode"] == "97"


def test_the_worker_runs_on_the_wiring_named_as_the_command_line_names_it(
    settings: dict[str, str], database: str
) -> None:
    # "subscription-core worker --app examples.host.wiring:wiring_from_env": a module, a zero-argument callable.
    del settings, database  # set in the environment
    module, _, name = "examples.host.wiring:wiring_from_env".partition(":")
    wired = getattr(importlib.import_module(module), name)()
    try:
        assert isinstance(wired, SqlWiring)
        company = register_customer(
            wired.services,
            Actor.system("signup"),
            name="Công ty TNHH Hoa Sen",
            tax_code="0100109106",
            subscriber=Party(unit_name="Công ty TNHH Hoa Sen", address="Hà Nội", email="ketoan@hoasen.vn"),
            buyers={USER},
            idempotency_key="signup-1",
        )
        purchase = NewPurchase(customer_id=company.id, plan="amis-standard", option="1y")
        buyer = Actor.customer_user(USER, company.id)
        place_order(wired.services, buyer, purchase, Checkout(confirmed=True), idempotency_key="order-1")
        wired.run_scheduler()
        assert wired.relay_outbox().sent == 2  # the order placed, by e-mail and in the app
    finally:
        wired.dispose()


def test_the_wiring_a_host_copies_stays_well_under_150_lines() -> None:
    lines = (ROOT / "examples" / "host" / "wiring.py").read_text(encoding="utf-8").splitlines()
    assert len(lines) < 150


@pytest.mark.parametrize("missing", ["VNPAY_HASH_SECRET", "SHOP_LINK_KEY", "INVOICE_SERIES"])
def test_the_wiring_names_a_missing_setting(
    settings: dict[str, str], missing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    del settings
    monkeypatch.setenv("SHOP_DATABASE", str(tmp_path / "shop.sqlite3"))
    monkeypatch.delenv(missing)
    with pytest.raises(ValidationError) as refusal:
        wiring_from_env()
    assert refusal.value.field == missing
