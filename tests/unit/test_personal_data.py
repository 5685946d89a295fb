"""Personal data never appears in an error (house rule): e-mails, tax codes, phones and account numbers.

Errors are logged, so every constructor or parser that refuses an e-mail address (I2), a tax code (U1), a
phone number (O2) or a bank account number (Y3) passes it through :func:`subscription_core.errors.masked`:
the raw input (when longer than 4 characters) is in none of ``str``, ``repr``, ``args`` or ``value`` of the
error, which still names the rule, the field and the reason.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from subscription_core.contact_details import email_address, is_email_address, phone_number
from subscription_core.customers import Contact, Customer, InvoiceInfo, Party, ServiceAccountant
from subscription_core.errors import ConflictError, SubscriptionError, ValidationError, masked
from subscription_core.tax_codes import TaxCode, check_digit
from subscription_core.testing import valid_tax_code
from subscription_core_adapters.banking import BankTransferProvider, ServiceCode, VietQR, account_number, parse_payload
from subscription_core_adapters.einvoice import Seller
from subscription_core_adapters.einvoice.fields import checked_email, checked_tax_code
from subscription_core_adapters.email import Security, SmtpSettings
from subscription_core_adapters.email import is_email_address as smtp_is_email_address
from subscription_core_adapters.memory import MemoryStore
from subscription_core_adapters.memory.unit_of_work import MemoryUnitOfWork

DIGITS = string.digits
WORD = string.ascii_lowercase + string.digits
TAX_CODE = valid_tax_code(1_243)
PARTY: dict[str, Any] = {"unit_name": "Công ty MISA", "address": "Hà Nội", "email": "ketoan@misa.vn"}
SELLER: dict[str, Any] = {"name": "Sao Mai", "tax_code": TAX_CODE, "address": "Hà Nội", "email": "hoadon@saomai.vn"}
SMTP: dict[str, Any] = {
    "host": "smtp.example.vn",
    "port": 587,
    "sender": "notices@example.vn",
    "message_id_domain": "notices.example.vn",
    "security": Security.STARTTLS,
}


def everything_shown(error: SubscriptionError) -> str:
    """All an error shows a log or a caller: its text, its repr, its args and its value."""
    return "\n".join([str(error), repr(error), *map(str, error.args), *map(repr, error.args), repr(error.value)])


def assert_masked(error: SubscriptionError, raw: str, *, rule: str, field: str) -> None:
    """``raw`` (as typed, and without its whitespace) is not shown; the rule and the field are."""
    shown = everything_shown(error)
    for form in {raw.strip(), "".join(raw.split())}:
        if len(form) > 4:
            assert form not in shown
    assert (error.rule, error.field) == (rule, field)
    assert str(error).startswith(f"[{rule}] {field}: " if rule else f"{field}: ")
    assert error.message


def refusal(build: Any, *args: Any, **kwargs: Any) -> SubscriptionError:
    with pytest.raises(SubscriptionError) as caught:
        build(*args, **kwargs)
    return caught.value


# --- generated invalid inputs -------------------------------------------------------------------------


@st.composite
def wrong_check_digit_codes(draw: st.DrawFn) -> str:
    """Nine digits, a 10th that is not their check digit, and sometimes a branch number."""
    # A sequence of 0000000 is refused under U3 before the check digit is looked at (tests/unit/test_tax_codes.py).
    prefix = draw(st.text(DIGITS, min_size=9, max_size=9).filter(lambda p: p[2:] != "0000000"))
    expected = check_digit(prefix)
    last = draw(st.sampled_from([d for d in DIGITS if expected is None or int(d) != expected]))
    return prefix + last + draw(st.sampled_from(["", "-001", "-123"]))


@st.composite
def codes_with_letters(draw: st.DrawFn) -> str:
    digits = draw(st.text(DIGITS, min_size=8, max_size=13))
    at = draw(st.integers(0, len(digits)))
    return digits[:at] + draw(st.text(string.ascii_letters + "đĐ", min_size=1, max_size=3)) + digits[at:]


@st.composite
def bad_branches(draw: st.DrawFn) -> str:
    head = valid_tax_code(draw(st.integers(0, 10**8 - 1)))
    return head + "-" + draw(st.sampled_from(["000", "01", "0001", "001-002"]))


def bad_tax_codes() -> st.SearchStrategy[str]:
    """Wrong check digit, wrong length, letters, bad branch numbers, stray characters; spaces sometimes."""
    wrong_length = st.text(DIGITS, min_size=5, max_size=20).filter(lambda t: len(t) not in {10, 12})
    stray = st.builds(lambda c, s: c[:4] + s + c[4:], wrong_check_digit_codes(), st.sampled_from("./_,+"))
    full_width = st.builds(lambda c: c.translate({ord(d): 0xFF10 + int(d) for d in DIGITS}), wrong_length)
    codes = st.one_of(wrong_check_digit_codes(), wrong_length, codes_with_letters(), bad_branches(), stray, full_width)
    return st.builds(lambda c, pad: f"{pad}{c}{pad}", codes, st.sampled_from(["", " ", "\t"]))


@st.composite
def bad_emails(draw: st.DrawFn) -> str:
    local = draw(st.text(WORD, min_size=1, max_size=12))
    host = draw(st.text(WORD, min_size=1, max_size=12))
    tld = draw(st.sampled_from(["vn", "com", "com.vn", "net"]))
    shapes = [
        f"{local}.{host}.{tld}",  # no '@'
        f"{local}@@{host}.{tld}",
        f"{local}@{host}@{host}.{tld}",
        f"{local} {local}@{host}.{tld}",
        f".{local}@{host}.{tld}",
        f"{local}..{local}@{host}.{tld}",
        f"{local}ế@{host}.{tld}",
        f"{local}@{host}",  # no top-level domain
        f"{local}@-{host}.{tld}",
        f"{local}@{host}.{tld}.1",
        f"{local}@{host}..{tld}",
        f"{local}@",
        f"@{host}.{tld}",
        f"{local}@{host}.{tld}\nBcc: {local}@{host}.{tld}",
    ]
    email = draw(st.sampled_from(shapes))
    assume(not is_email_address(email.strip()))
    return email


@st.composite
def bad_phones(draw: st.DrawFn) -> str:
    digits = draw(st.text(DIGITS, min_size=5, max_size=22))
    short_or_long = digits if not 8 <= len(digits) <= 15 else digits + "0" * 8
    at = draw(st.integers(0, len(digits)))
    shapes = [
        short_or_long,
        "+" + short_or_long,
        digits[:at] + draw(st.sampled_from(["abc", "x", "#", "đ", "*"])) + digits[at:],
        "++" + digits,
    ]
    return draw(st.sampled_from(shapes))


@st.composite
def bad_accounts(draw: st.DrawFn) -> str:
    digits = draw(st.text(DIGITS, min_size=5, max_size=19))
    at = draw(st.integers(1, len(digits) - 1))
    return draw(st.sampled_from([digits[:at] + "-" + digits[at:], digits + "0" * 20, digits[:at] + "đ" + digits[at:]]))


# --- masked -----------------------------------------------------------------------------------------------


def test_masked_keeps_the_shape_a_support_engineer_needs() -> None:
    assert masked("ketoan@hoadon.vn", "email") == "k***@h***.vn"
    assert masked("KeToan@misa.com.vn", "email") == "K***@m***.vn"
    assert masked("hoadon.misa.com.vn", "email") == "h***"  # no '@': nothing of the domain is shown
    assert masked("ketoan@misa.nguyenvana", "email") == "k***@m***"  # a "top-level domain" too long to show
    assert masked("0101243150", "tax_code") == "01****3150"
    assert masked("0101243150-001", "tax_code") == "01********-001"
    assert masked("001099012345", "tax_code") == "00******2345"
    assert masked("0912345678", "phone") == "09****5678"
    assert masked("0011004000000", "account") == "00*******0000"
    assert masked("12345", "phone") == "1**45"
    assert masked("0912", "phone") == "****"
    assert masked(" 0912 ", "phone") == "****"
    assert masked("", "email") == ""
    assert masked(912345678, "phone") == "<int>"
    assert masked(None, "email") == "<None>"
    assert masked("k***@h***.vn", "email") == "***"  # a mask of a mask would show the text whole


@given(st.text(max_size=40), st.sampled_from(["email", "tax_code", "phone", "account"]))
def test_masked_never_shows_a_text_longer_than_4_characters(text: str, kind: Any) -> None:
    shown = masked(text, kind)
    bare = text.strip()
    assert bare not in shown or len(bare) <= 4


@given(st.text(DIGITS + "-+ ", min_size=5, max_size=30), st.sampled_from(["tax_code", "phone", "account"]))
def test_masked_numbers_keep_their_length_and_show_at_most_2_then_4(text: str, kind: Any) -> None:
    bare = text.strip()
    shown = masked(text, kind)
    assume(shown != "***")  # the text was itself all '*'
    assert len(shown) == len(bare)
    visible = [i for i, c in enumerate(shown) if c != "*"]
    assert len(visible) <= min(6, len(bare) * 3 // 5)
    assert all(i < 2 or i >= len(bare) - 4 for i in visible)


# --- U1: tax codes --------------------------------------------------------------------------------------


@given(bad_tax_codes())
def test_u1_a_refused_tax_code_is_masked_by_every_parser(raw: str) -> None:
    assert_masked(refusal(TaxCode.parse, raw), raw, rule="U1", field="tax_code")
    assert_masked(refusal(TaxCode, value=raw), raw, rule="U1", field="tax_code")
    assert_masked(refusal(Party, **PARTY, tax_code=raw), raw, rule="U1", field="tax_code")
    contact = Contact(name="Kế toán", email="ketoan@ktdv.vn")
    accountant = refusal(ServiceAccountant, id="acc-1", name="KTDV", contact=contact, tax_code=raw)
    assert_masked(accountant, raw, rule="U1", field="tax_code")
    assert_masked(refusal(checked_tax_code, raw, "buyer.tax_code"), raw, rule="U1", field="buyer.tax_code")


@given(bad_tax_codes())
def test_u1_a_customer_or_a_seller_with_a_bad_tax_code_is_refused_masked(raw: str) -> None:
    details = Party(**PARTY)
    customer = refusal(
        Customer, id="cus-1", name="MISA", tax_code=raw, subscriber=details, invoice=InvoiceInfo.same_as(details)
    )
    assert_masked(customer, raw, rule="U1", field="tax_code")
    assert_masked(refusal(Seller, **{**SELLER, "tax_code": raw}), raw, rule="U1", field="seller.tax_code")
    provider = refusal(Seller, **SELLER, solution_provider=raw)
    assert_masked(provider, raw, rule="U1", field="seller.solution_provider")


@given(st.text(DIGITS + "abc", min_size=5, max_size=12).filter(lambda t: len(t) != 9 or not t.isdigit()))
def test_u1_check_digit_masks_what_is_not_nine_digits(raw: str) -> None:
    assert_masked(refusal(check_digit, raw), raw, rule="U1", field="tax_code")


def test_u1_no_message_quotes_the_digits_of_a_code() -> None:
    for raw in ("0101243151", "1000000085", "0101243151-001"):
        error = refusal(TaxCode.parse, raw)
        assert "check digit" in error.message
        assert not any(raw[i : i + 5] in everything_shown(error) for i in range(len(raw) - 4))


def test_u1_a_tax_code_taken_by_another_customer_is_masked_in_the_conflict() -> None:
    def customer(customer_id: str) -> Customer:
        details = Party(**PARTY, tax_code=TAX_CODE)
        return Customer(
            id=customer_id, name="MISA", tax_code=TAX_CODE, subscriber=details, invoice=InvoiceInfo.same_as(details)
        )

    with MemoryUnitOfWork(MemoryStore()) as uow:
        uow.customers.add(customer("cus-1"))
        with pytest.raises(ConflictError) as caught:
            uow.customers.add(customer("cus-2"))
    assert_masked(caught.value, TAX_CODE, rule="U1", field="tax_code")
    assert caught.value.value == masked(TAX_CODE, "tax_code")


# --- I2: e-mail addresses -------------------------------------------------------------------------------


@given(bad_emails())
def test_i2_a_refused_email_is_masked_by_every_constructor(raw: str) -> None:
    assert_masked(refusal(Party, **{**PARTY, "email": raw}), raw, rule="I2", field="email")
    assert_masked(refusal(Contact, name="Kế toán", email=raw), raw, rule="I2", field="email")
    assert_masked(refusal(lambda: InvoiceInfo.of(Party(**{**PARTY, "email": raw}))), raw, rule="I2", field="email")
    assert_masked(refusal(email_address, raw), raw, rule="I2", field="email")
    assert_masked(refusal(checked_email, raw, "buyer.email"), raw, rule="I2", field="buyer.email")
    assert_masked(refusal(Seller, **{**SELLER, "email": raw}), raw, rule="I2", field="seller.email")
    with pytest.raises(ValidationError) as caught:
        SmtpSettings(**{**SMTP, "sender": raw})
    assert_masked(caught.value, raw, rule="", field="sender")  # settings: no domain rule applies


@given(bad_emails())
def test_i2_the_core_check_is_the_one_smtp_uses(raw: str) -> None:
    assert smtp_is_email_address is is_email_address
    assert not is_email_address(raw)


@given(st.text(WORD, min_size=1, max_size=20), st.text(WORD, min_size=1, max_size=20), st.sampled_from(["vn", "com"]))
def test_i2_a_valid_address_is_taken_as_is_and_only_stripped_by_the_constructors(
    local: str, host: str, tld: str
) -> None:
    address = f"{local}@{host}.{tld}"
    assert is_email_address(address)
    assert not is_email_address(f" {address}")
    assert not is_email_address(f"{address}\n")
    assert Party(**{**PARTY, "email": f" {address}\n"}).email == address


# --- O2: phone numbers ----------------------------------------------------------------------------------


@given(bad_phones())
def test_o2_a_refused_phone_is_masked(raw: str) -> None:
    assert_masked(refusal(Party, **PARTY, phone=raw), raw, rule="O2", field="phone")
    assert_masked(refusal(Contact, name="Kế toán", email="ketoan@misa.vn", phone=raw), raw, rule="O2", field="phone")
    assert_masked(refusal(phone_number, raw), raw, rule="O2", field="phone")


def test_o2_a_phone_that_is_not_text_shows_its_type_only() -> None:
    error = refusal(Party, **PARTY, phone=912345678)
    assert_masked(error, "912345678", rule="O2", field="phone")
    assert error.value == "<int>"


def test_i1_a_seller_phone_or_account_too_long_is_not_echoed() -> None:
    for field, raw in (("phone", "0243795959502437959595"), ("bank_account", "0011004123456" * 3)):
        assert_masked(refusal(Seller, **SELLER, **{field: raw}), raw, rule="I1", field=f"seller.{field}")


# --- Y3: bank account numbers ---------------------------------------------------------------------------


@given(bad_accounts())
def test_y3_a_refused_account_number_is_masked(raw: str) -> None:
    assert_masked(refusal(account_number, raw), raw, rule="Y3", field="account")
    assert_masked(refusal(VietQR, bin="970436", account=raw), raw, rule="Y3", field="account")
    card = refusal(VietQR, bin="970436", service=ServiceCode.CARD, account=raw + "A")
    assert_masked(card, raw + "A", rule="Y3", field="account")
    provider = refusal(BankTransferProvider, bank="VCB", account=raw, account_name="CONG TY ABC")
    assert_masked(provider, raw, rule="Y3", field="account")


def test_y3_an_account_holder_name_is_left_out_of_the_error() -> None:
    raw = "CONG TY\nNGUYEN VAN AN"
    error = refusal(BankTransferProvider, bank="VCB", account="0011004000000", account_name=raw)
    assert_masked(error, raw, rule="Y3", field="account_name")
    assert "NGUYEN" not in everything_shown(error)
    assert not error.has_value


def test_y3_a_payload_that_is_not_ascii_shows_its_length_not_the_account() -> None:
    payload = VietQR(bin="970436", account="0011004000000", purpose="SC123").payload().replace("SC123", "SCđ23")
    error = refusal(parse_payload, payload)
    assert "0011004000000" not in everything_shown(error)
    assert error.value == f"{len(payload)} characters"
