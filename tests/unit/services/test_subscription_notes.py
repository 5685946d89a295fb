"""Notes on a subscription (S8, oneSME's "Ghi nhớ" tab): ``add_subscription_note``."""

from __future__ import annotations

import pytest

from subscription_core.customers import Actor
from subscription_core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from subscription_core.services import add_subscription_note, subscription_details
from subscription_core.services.subscription_notes import NOTES_PER_SUBSCRIPTION
from subscription_core.texts import NOTE_LIMIT

from .harness import ACCOUNTANT, BUYER, NON_BUYER, OTHER_ACCOUNTANT, STAFF, STRANGER, World


def test_s8_notes_with_author_time_and_text_are_listed_in_the_detail(world: World) -> None:
    sub = world.buy(1)
    first = add_subscription_note(world.deps, STAFF, sub.id, "Khách hẹn gia hạn\nsau Tết", world.key())
    later = world.at(days=2)
    second = add_subscription_note(world.deps, NON_BUYER, sub.id, "Đã gọi lại", world.key())
    (detail,) = subscription_details(world.deps, ACCOUNTANT, "cus-1")
    assert detail.notes == (first, second)
    assert (first.author, first.text) == (STAFF, "Khách hẹn gia hạn\nsau Tết")
    assert (second.author, second.at) == (NON_BUYER, later)
    assert world.subscription(sub.id).version == sub.version + 2
    assert world.subscription(sub.id).history == sub.history  # a note is not a change of the service (S9)


def test_s8_a_repeated_key_writes_one_note_and_another_text_conflicts(world: World) -> None:
    sub = world.buy(1)
    key = world.key()
    note = add_subscription_note(world.deps, BUYER, sub.id, "Một lần", key)
    assert add_subscription_note(world.deps, BUYER, sub.id, "Một lần", key) == note
    with pytest.raises(ConflictError):
        add_subscription_note(world.deps, BUYER, sub.id, "Khác", key)
    assert world.subscription(sub.id).notes == (note,)


@pytest.mark.parametrize("actor", [STRANGER, OTHER_ACCOUNTANT, Actor.system("signup")])
def test_a1_only_those_who_may_see_the_subscription_write_on_it(world: World, actor: Actor) -> None:
    sub = world.buy(1)
    before = world.snapshot()
    with pytest.raises(PermissionDeniedError):
        add_subscription_note(world.deps, actor, sub.id, "Không được", world.key())
    assert world.snapshot() == before


@pytest.mark.parametrize("text", ["", "  \n\t ", "x" * (NOTE_LIMIT + 1), "nul \x00", "bidi \u202e", "\u200b\u200b", 12])
def test_s8_a_blank_too_long_or_unstorable_note_is_refused(world: World, text: object) -> None:
    sub = world.buy(1)
    before = world.snapshot()
    with pytest.raises(ValidationError) as refused:
        add_subscription_note(world.deps, BUYER, sub.id, text, world.key())  # type: ignore[arg-type]
    assert (refused.value.rule, refused.value.field) == ("S8", "text")
    assert world.snapshot() == before


def test_s8_an_unknown_subscription(world: World) -> None:
    with pytest.raises(NotFoundError):
        add_subscription_note(world.deps, STAFF, "sub-none", "Ghi nhớ", world.key())


def test_s8_a_subscription_keeps_a_bounded_number_of_notes(world: World) -> None:
    sub = world.buy(1)
    for n in range(NOTES_PER_SUBSCRIPTION):
        add_subscription_note(world.deps, STAFF, sub.id, f"ghi nhớ {n}", world.key())
    before = world.snapshot()
    with pytest.raises(ValidationError) as refused:
        add_subscription_note(world.deps, STAFF, sub.id, "một nữa", world.key())
    assert refused.value.rule == "S8"
    assert world.snapshot() == before
