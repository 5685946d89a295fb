"""The one text check (issue 14): every text the library stores or prints is clean, or refused with its reason.

``subscription_core.texts.text_problem`` names what is wrong; ``errors.checked_text`` and the attrs validators
built on it add a length, the field and a masked value. Whatever text passes round-trips through the
idempotency fingerprint, every store (tests/contract/test_texts_stored.py) and the e-invoice
(tests/adapters/einvoice/test_limits.py); whatever does not is a ``ValidationError``.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.customers import Actor, Party
from subscription_core.errors import ValidationError, checked_id, checked_text, required_text
from subscription_core.services.idempotency import fingerprint
from subscription_core.texts import ID_LIMIT, LINE_LIMIT, NOTE_LIMIT, text_problem

REFUSED = {
    "lone surrogate": ("Công ty \ud800", "lone surrogate (U+D800)"),
    "low surrogate": ("\udfff", "lone surrogate (U+DFFF)"),
    "NUL": ("Công ty\x00ABC", "control character (U+0000)"),
    "escape": ("Công ty \x1b[31m", "control character (U+001B)"),
    "DEL": ("a\x7fb", "control character (U+007F)"),
    "C1": ("a\x85b", "control character (U+0085)"),
    "line break in one line": ("Công ty\nABC", "control character (U+000A)"),
    "tab in one line": ("Công ty\tABC", "control character (U+0009)"),
    "line separator in one line": ("Công ty\u2028ABC", "control character (U+2028)"),
    "non-character": ("Công ty \ufffe", "U+FFFE, a Unicode non-character"),
    "non-character of a plane": ("a\U0010ffff", "U+10FFFF, a Unicode non-character"),
    "right-to-left override": ("Công ty \u202eCBA", "bidirectional control character (U+202E)"),
    "left-to-right embedding": ("\u202aabc", "bidirectional control character (U+202A)"),
    "isolate": ("abc\u2066def\u2069", "bidirectional control character (U+2066)"),
    "zero-width spaces only": ("\u200b\u200b", "only invisible characters"),
    "byte order mark only": ("\ufeff", "only invisible characters"),
    "joiners and spaces only": (" \u200c \u200d ", "only invisible characters"),
    "Hangul filler only": ("\u3164", "only invisible characters"),
}

TAKEN = [
    "Công ty TNHH Hòa Bình — 12/3 Lê Lợi",
    "شركة البرمجيات",  # right-to-left script, no override needed
    "a\u200eb\u200fc",  # left-to-right and right-to-left marks are not overrides
    "👩\u200d💻 đội kỹ thuật",  # a zero-width joiner inside an emoji sequence
    "\u00adsoft hyphen",
    "株式会社",
    "",
]


@pytest.mark.parametrize(("text", "problem"), REFUSED.values(), ids=REFUSED.keys())
def test_texts_each_class_of_refused_character_is_named_with_its_code_point(text: str, problem: str) -> None:
    found = text_problem(text)
    assert found is not None
    assert problem in found
    with pytest.raises(ValidationError) as refused:
        checked_text(text, field="note", rule="Y6")
    assert (refused.value.rule, refused.value.field, refused.value.message) == ("Y6", "note", found)


@pytest.mark.parametrize("text", TAKEN)
def test_texts_ordinary_text_of_any_script_is_taken(text: str) -> None:
    assert text_problem(text) is None
    assert checked_text(text, field="name") == text


def test_texts_a_text_of_several_lines_takes_tab_and_line_breaks_only() -> None:
    note = "Khách chuyển khoản hai lần:\r\n\t- lần 1\u2028- lần 2"
    assert text_problem(note, lines=True) is None
    assert checked_text(note, field="note", lines=True, most=NOTE_LIMIT) == note
    assert text_problem(note) is not None
    for bad in ["a\x00b", "a\x0bb", "a\x1bb", "\ud800", "a\u202eb"]:
        assert text_problem(note + bad, lines=True) is not None


@pytest.mark.parametrize(
    ("check", "limit"),
    [
        (lambda text: checked_id(text, field="order_id"), ID_LIMIT),
        (lambda text: required_text(text, field="reason"), LINE_LIMIT),
        (lambda text: checked_text(text, field="note", lines=True, most=NOTE_LIMIT), NOTE_LIMIT),
    ],
)
def test_texts_a_text_too_long_names_the_limit_and_is_masked(check: object, limit: int) -> None:
    assert callable(check)
    check("x" * limit)
    secret = "0912345678" + "x" * limit
    with pytest.raises(ValidationError) as refused:
        check(secret)
    assert f"has {limit + 10} characters; at most {limit} are allowed" in refused.value.message
    assert "0912345678" not in str(refused.value)


def test_o2_a_name_is_never_shown_in_the_error_that_refuses_it() -> None:
    # A party loads as stored (documents written before the check); it is checked where it enters.
    party = Party(unit_name="Nguyễn Văn An\x00", address="Hà Nội", email="an@congty.vn")
    with pytest.raises(ValidationError) as refused:
        party.check_names("subscriber")
    assert (refused.value.rule, refused.value.field) == ("O2", "subscriber.unit_name")
    assert not refused.value.has_value
    assert "Nguyễn" not in str(refused.value)


@pytest.mark.parametrize("text", ["\ud800", "u\x00", "u-1\u202e", "\u200b", "u" * 1001])
def test_a1_an_actor_with_an_id_the_library_does_not_store_is_refused(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Actor.customer_user(text, "cus-1")
    assert refused.value.field == "id"


_AWKWARD = ["\x00", "\x1b", "\n", "\t", "\x85", "\u2028", "\u202e", "\u2066", "\u200b", "\ufeff", "\ufffe", "\ud800"]
ANY_TEXT = st.text(st.one_of(st.characters(), st.sampled_from(_AWKWARD), st.sampled_from("Đđươàáạ ")), max_size=40)


@given(ANY_TEXT)
def test_texts_any_text_is_refused_with_a_validation_error_or_round_trips(text: str) -> None:
    stripped = text.strip()
    if not stripped or text_problem(stripped) is not None or len(stripped) > LINE_LIMIT:
        with pytest.raises(ValidationError) as refused:
            required_text(text, field="name", shown=None)
        assert refused.value.field == "name"
        return
    kept = required_text(text, field="name", shown=None)
    assert kept == stripped
    assert kept.encode("utf-8").decode("utf-8") == kept  # every store, log and XML document can hold it
    assert "\x00" not in kept  # PostgreSQL's text and JSON refuse NUL
    assert len(fingerprint(name=kept)) == 64
    assert fingerprint(name=kept) == fingerprint(name=str(kept))


@given(st.text(st.one_of(st.characters(), st.sampled_from(_AWKWARD))))
def test_texts_the_fingerprint_never_raises_for_any_text(text: str) -> None:
    assert len(fingerprint(text=text, texts=[text, {text: text}])) == 64
