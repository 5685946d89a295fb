"""Secrets (signing keys, tokens) never in a repr, an error or a log; logs carry ids, never e-mails or tax codes."""

from __future__ import annotations

import logging

import pytest

from subscription_core.errors import SubscriptionError
from subscription_core.services import (
    NewPurchase,
    handle_notification,
    issue_payment_link,
    open_payment_link,
    pay_by_link,
    record_offline_payment,
    relay_outbox,
    run_scheduler,
)

from .harness import BANK_KEY, LINK_KEY, STAFF, TRANSFER, WALLET, WALLET_KEY, World, tax_code

SECRETS = (LINK_KEY, WALLET_KEY, BANK_KEY)


def _leaks(text: str) -> list[str]:
    return [form for key in SECRETS for form in (key.decode(), key.hex(), repr(key)) if form in text]


def test_secrets_never_in_a_repr(world: World) -> None:
    texts = [repr(world.deps), str(world.deps), repr(world.deps.links), repr(world.wallet), repr(world.bank)]
    assert not _leaks("\n".join(texts))
    assert "vnptpay" in repr(world.deps)


def test_secrets_never_in_an_error(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    link = issue_payment_link(world.deps, STAFF, order_id=order.id)
    errors: list[SubscriptionError] = []
    for call in (
        lambda: open_payment_link(world.deps, link.token[:-2] + "xx"),
        lambda: pay_by_link(world.deps, "garbage", method=WALLET, idempotency_key="k"),
        lambda: handle_notification(world.deps, "vnptpay", {**world.notification(order), "signature": "00" * 32}),
        lambda: handle_notification(world.deps, "vnptpay", {"order_id": order.id}),
    ):
        with pytest.raises(SubscriptionError) as caught:
            call()
        errors.append(caught.value)
    text = "\n".join(f"{e!s} {e!r} {e.value!r}" for e in errors)
    assert not _leaks(text)
    assert link.token not in text
    assert link.token not in repr(link)


def test_logs_carry_ids_only(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sub = world.buy()
    order = world.renew(sub.id)
    link = issue_payment_link(world.deps, STAFF, order_id=order.id)
    pay_by_link(world.deps, link.token, method=TRANSFER, idempotency_key="l-1")
    record_offline_payment(
        world.deps,
        STAFF,
        order_id=order.id,
        method=TRANSFER,
        amount=order.grand_total,
        reason="seen",
        idempotency_key="o-1",
    )
    handle_notification(world.deps, "vnptpay", world.notification(world.order(order.id), succeeded=False))
    world.at(days=400)
    run_scheduler(world.deps)
    world.notifier.fail_next(1)
    relay_outbox(world.deps)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert order.id in text
    assert not _leaks(text)
    assert link.token not in text
    assert "@" not in text  # no e-mail address
    assert tax_code(1) not in text
