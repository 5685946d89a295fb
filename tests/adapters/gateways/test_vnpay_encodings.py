"""Y1: what VNPay's samples in five languages encode alike, and the characters the adapter refuses because they do not.

The checksum is an HMAC over ``name=encode(value)`` pairs, so it depends on how ``encode`` writes each
character. VNPay publishes samples in several languages, each with its platform's encoder; the reference
encoders below restate what each leaves unescaped, from the platforms' documentation:

- PHP ``urlencode`` (VNPay's ``vnpay_php`` sample): letters, digits and ``-_.``; space as ``+``.
- Java ``URLEncoder.encode`` (``vnpay_jsp``): letters, digits and ``-_.*``; space as ``+``.
- .NET ``WebUtility.UrlEncode`` (``VnPayLibrary.cs``): letters, digits and ``-_.!*()``; space as ``+``.
- Node ``encodeURIComponent`` then ``%20`` → ``+`` (the ``vnpay_nodejs`` demo's ``sortObject``): letters,
  digits and ``-_.!~*'()``.
- Python ``urllib.parse.quote_plus`` (VNPay's Python sample, and this adapter): letters, digits and ``-_.~``.

Non-ASCII characters are left out here (the Java sample writes them as ``?``; the adapter never sends one).
"""

from __future__ import annotations

import string
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.errors import ValidationError
from subscription_core.payments import PaymentMethod
from subscription_core.ports import PaymentRequest, PaymentStart
from subscription_core_adapters.gateways import VnpayConfig, VnpayProvider
from subscription_core_adapters.gateways.vnpay import check_signable, hash_data
from subscription_core_adapters.local import ManualClock

from .conftest import SECRET, T0, TMN_CODE, url_params

ALNUM = string.ascii_letters + string.digits


def encoder(unescaped: str) -> Callable[[str], str]:
    keep = frozenset(ALNUM + unescaped)

    def encode(text: str) -> str:
        return "".join(c if c in keep else "+" if c == " " else "".join(f"%{b:02X}" for b in c.encode()) for c in text)

    return encode


SAMPLES: dict[str, Callable[[str], str]] = {
    "php urlencode": encoder("-_."),
    "java URLEncoder": encoder("-_.*"),
    ".NET WebUtility.UrlEncode": encoder("-_.!*()"),
    "node encodeURIComponent": encoder("-_.!~*'()"),
    "python quote_plus": encoder("-_.~"),
}
PRINTABLE = "".join(map(chr, range(0x20, 0x7F)))
DISPUTED = "!'()*~"  # where the samples above disagree
URL_SAFE = "".join(c for c in PRINTABLE if c not in DISPUTED + " ")


def provider(return_url: str = "https://shop.example/vnpay/return") -> VnpayProvider:
    config = VnpayConfig(tmn_code=TMN_CODE, hash_secret=SECRET, return_url=return_url)
    return VnpayProvider(config, clock=ManualClock(T0))


def request(**overrides: str) -> PaymentRequest:
    fields = {
        "payment_id": "pay-0001",
        "order_id": "ord-0001",
        "amount": "6600000",
        "currency": "VND",
        "description": "MISA AMIS Kế toán, 1 năm",
        "return_url": "",
    }
    fields.update(overrides)
    return PaymentRequest(
        method=PaymentMethod.domestic_card("NCB"),
        payment_id=fields["payment_id"],
        order_id=fields["order_id"],
        amount=fields["amount"],
        currency=fields["currency"],
        description=fields["description"],
        return_url=fields["return_url"],
    )


def redirect(started: PaymentStart) -> str:
    assert started.redirect_url is not None
    return started.redirect_url


def test_the_reference_encoders_agree_with_python_on_what_python_documents() -> None:
    from urllib.parse import quote_plus  # noqa: PLC0415 - only here, as the check of the reference encoders

    for text in (PRINTABLE, "a b~c", "https://shop.example/return?x=1&y=2"):
        assert SAMPLES["python quote_plus"](text) == quote_plus(text)


@pytest.mark.parametrize("char", list(DISPUTED))
def test_y1_the_samples_disagree_on_each_refused_character(char: str) -> None:
    assert len({encode(char) for encode in SAMPLES.values()}) == 2  # some keep it, some escape it


@pytest.mark.parametrize("char", list("!'()"))
def test_y1_a_return_url_with_a_character_net_or_node_sign_unescaped_is_refused(char: str) -> None:
    url = f"https://shop.example/vnpay/return?o={char}x"
    with pytest.raises(ValidationError) as caught:
        provider().start(request(return_url=url))
    assert (caught.value.rule, caught.value.field) == ("Y1", "return_url")
    assert char in caught.value.message
    assert "percent-encode" in caught.value.message
    with pytest.raises(ValidationError) as caught:
        provider(return_url=url)
    assert caught.value.field == "return_url"


@pytest.mark.parametrize("char", ["~", "*", " "])
def test_y1_a_return_url_with_a_tilde_a_star_or_a_space_is_refused(char: str) -> None:
    with pytest.raises(ValidationError) as caught:
        provider().start(request(return_url=f"https://shop.example/{char}me/return"))
    assert (caught.value.rule, caught.value.field) == ("Y1", "return_url")


def test_y1_percent_encoded_the_same_url_is_taken() -> None:
    url = "https://shop.example/vnpay/return?o=%21%27%28%29%7E%2A"
    started = provider().start(request(return_url=url))
    assert url_params(redirect(started))["vnp_ReturnUrl"] == url


@given(st.text(alphabet=URL_SAFE, max_size=60))
def test_y1_every_sample_encodes_an_accepted_return_url_alike(path: str) -> None:
    url = f"https://shop.example/{path}".split("#", 1)[0]
    started = provider().start(request(return_url=url))  # taken: no character of it is disputed
    assert url_params(redirect(started))["vnp_ReturnUrl"] == url
    assert len({encode(url) for encode in SAMPLES.values()}) == 1


@given(st.text(alphabet=PRINTABLE, min_size=1, max_size=30))
def test_y1_the_samples_agree_on_any_value_without_the_disputed_characters(value: str) -> None:
    agree = len({encode(value) for encode in SAMPLES.values()}) == 1
    assert agree == (not set(value) & set(DISPUTED))


def test_y1_every_payment_url_the_adapter_makes_reads_the_same_in_every_sample() -> None:
    started = provider().start(request(description="Gói (Đặc biệt) ~*! 'x'", return_url="https://a.example/r?x=1"))
    signed = {k: v for k, v in url_params(redirect(started)).items() if k != "vnp_SecureHash"}
    texts = {"&".join(f"{k}={encode(v)}" for k, v in sorted(signed.items())) for encode in SAMPLES.values()}
    assert texts == {hash_data(signed)}


@pytest.mark.parametrize("name", ["vnp_OrderInfo", "vnp_ReturnUrl", "vnp_TxnRef", "vnp_Custom_Field"])
def test_y1_a_tilde_in_any_signed_field_is_refused_naming_it(name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_signable({"vnp_Amount": "100000", name: "a~b"})
    assert (caught.value.rule, caught.value.field) == ("Y1", name)
    assert "'~'" in caught.value.message
    assert "a~b" not in str(caught.value)


def test_y1_fields_that_are_not_signed_may_hold_a_tilde() -> None:
    check_signable({"vnp_SecureHash": "~", "vnp_SecureHashType": "~", "utm_source": "~", "vnp_Amount": "1"})
