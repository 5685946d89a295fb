"""The Notifier contract (N1, N2), run on every notifier adapter."""

from __future__ import annotations

import pytest

from subscription_core.errors import DeliveryError, SubscriptionError

from .builders import message
from .registry import NotifierHarness


def test_n1_sent_messages_are_delivered(notifier: NotifierHarness) -> None:
    notifier.notifier.send(message("msg-1"))
    notifier.notifier.send(message("msg-2"))
    assert notifier.delivered() == ["msg-1", "msg-2"]


def test_n2_a_repeat_may_be_delivered_again(notifier: NotifierHarness) -> None:
    notifier.notifier.send(message("msg-1"))
    notifier.notifier.send(message("msg-1"))
    assert set(notifier.delivered()) == {"msg-1"}


def test_n2_a_failed_send_raises_a_library_error_and_a_retry_delivers(notifier: NotifierHarness) -> None:
    notifier.fail_next(1)
    with pytest.raises(SubscriptionError) as caught:
        notifier.notifier.send(message("msg-1"))
    assert notifier.delivered() == []
    assert message("msg-1").recipient not in str(caught.value)  # errors are logged: ids only, no address
    notifier.notifier.send(message("msg-1"))
    assert notifier.delivered() == ["msg-1"]


def test_n2_a_failure_worth_retrying_is_a_delivery_error_that_is_not_permanent(notifier: NotifierHarness) -> None:
    notifier.fail_next(1)  # every harness plans a failure that may pass (the SMTP one answers 451)
    with pytest.raises(DeliveryError) as caught:
        notifier.notifier.send(message("msg-1"))
    assert caught.value.permanent is False  # so a relay retries it rather than setting it aside (N2)
    assert caught.value.rule == "N2"
