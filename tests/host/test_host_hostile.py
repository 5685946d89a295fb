"""Whatever a client sends, the reference host answers: a 4xx in the error shape, never a 500.

Requests with drawn JSON bodies, ids, bank codes and files go to every route that reads input, on SQLite;
Starlette's TestClient re-raises any exception the app lets escape, so a crash fails the test.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from examples.host.app import create_app
from httpx2 import Response
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient
from tests.host.test_host import ERROR_KEYS, customer, place, sign_up

LEAF = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
JSON = st.recursive(
    LEAF, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3), max_leaves=6
)
MONEY = st.fixed_dictionaries({"amount": JSON | st.just("12000000"), "currency": JSON | st.just("VND")})
PURCHASE = st.fixed_dictionaries(
    {},
    optional={
        "customer_id": JSON,
        "plan": JSON | st.sampled_from(["amis-professional", "amis-standard"]),
        "option": JSON | st.just("1y"),
        "codes": JSON | st.lists(st.text(max_size=30), max_size=3),
        "addons": JSON | st.lists(st.fixed_dictionaries({"addon": JSON, "quantity": JSON}), max_size=2),
    },
)
KEY_CHARACTERS = st.characters(min_codepoint=0x21, max_codepoint=0x7E)  # what an HTTP header carries as it is
BODIES = {
    "/quote": PURCHASE,
    "/signup": st.fixed_dictionaries(
        {}, optional={"name": JSON, "tax_code": JSON | st.just("0100109106"), "subscriber": JSON}
    ),
    "/orders": st.fixed_dictionaries(
        {},
        optional={
            "purchase": PURCHASE,
            "checkout": st.fixed_dictionaries({}, optional={"confirmed": JSON, "expected_total": MONEY | JSON}),
        },
    ),
}


@pytest.fixture
def client(settings: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    del settings  # set in the environment
    monkeypatch.setenv("SHOP_DATABASE", str(tmp_path / "shop.sqlite3"))
    with TestClient(create_app()) as running:
        yield running


def answered(answer: Response) -> None:
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400 and answer.headers["content-type"].startswith("application/json"):
        assert set(answer.json()) >= ERROR_KEYS


def test_any_json_body_is_answered_without_a_server_error(client: TestClient) -> None:
    company = sign_up(client, "0101243150", "Công ty TNHH Sao Mai")
    headers = {**customer(company), "X-Staff": "st-lan"}

    @given(route=st.sampled_from(sorted(BODIES)), data=st.data(), key=st.none() | st.text(KEY_CHARACTERS, max_size=300))
    def post(route: str, data: st.DataObject, key: str | None) -> None:
        body = data.draw(BODIES[route] | JSON)
        sent = headers if key is None else {**headers, "Idempotency-Key": key}
        answered(client.post(route, json=body, headers=sent))

    post()


def test_any_id_bank_code_or_file_is_answered_without_a_server_error(client: TestClient) -> None:
    company = sign_up(client, "0101243150", "Công ty TNHH Sao Mai")
    order_id = place(client, company, "order-1", [])["id"]
    headers = {**customer(company), "X-Staff": "st-lan"}

    @given(
        ident=st.text(min_size=1) | st.just(order_id),
        bank=st.text(),
        data=st.binary(max_size=300),
        form=st.text(max_size=20),
    )
    def send(ident: str, bank: str, data: bytes, form: str) -> None:
        path = urllib.parse.quote(ident, safe="")
        answered(client.get(f"/orders/{path}", headers=headers))
        answered(client.get(f"/orders/{path}/transfer", headers=headers))
        answered(client.post(f"/orders/{path}/vnpay", params={"bank": bank}, headers=headers))
        answered(client.post("/quote", content=data, headers={"Content-Type": "application/json"}))
        answered(client.get("/vnpay/ipn", params={"vnp_TxnRef": ident, "vnp_SecureHash": bank}))
        answered(client.get("/vnpay/return", params={"vnp_TxnRef": ident, "vnp_Amount": bank}))
        files = {"file": ("s.csv", data, "text/csv")}
        answered(client.post("/staff/statements", headers=headers, files=files, data={"format": form}))

    send()
