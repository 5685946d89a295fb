"""Vietnamese tax codes: their three forms, the check digit of an enterprise's code (U1) and the parts (U3).

A :class:`TaxCode` is checked on construction and kept in its canonical form; :func:`check_digit` computes
the 10th digit of an enterprise code from its first nine. An enterprise code's sequence (3rd to 9th digits)
runs from 0000001, and a 12-digit personal identification number starts with a published province code and
a century-and-sex digit (U3; :mod:`subscription_core.personal_numbers`). A tax code (a personal
identification number, for an individual) is personal data: a refused one is
:func:`~subscription_core.errors.masked` in the error, and no message quotes its digits.
"""

from __future__ import annotations

import enum
from typing import Final

import attrs

from subscription_core.errors import ValidationError, masked
from subscription_core.personal_numbers import personal_number_problem

__all__ = ["TAX_CODE_WEIGHTS", "TaxCode", "TaxCodeKind", "check_digit"]

TAX_CODE_WEIGHTS: Final = (31, 29, 23, 19, 17, 13, 7, 5, 3)
"""The weights of the first nine digits of an enterprise tax code (U1)."""
_ENTERPRISE_DIGITS: Final = 10
_PERSONAL_DIGITS: Final = 12
_BRANCH_DIGITS: Final = 3
_NO_CHECK_DIGIT: Final = 10
_STRAY_SHOWN: Final = 3
_NO_SEQUENCE: Final = "0000000"

_Problem = tuple[str, str]
"""A refusal: the rule it breaks and the reason, which never quotes the code's digits."""


class TaxCodeKind(enum.Enum):
    """The three forms of a tax code (U1)."""

    ENTERPRISE = "enterprise"  # 10 digits, the 10th a check digit
    BRANCH = "branch"  # the enterprise's 10 digits, '-', a 3-digit branch number other than 000
    PERSONAL = "personal"  # a 12-digit personal identification number (individuals, households)


def check_digit(prefix: str) -> int | None:
    """Return the check digit of nine digits: 10 − (Σ wᵢdᵢ mod 11) (U1).

    The result lies in 0..10 (11 cannot occur, as Σ mod 11 is never negative). It is 10 when the sum is a
    multiple of 11: no single digit can carry it, so no tax code starts with those nine digits and ``None``
    is returned [decision: such prefixes are refused rather than mapped to 0].

    Raises:
        ValidationError: (U1) ``prefix`` is not nine ASCII digits; the value is masked.
    """
    if not isinstance(prefix, str) or len(prefix) != len(TAX_CODE_WEIGHTS) or not _ascii_digits(prefix):
        raise ValidationError("must be nine digits", rule="U1", field="tax_code", value=masked(prefix, "tax_code"))
    digit = 10 - sum(w * int(d) for w, d in zip(TAX_CODE_WEIGHTS, prefix, strict=True)) % 11
    return None if digit == _NO_CHECK_DIGIT else digit


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _enterprise_problem(digits: str) -> _Problem | None:
    # python-stdnum's stdnum/vn/mst.py refuses the same: "The following seven digits are a sequential
    # number from 0000001 to 9999999" (U3), checked before the check digit as there.
    if digits[2:9] == _NO_SEQUENCE:
        return "U3", "bad sequence: the 3rd to 9th digits are all 0; an enterprise's sequence starts at 0000001"
    expected = check_digit(digits[:9])
    if expected is None:
        return "U1", "bad check digit: no tax code starts with these nine digits (their check value is 10)"
    if int(digits[9]) != expected:
        return "U1", "bad check digit: the 10th digit does not match the first nine"
    return None


def _form_problem(code: str) -> str | None:
    if not code:
        return "is empty"
    if any(c.isalpha() for c in code):
        return "contains letters; a tax code has only digits (and '-' before a branch number)"
    if stray := sorted({c for c in code if c != "-" and not _ascii_digits(c)}):
        # A few distinct characters say what to fix; all of them could spell the code (full-width digits).
        more = "…" if len(stray) > _STRAY_SHOWN else ""
        return f"contains {''.join(stray[:_STRAY_SHOWN])!r}{more}; only digits and one '-' are allowed"
    return None


def _branch_problem(head: str, branch: str) -> _Problem | None:
    if "-" in branch:
        return "U1", "has more than one '-'"
    if len(head) != _ENTERPRISE_DIGITS:
        return "U1", f"wrong length: a branch code starts with the 10-digit enterprise code, got {len(head)} digits"
    if len(branch) != _BRANCH_DIGITS:
        return "U1", f"wrong length: a branch number has 3 digits, got {len(branch)}"
    if branch == "000":
        return "U1", "branch 000 is not a branch; write the 10-digit enterprise code"
    return _enterprise_problem(head)


def _tax_code_problem(code: str) -> _Problem | None:
    if problem := _form_problem(code):
        return "U1", problem
    head, dash, branch = code.partition("-")
    if dash:
        return _branch_problem(head, branch)
    if len(code) == _ENTERPRISE_DIGITS:
        return _enterprise_problem(code)
    if len(code) == _PERSONAL_DIGITS:
        return None if (problem := personal_number_problem(code)) is None else ("U3", problem)
    if len(code) == _ENTERPRISE_DIGITS + _BRANCH_DIGITS:
        return "U1", "wrong length: 13 digits; write a branch code as 10 digits, '-', 3 digits"
    return "U1", f"wrong length: {len(code)} digits; a tax code has 10 digits, 10 + '-' + 3 for a branch, or 12"


def _canonical_tax_code(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError("must be text", rule="U1", field="tax_code", value=masked(value, "tax_code"))
    code = "".join(value.split())
    if problem := _tax_code_problem(code):
        rule, reason = problem
        raise ValidationError(reason, rule=rule, field="tax_code", value=masked(value, "tax_code"))
    return code


@attrs.frozen(kw_only=True)
class TaxCode:
    """A valid Vietnamese tax code (U1, U3), kept in its canonical form: whitespace removed.

    Accepted: 10 digits whose sequence (3rd to 9th digits) is not 0000000 and whose 10th is the check digit
    (see :func:`check_digit`); a branch, those 10 digits, '-', and 3 digits other than 000; a 12-digit
    personal identification number starting with a published province code and a century-and-sex digit
    of the 20th or 21st century (no check digit is defined for it; see
    :func:`~subscription_core.personal_numbers.personal_number_problem`). Build one with :meth:`parse`.

    Raises:
        ValidationError: (U1, field ``tax_code``) with the reason: not text, empty, letters, other
            characters, wrong length, bad check digit, branch 000; (U3, field ``tax_code``) a sequence of
            0000000, or a personal number with an unknown province code or an impossible century-and-sex
            digit. The value is masked (``01****3150``) and the reason never quotes its digits.
    """

    value: str = attrs.field(converter=_canonical_tax_code)

    @classmethod
    def parse(cls, text: str) -> TaxCode:
        """Return the tax code written in ``text`` (spaces anywhere are ignored); raises as the class does."""
        return cls(value=text)

    @property
    def kind(self) -> TaxCodeKind:
        """Which form this code has."""
        if "-" in self.value:
            return TaxCodeKind.BRANCH
        return TaxCodeKind.PERSONAL if len(self.value) == _PERSONAL_DIGITS else TaxCodeKind.ENTERPRISE

    @property
    def enterprise(self) -> TaxCode | None:
        """The enterprise's own code: itself, its head for a branch, ``None`` for a personal number."""
        if self.kind is TaxCodeKind.PERSONAL:
            return None
        return TaxCode(value=self.value[:_ENTERPRISE_DIGITS])

    def __str__(self) -> str:
        """The canonical text: ``0101243150`` or ``0101243150-001``."""
        return self.value
