"""The PaymentProvider contract (Y1-Y5), run on every payment provider adapter.

Each adapter comes with a way to make the notifications it would receive (``ProviderHarness.notify``):
for a fake, the fake itself; for a real gateway, its documented signing with the test key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

import pytest

from subscription_core.errors import ValidationError
from subscription_core.payments import PaymentMethod
from subscription_core.ports import PaymentRequest

from .builders import at, order
from .conftest import SigningProvider
from .registry import ProviderHarness

ORDER = order("ord-1", pay_by=at(3))
TOTAL = ORDER.grand_total.amount
RECEIVED = at(1)


def request(method: PaymentMethod) -> PaymentRequest:
    return PaymentRequest(
        payment_id="pay-1",
        order_id=ORDER.id,
        amount=str(TOTAL),
        currency="VND",
        method=method,
        description="AMIS Kế toán, 1 tháng",
        return_url="https://shop.example/return",
    )


def refusal(
    harness: SigningProvider, payload: Mapping[str, str], received_at: dt.datetime = RECEIVED
) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        harness.provider.parse_notification(payload, received_at=received_at)
    return caught.value


def test_y2_an_online_method_redirects_to_the_provider(payment_provider: ProviderHarness) -> None:
    for method in (PaymentMethod.domestic_card("VCB"), PaymentMethod.e_wallet(payment_provider.wallet)):
        if method.kind not in payment_provider.methods:
            with pytest.raises(ValidationError):
                payment_provider.provider.start(request(method))
            continue
        started = payment_provider.provider.start(request(method))
        assert started.redirect_url is not None
        assert started.redirect_url.startswith("https://")


def test_y3_an_offline_method_gets_transfer_instructions(payment_provider: ProviderHarness) -> None:
    method = PaymentMethod.bank_transfer()
    if method.kind not in payment_provider.methods:
        with pytest.raises(ValidationError):
            payment_provider.provider.start(request(method))
        return
    started = payment_provider.provider.start(request(method))
    assert started.redirect_url is None
    assert started.instructions["account"]
    assert Decimal(started.instructions["amount"]) == TOTAL
    assert payment_provider.transfer_content(ORDER.id) in started.instructions["transfer_content"]


def test_y5_a_signed_notification_verifies_and_reads_back(signing_provider: SigningProvider) -> None:
    provider = signing_provider.provider
    payload = signing_provider.notify(ORDER, event_id="evt-1")
    read = provider.parse_notification(payload, received_at=at(1))
    # A real gateway names the event from its own signed fields: the harness's "evt-1" may not come back as is.
    assert (read.provider, read.order_id) == (provider.name, ORDER.id)
    assert read.event_id
    assert (read.amount, read.currency, read.succeeded) == (TOTAL, "VND", True)
    assert read.received_at == at(1)


def test_y5_a_failure_notification_reads_as_failed(signing_provider: SigningProvider) -> None:
    payload = signing_provider.notify(ORDER, event_id="evt-1", succeeded=False)
    assert signing_provider.provider.parse_notification(payload, received_at=at(1)).succeeded is False


def test_y5_the_amount_the_provider_signed_is_read_as_sent(signing_provider: SigningProvider) -> None:
    payload = signing_provider.notify(ORDER, event_id="evt-1", amount=TOTAL - 1000)
    assert signing_provider.provider.parse_notification(payload, received_at=at(1)).amount == TOTAL - 1000


def test_y5_two_events_read_as_two_keys(signing_provider: SigningProvider) -> None:
    first = signing_provider.notify(ORDER, event_id="evt-1")
    second = signing_provider.notify(ORDER, event_id="evt-2")
    read = [signing_provider.provider.parse_notification(p, received_at=at(1)) for p in (first, second)]
    assert read[0].key != read[1].key


def test_y5_an_exact_replay_reads_as_the_same_event(signing_provider: SigningProvider) -> None:
    payload = signing_provider.notify(ORDER, event_id="evt-1")
    first = signing_provider.provider.parse_notification(payload, received_at=at(1))
    again = signing_provider.provider.parse_notification(dict(payload), received_at=at(2))
    assert again.key == first.key  # the payment repository's record_notification drops it (Y5)


def test_y5_a_notification_with_any_field_changed_is_refused(signing_provider: SigningProvider) -> None:
    payload = signing_provider.notify(ORDER, event_id="evt-1")
    signed = [name for name in payload if name != signing_provider.signature_field]
    assert signed
    for name in signed:
        assert refusal(signing_provider, {**payload, name: payload[name] + "0"}).rule == "Y5"


def test_y5_a_failure_turned_into_a_success_is_refused(signing_provider: SigningProvider) -> None:
    sign = signing_provider.signature_field
    failed = signing_provider.notify(ORDER, event_id="evt-1", succeeded=False)
    forged = {**signing_provider.notify(ORDER, event_id="evt-1"), sign: failed[sign]}
    assert refusal(signing_provider, forged).rule == "Y5"


def test_y5_a_replay_with_a_changed_amount_is_refused(signing_provider: SigningProvider) -> None:
    sign = signing_provider.signature_field
    small = signing_provider.notify(ORDER, event_id="evt-1", amount=Decimal(1000))
    forged = {**signing_provider.notify(ORDER, event_id="evt-1"), sign: small[sign]}
    if signing_provider.harness.confirms_with_provider:
        # The reference names the provider's other, genuine transaction of 1000: it reads as that one, with the
        # provider's amount, never as the full amount the rest of the payload came with (the core keeps it as
        # unapplied money, Y6).
        read = signing_provider.provider.parse_notification(forged, received_at=at(1))
        genuine = signing_provider.provider.parse_notification(small, received_at=at(1))
        assert (read.key, read.amount) == (genuine.key, Decimal(1000))
        return
    assert refusal(signing_provider, forged).rule == "Y5"


def test_y5_an_unsigned_or_badly_signed_notification_is_refused(signing_provider: SigningProvider) -> None:
    sign = signing_provider.signature_field
    payload = signing_provider.notify(ORDER, event_id="evt-1")
    other = signing_provider.notify(ORDER, event_id="evt-2")
    unsigned = {k: v for k, v in payload.items() if k != sign}
    for forged in (unsigned, {**payload, sign: ""}, {**payload, sign: other[sign]}, {**payload, sign: "ÿ" * 64}):
        assert refusal(signing_provider, forged).rule == "Y5"


def test_y5_a_malformed_payload_is_refused(signing_provider: SigningProvider) -> None:
    payload = signing_provider.notify(ORDER, event_id="evt-1")
    for malformed in ({}, {k: v.encode() for k, v in payload.items()}, list(payload.items())):
        assert refusal(signing_provider, malformed).rule == "Y5"  # type: ignore[arg-type]


def test_d2_a_naive_reception_time_is_refused(signing_provider: SigningProvider) -> None:
    payload = signing_provider.notify(ORDER, event_id="evt-1")
    assert refusal(signing_provider, payload, received_at=dt.datetime(2026, 11, 24, 9, 0)).rule == "D2"  # noqa: DTZ001


def test_y5_errors_never_show_the_signing_key(signing_provider: SigningProvider) -> None:
    secret = signing_provider.secret
    payload = signing_provider.notify(ORDER, event_id="evt-1")
    errors = [
        refusal(signing_provider, {name: value + "0" for name, value in payload.items()}),
        refusal(signing_provider, {**payload, signing_provider.signature_field: "0" * 64}),
        refusal(signing_provider, {}),
    ]
    shown = [repr(signing_provider.provider), str(signing_provider.provider)]
    shown += [text for e in errors for text in (str(e), repr(e), repr(e.value), repr(e.args))]
    for form in (secret.hex(), repr(secret), secret.decode("latin-1")):
        assert all(form not in text for text in shown)
