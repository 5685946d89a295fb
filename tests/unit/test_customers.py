"""Tax codes, contact details, customers, actors and the staff search (U1, U2, O2, A1-A3)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core import subscriptions
from subscription_core.customers import (
    Actor,
    ActorKind,
    Contact,
    Customer,
    InvoiceInfo,
    Party,
    ServiceAccountant,
    find_customers,
    fold,
    require_ordering_right,
)
from subscription_core.errors import PermissionDeniedError, ValidationError, masked
from subscription_core.tax_codes import TaxCode, TaxCodeKind, check_digit

WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def reference_check(prefix: str) -> int:
    """The check value of U1 written out independently: 10 - (sum of weight × digit) mod 11."""
    return 10 - sum(w * int(d) for w, d in zip(WEIGHTS, prefix, strict=True)) % 11


# Real enterprise codes: MISA, VNPT, Viettel, FPT, Vietcombank, Vinamilk (their check digits are computed
# in test_u1_real_codes_have_the_computed_check_digit, not trusted).
REAL_CODES = ("0101243150", "0100684378", "0100109106", "0101248141", "0100112437", "0300588569")


@st.composite
def valid_enterprise_codes(draw: st.DrawFn) -> str:
    prefix = draw(st.text(alphabet="0123456789", min_size=9, max_size=9).filter(lambda p: reference_check(p) != 10))
    return prefix + str(reference_check(prefix))


def party(**changes: object) -> Party:
    fields: dict[str, object] = {
        "unit_name": "Công ty Cổ phần MISA",
        "address": "Tầng 9, tòa nhà Technosoft, Duy Tân, Cầu Giấy, Hà Nội",
        "email": "ketoan@misa.com.vn",
        "tax_code": "0101243150",
        "phone": "024 3795 9595",
    }
    fields.update(changes)
    return Party(**fields)


def customer(**changes: object) -> Customer:
    subscriber = party()
    fields: dict[str, object] = {
        "id": "cus-1",
        "name": "Công ty Cổ phần MISA",
        "tax_code": "0101243150",
        "subscriber": subscriber,
        "invoice": InvoiceInfo.same_as(subscriber),
    }
    fields.update(changes)
    return Customer(**fields)  # type: ignore[arg-type]


# --- U1: tax codes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", REAL_CODES)
def test_u1_real_codes_have_the_computed_check_digit(code: str) -> None:
    assert int(code[9]) == reference_check(code[:9])
    assert check_digit(code[:9]) == int(code[9])
    parsed = TaxCode.parse(code)
    assert str(parsed) == code
    assert parsed.kind is TaxCodeKind.ENTERPRISE
    assert parsed.enterprise == parsed


def test_u1_worked_check_digit_for_misa() -> None:
    # 0·31 + 1·29 + 0·23 + 1·19 + 2·17 + 4·13 + 3·7 + 1·5 + 5·3 = 175; 175 mod 11 = 10; 10 - 10 = 0.
    assert check_digit("010124315") == 0


def test_u1_spaces_anywhere_are_stripped() -> None:
    assert TaxCode.parse(" 0101 243 150\t").value == "0101243150"
    assert TaxCode.parse("0101243150 - 001").value == "0101243150-001"
    assert TaxCode.parse("0101243150\u00a0") == TaxCode.parse("0101243150")


def test_u1_branch_code() -> None:
    branch = TaxCode.parse("0101243150-001")
    assert branch.kind is TaxCodeKind.BRANCH
    assert branch.enterprise == TaxCode.parse("0101243150")
    assert str(branch) == "0101243150-001"


def test_u1_personal_identification_number_is_accepted() -> None:
    personal = TaxCode.parse("001099012345")
    assert personal.kind is TaxCodeKind.PERSONAL
    assert personal.enterprise is None


def test_u1_check_value_10_has_no_digit_so_the_prefix_is_refused() -> None:
    prefix = "100000008"  # 31 + 8·3 = 55 = 5 × 11, so 10 - 0 = 10
    assert reference_check(prefix) == 10
    assert check_digit(prefix) is None
    for last in "0123456789":
        with pytest.raises(ValidationError, match="check value is 10") as caught:
            TaxCode.parse(prefix + last)
        assert caught.value.rule == "U1"


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_u1_check_value_is_never_11_and_10_maps_to_none(prefix: str) -> None:
    expected = reference_check(prefix)
    assert 0 <= expected <= 10
    assert check_digit(prefix) == (None if expected == 10 else expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("010124315", "wrong length: 9 digits"),
        ("01012431500", "wrong length: 11 digits"),
        ("0101243150001", "13 digits; write a branch code"),
        ("0101243151", "bad check digit: the 10th digit does not match the first nine"),
        ("0101243150-000", "branch 000 is not a branch"),
        ("0101243150-01", "a branch number has 3 digits, got 2"),
        ("010124315-001", "starts with the 10-digit enterprise code, got 9 digits"),
        ("0101243151-001", "bad check digit"),
        ("0101243150-001-002", "more than one '-'"),
        ("01012431A0", "contains letters"),
        ("MST0101243150", "contains letters"),
        ("0101.243.150", "contains '.'"),
        ("０１０１２４３１５０", "contains"),  # full-width digits are not ASCII digits
    ],
)
def test_u1_bad_codes_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason) as caught:
        TaxCode.parse(text)
    error = caught.value
    assert (error.rule, error.field, error.value) == ("U1", "tax_code", masked(text, "tax_code"))


@pytest.mark.parametrize("value", [101243150, None, b"0101243150", 1.5])
def test_u1_a_tax_code_must_be_text(value: object) -> None:
    with pytest.raises(ValidationError, match="must be text") as caught:
        TaxCode(value=value)
    assert caught.value.field == "tax_code"


def test_u1_check_digit_wants_nine_digits() -> None:
    with pytest.raises(ValidationError, match="nine digits"):
        check_digit("12345678")
    with pytest.raises(ValidationError, match="nine digits"):
        check_digit("12345678a")


@given(valid_enterprise_codes(), st.lists(st.sampled_from([" ", "\t"]), max_size=3))
def test_u1_every_valid_code_round_trips(code: str, spaces: list[str]) -> None:
    parsed = TaxCode.parse("".join(spaces) + code[:4] + "".join(spaces) + code[4:])
    assert parsed.value == code
    assert TaxCode.parse(str(parsed)) == parsed
    assert TaxCode.parse(f"{code}-123").enterprise == parsed


@given(valid_enterprise_codes(), st.integers(0, 9), st.integers(1, 9))
def test_u1_every_single_digit_change_of_a_valid_code_is_refused(code: str, position: int, shift: int) -> None:
    changed = code[:position] + str((int(code[position]) + shift) % 10) + code[position + 1 :]
    with pytest.raises(ValidationError, match="check digit"):
        TaxCode.parse(changed)
    with pytest.raises(ValidationError, match="check digit"):
        TaxCode.parse(changed + "-001")


# --- O2: parties, contacts and invoice details ------------------------------------------------------------


def test_o2_party_normalizes_its_fields() -> None:
    p = party(
        unit_name="  Công ty   MISA ", email=" KeToan@MISA.com.VN ", phone="(024) 3795-9595", tax_code="0101 243 150"
    )
    assert p.unit_name == "Công ty MISA"
    assert p.email == "KeToan@misa.com.vn"
    assert p.phone == "02437959595"
    assert p.tax_code == TaxCode.parse("0101243150")
    assert p.contact == Contact(name="Công ty MISA", email="KeToan@misa.com.vn", phone="02437959595")


def test_o2_tax_code_and_phone_are_optional() -> None:
    p = party(tax_code=None, phone=None)
    assert p.tax_code is None
    assert p.phone is None
    assert party(phone="  ").phone is None


def test_o2_international_phone() -> None:
    assert party(phone="+84 912 345 678").phone == "+84912345678"


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("ketoan.misa.com.vn", "one '@'"),
        ("@misa.com.vn", "one '@'"),
        ("ketoan@", "one '@'"),
        ("a@b@misa.vn", "one '@'"),
        ("ke toan@misa.vn", "spaces"),
        (".ketoan@misa.vn", "before '@'"),
        ("ke..toan@misa.vn", "before '@'"),
        ("kếtoán@misa.vn", "before '@'"),
        ("ketoan@misa", "domain"),
        ("ketoan@-misa.vn", "domain"),
        ("ketoan@misa.v", "domain"),
        ("ketoan@misa.123", "domain"),
        ("ketoan@misa..vn", "domain"),
    ],
)
def test_o2_bad_email_is_refused_with_the_reason(email: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason) as caught:
        party(email=email)
    assert (caught.value.field, caught.value.value) == ("email", masked(email, "email"))


@pytest.mark.parametrize(
    ("phone", "reason"),
    [
        ("0912abc678", "only digits"),
        ("09123", "5 digits"),
        ("+84 9123 4567 8901 23", "16 digits"),
        ("++84912345678", "only digits"),
    ],
)
def test_o2_bad_phone_is_refused_with_the_reason(phone: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason) as caught:
        party(phone=phone)
    assert (caught.value.field, caught.value.value) == ("phone", masked(phone, "phone"))


@pytest.mark.parametrize(
    ("field", "value"),
    [("unit_name", ""), ("unit_name", None), ("address", "  "), ("address", 42), ("email", None), ("phone", 912345678)],
)
def test_o2_bad_party_fields_raise_validation_errors_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        party(**{field: value})
    assert caught.value.field == field


def test_i2_the_invoice_email_must_be_valid() -> None:
    with pytest.raises(ValidationError, match="one '@'") as caught:
        InvoiceInfo.of(party(email="hoadon.misa.com.vn"))
    assert (caught.value.rule, caught.value.field) == ("I2", "email")
    assert InvoiceInfo.of(party(email="HoaDon@MISA.vn")).buyer.email == "HoaDon@misa.vn"


def test_o2_bad_tax_code_on_a_party_names_the_field() -> None:
    with pytest.raises(ValidationError, match="check digit") as caught:
        party(tax_code="0101243151")
    assert (caught.value.rule, caught.value.field) == ("U1", "tax_code")


def test_o2_same_as_subscriber_copies_every_field() -> None:
    subscriber = party()
    invoice = InvoiceInfo.same_as(subscriber)
    assert invoice.same_as_subscriber
    assert invoice.buyer == subscriber
    other = InvoiceInfo.of(party(unit_name="Chi nhánh MISA", tax_code="0101243150-001"))
    assert not other.same_as_subscriber
    assert other.buyer.tax_code == TaxCode.parse("0101243150-001")


def test_o2_invoice_info_refuses_what_is_not_a_party() -> None:
    with pytest.raises(ValidationError, match="must be a Party") as caught:
        InvoiceInfo(buyer="MISA")  # type: ignore[arg-type]
    assert caught.value.field == "buyer"
    with pytest.raises(ValidationError):
        InvoiceInfo(buyer=party(), same_as_subscriber="yes")  # type: ignore[arg-type]


def test_o2_contact_needs_a_name_and_valid_email() -> None:
    with pytest.raises(ValidationError) as caught:
        Contact(name="", email="a@b.vn")
    assert caught.value.field == "name"
    with pytest.raises(ValidationError) as caught:
        Contact(name="Lan", email="lan")
    assert caught.value.field == "email"


# --- Customers and actors (A1-A3) -------------------------------------------------------------------------


def test_a1_buying_right_is_granted_and_revoked_as_new_versions() -> None:
    c = customer()
    granted = c.grant_buying_right("u-1")
    assert (granted.buyers, granted.version) == (frozenset({"u-1"}), 1)
    assert granted.may_buy(Actor.customer_user("u-1", "cus-1"))
    assert not granted.may_buy(Actor.customer_user("u-2", "cus-1"))
    assert not granted.may_buy(Actor.customer_user("u-1", "cus-2"))  # same user id, another company
    revoked = granted.revoke_buying_right("u-1")
    assert (revoked.buyers, revoked.version) == (frozenset(), 2)
    assert c.version == 0  # the original is untouched


def test_a3_accountant_link() -> None:
    c = customer().link_accountant("ktdv-1")
    assert c.is_client_of("ktdv-1")
    assert not c.is_client_of("ktdv-2")
    assert (c.accountant_id, c.version) == ("ktdv-1", 1)
    assert not c.unlink_accountant().is_client_of("ktdv-1")


def test_a1_a2_a3_ordering_rights() -> None:
    c = customer(buyers={"u-1"}, accountant_id="ktdv-1")
    require_ordering_right(Actor.customer_user("u-1", "cus-1"), c)
    require_ordering_right(Actor.staff("st-9"), c)
    require_ordering_right(Actor.accountant("ktdv-1"), c)
    for actor in (Actor.customer_user("u-2", "cus-1"), Actor.scheduler(), Actor.system("vnpay")):
        with pytest.raises(PermissionDeniedError) as caught:
            require_ordering_right(actor, c)
        assert caught.value.rule == "A1"
    with pytest.raises(PermissionDeniedError, match="not a client") as caught:
        require_ordering_right(Actor.accountant("ktdv-2"), c)
    assert (caught.value.rule, caught.value.value) == ("A3", "ktdv-2")


def test_a1_actor_kinds_and_predicates() -> None:
    user = Actor.customer_user("u-1", "cus-1")
    assert (user.is_customer_user, user.is_staff, user.belongs_to("cus-1"), user.belongs_to("cus-2")) == (
        True,
        False,
        True,
        False,
    )
    assert Actor.staff("st-1").is_staff
    assert Actor.accountant("k-1").is_accountant
    assert Actor.scheduler().is_scheduler
    assert Actor.system("vnpay").is_system
    assert not Actor.staff("st-1").belongs_to("cus-1")


def test_a1_an_actor_is_the_lifecycles_history_actor() -> None:
    actor = Actor.staff("st-1")
    assert isinstance(actor, subscriptions.Actor)
    entry = subscriptions.HistoryEntry(
        at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        event=subscriptions.Event.CANCEL,
        source=subscriptions.State.ACTIVE,
        target=subscriptions.State.CANCELLED,
        actor=actor,
        reason="asked by phone",
    )
    assert entry.actor.kind is ActorKind.STAFF


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "staff", "id": "st-1"},
        {"kind": ActorKind.STAFF, "id": ""},
        {"kind": ActorKind.STAFF, "id": "st-1", "customer_id": "cus-1"},
        {"kind": ActorKind.CUSTOMER, "id": "u-1"},
        {"kind": ActorKind.CUSTOMER, "id": "u-1", "customer_id": " "},
    ],
)
def test_a1_bad_actors_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Actor(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", ""),
        ("name", None),
        ("tax_code", "0101243151"),
        ("tax_code", None),
        ("subscriber", "MISA"),
        ("invoice", None),
        ("buyers", "u-1"),
        ("buyers", 3),
        ("buyers", {""}),
        ("version", -1),
        ("version", True),
        ("accountant_id", ""),
        ("business_code", 7),
    ],
)
def test_u1_bad_customer_fields_raise_validation_errors(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        customer(**{field: value})
    assert caught.value.field == ("tax_code" if field == "tax_code" else field)


def test_a3_service_accountant() -> None:
    firm = ServiceAccountant(
        id="ktdv-1", name="Đại lý thuế An Phát", contact=Contact(name="Lan", email="lan@anphat.vn")
    )
    assert firm.contact.email == "lan@anphat.vn"
    with pytest.raises(ValidationError) as caught:
        ServiceAccountant(id="ktdv-1", name="An Phát", contact="lan@anphat.vn")  # type: ignore[arg-type]
    assert caught.value.field == "contact"


# --- U2: staff search -------------------------------------------------------------------------------------


def search_book() -> list[Customer]:
    return [
        customer(id="c1", name="Công ty Cổ phần MISA", tax_code="0101243150"),
        customer(id="c2", name="Tổng Công ty Đầu tư Xây dựng", tax_code="0100684378", business_code="QHNS 1234567"),
        customer(id="c3", name="Chi nhánh MISA Hồ Chí Minh", tax_code="0101243150-001"),
        customer(id="c4", name="Hộ kinh doanh Nguyễn Văn A", tax_code="001099012345"),
    ]


def ids(found: tuple[Customer, ...]) -> list[str]:
    return [c.id for c in found]


def test_u2_find_by_tax_code_exactly_after_normalizing() -> None:
    book = search_book()
    assert ids(find_customers(book, " 0101 243 150 ")) == ["c1"]
    assert ids(find_customers(book, "0101243150-001")) == ["c3"]
    assert ids(find_customers(book, "001099012345")) == ["c4"]
    assert ids(find_customers(book, "0101243")) == []  # a prefix is not a tax code


def test_u2_find_by_name_ignores_case_and_diacritics() -> None:
    book = search_book()
    assert ids(find_customers(book, "cong ty")) == ["c1", "c2"]
    assert ids(find_customers(book, "dau tu")) == ["c2"]
    assert ids(find_customers(book, "ĐẦU TƯ")) == ["c2"]
    assert ids(find_customers(book, "misa")) == ["c1", "c3"]
    assert ids(find_customers(book, "nguyen  van")) == ["c4"]
    assert ids(find_customers(book, "viettel")) == []


def test_u2_find_by_business_code_and_tax_code_matches_come_first() -> None:
    book = [*search_book(), customer(id="c5", name="0101243150 Trading", tax_code="0100109106")]
    assert ids(find_customers(book, "qhns 1234567")) == ["c2"]
    assert ids(find_customers(book, "0101243150")) == ["c1", "c5"]


@pytest.mark.parametrize("query", ["", "   ", None])
def test_u2_empty_query_is_refused(query: object) -> None:
    with pytest.raises(ValidationError) as caught:
        find_customers(search_book(), query)  # type: ignore[arg-type]
    assert caught.value.rule == "U2"


def test_a1_ordering_rights_want_an_actor_and_a_customer() -> None:
    with pytest.raises(ValidationError, match="must be an Actor"):
        require_ordering_right("st-1", customer())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be a Customer"):
        require_ordering_right(Actor.staff("st-1"), "cus-1")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        customer().revoke_buying_right([])  # type: ignore[arg-type]


def test_u2_fold() -> None:
    assert fold("  Công ty  TNHH Đầu Tư ") == "cong ty tnhh dau tu"
    assert fold("ĐƯỜNG") == "duong"
    with pytest.raises(ValidationError):
        fold(None)  # type: ignore[arg-type]
