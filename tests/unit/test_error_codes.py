"""What a host answers: each error class's machine code, whether a retry helps, and its JSON-ready form."""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

import subscription_core
from subscription_core.errors import (
    DeliveryError,
    NotFoundError,
    RetryLaterError,
    StorageError,
    SubscriptionError,
    TransientConflictError,
    ValidationError,
    masked,
    referenced,
)
from subscription_core.testing import valid_tax_code

_CORE_MODULES = [
    importlib.import_module(m.name) for m in pkgutil.walk_packages(subscription_core.__path__, "subscription_core.")
]
_RETRYABLE = {"transient", "storage", "delivery", "retry_later"}


def _public_classes() -> list[type[SubscriptionError]]:
    """Every public error class the core defines, found by walking its modules, not listed by hand."""
    found = {
        value
        for module in _CORE_MODULES
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, SubscriptionError)
        and not name.startswith("_")
        and value.__module__.startswith("subscription_core")
    }
    return sorted(found, key=lambda cls: cls.__name__)


def test_every_public_error_class_has_its_own_code_and_a_retryable_flag() -> None:
    classes = _public_classes()
    assert {StorageError, NotFoundError, TransientConflictError} <= set(classes)
    codes = [cls.code for cls in classes]
    assert len(set(codes)) == len(codes), codes
    assert all(code and code == code.lower() and code.replace("_", "").isalpha() for code in codes)
    assert all(isinstance(cls.retryable, bool) for cls in classes)
    assert {cls.code for cls in classes if cls.retryable} == _RETRYABLE


def test_the_codes_a_host_maps_are_stable() -> None:
    expected = {
        "ValidationError": "validation",
        "NotFoundError": "not_found",
        "NotEligibleError": "not_eligible",
        "InvalidTransitionError": "invalid_transition",
        "ReadOnlyError": "read_only",
        "PermissionDeniedError": "permission_denied",
        "ConflictError": "conflict",
        "TransientConflictError": "transient",
        "DeliveryError": "delivery",
        "StorageError": "storage",
        "RetryLaterError": "retry_later",
    }
    assert {cls.__name__: cls.code for cls in _public_classes() if cls.__name__ in expected} == expected


def test_a_delivery_error_is_retryable_unless_permanent() -> None:
    assert DeliveryError("server busy").retryable
    assert not DeliveryError("no such mailbox", permanent=True).retryable


def test_a_provider_that_has_not_settled_says_retry_later_with_its_own_code() -> None:
    error = RetryLaterError("GetTransactionDetail: status 01 (held)", provider_code="01")
    assert (error.retryable, error.provider_code, error.rule, error.field) == (True, "01", "Y5", "provider")
    assert error.as_dict()["code"] == "retry_later"


def test_as_dict_has_the_parts_a_host_answers_with() -> None:
    error = ValidationError("bad check digit", rule="U1", field="tax_code", value=masked("0100109107", "tax_code"))
    assert error.as_dict() == {
        "code": "validation",
        "rule": "U1",
        "field": "tax_code",
        "message": "bad check digit, got '01****9107'",
        "retryable": False,
    }
    assert json.loads(json.dumps(StorageError("could not commit").as_dict()))["retryable"] is True
    assert NotFoundError("no such order", field="order_id", value="ord-9").as_dict()["reference"] is False


def test_a_lookup_run_as_a_reference_says_so_and_is_the_same_error() -> None:
    raised = NotFoundError("no such subscription", field="subscription_id", value="sub-9")
    with pytest.raises(NotFoundError) as caught, referenced():
        raise raised
    assert caught.value is raised
    assert caught.value.reference
    assert caught.value.as_dict()["reference"] is True
    with pytest.raises(ValidationError), referenced():  # other errors pass through untouched
        raise ValidationError("bad")


_emails = st.builds(
    "{}@{}.{}".format,
    st.text(st.characters(categories=("L", "N")), min_size=2, max_size=20),
    st.text(st.characters(categories=("L", "N")), min_size=2, max_size=20),
    st.sampled_from(["vn", "com", "com.vn", "online"]),
)


@given(
    secret=st.one_of(
        _emails.map(lambda e: (e, "email")),
        st.integers(min_value=1, max_value=10_000).map(lambda n: (valid_tax_code(n), "tax_code")),
    ),
    kind=st.sampled_from([ValidationError, NotFoundError, StorageError, TransientConflictError]),
)
def test_i2_as_dict_never_holds_a_masked_value_raw(secret: tuple[str, str], kind: type[SubscriptionError]) -> None:
    text, what = secret
    error = kind("is refused", rule="I2", field=what, value=masked(text, what))  # type: ignore[arg-type]
    assert text not in json.dumps(error.as_dict(), ensure_ascii=False)
