"""Bank-transfer references: the short code a customer types as the transfer content (Y3, O5).

A Vietnamese bank transfer carries a free-text "nội dung chuyển khoản" that banks pass on mangled: they
strip diacritics and punctuation, upper-case it, cut it at 25 to 140 characters, and insert their own
prefixes and numbers around it. The reference of an order therefore uses only characters no bank strips
or confuses: ``SC`` followed by 13 characters of Crockford's base 32 (digits and upper-case letters
without I, L, O and U), the last a check character. It is derived from the order id alone, so the same
order always gets the same reference and nothing has to be stored to make one; the repositories index it
to find the order again (``OrderRepository.by_transfer_reference``).

60 bits of the order id's SHA-256 make two orders' references equal with a chance of about one in 10¹²
per pair; reconciliation treats a reference that names several orders as ambiguous and asks staff,
never guessing. The check character (odd weights 1, 3, ..., 23, modulo 32) catches every single mistyped
character and most swaps of two neighbours.

>>> ref = transfer_reference("ord-0001")
>>> ref, len(ref)
('SCCFY3QVT9Y97T7', 15)
>>> find_references(f"MBVCB.3301.{ref.lower()}.CT tu 0011004 CONG TY ABC")
('SCCFY3QVT9Y97T7',)
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

from subscription_core.errors import ValidationError

__all__ = ["PREFIX", "REFERENCE_LENGTH", "find_references", "is_transfer_reference", "transfer_reference"]

PREFIX: Final = "SC"
_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U
_BODY: Final = 12  # 60 bits
_MODULUS: Final = 32  # with odd weights, every single substitution changes the check
REFERENCE_LENGTH: Final = len(PREFIX) + _BODY + 1
# Read back what people and banks do to the characters: lower case, O for 0, I and L for 1.
_READ: Final = str.maketrans("OIL", "011")


def _check(body: str) -> str:
    total = sum((2 * place + 1) * _ALPHABET.index(char) for place, char in enumerate(body))
    return _ALPHABET[total % _MODULUS]


def transfer_reference(order_id: str) -> str:
    """The transfer reference of ``order_id``: always the same for the same id, 15 characters (Y3).

    Raises:
        ValidationError: ``order_id`` is not a non-empty text.
    """
    if not isinstance(order_id, str) or not order_id.strip():
        raise ValidationError("must be a non-empty text", rule="Y3", field="order_id", value=order_id)
    number = int.from_bytes(hashlib.sha256(order_id.encode()).digest()[:8], "big") >> 4
    body = "".join(_ALPHABET[(number >> shift) & 31] for shift in range(5 * (_BODY - 1), -1, -5))
    return f"{PREFIX}{body}{_check(body)}"


def is_transfer_reference(text: object) -> bool:
    """Whether ``text`` is a well-formed reference: the prefix, the alphabet, the length and the check."""
    if not isinstance(text, str) or len(text) != REFERENCE_LENGTH or not text.startswith(PREFIX):
        return False
    body, check = text[len(PREFIX) : -1], text[-1]
    return all(char in _ALPHABET for char in text[len(PREFIX) :]) and _check(body) == check


def find_references(description: object) -> tuple[str, ...]:
    """The well-formed references in a bank statement's description, in order of appearance, without repeats.

    Case is ignored, and O, I and L read as 0, 1 and 1 (Crockford's rule) after the prefix; separators a
    bank inserts inside the reference are not guessed at. Text that is not a string yields nothing.
    """
    if not isinstance(description, str):
        return ()
    upper = description.upper()
    found: dict[str, None] = {}
    for match in re.finditer(rf"(?=({PREFIX}[0-9A-Z]{{{_BODY + 1}}}))", upper):
        candidate = match.group(1)
        read = PREFIX + candidate[len(PREFIX) :].translate(_READ)
        if is_transfer_reference(read):
            found[read] = None
    return tuple(found)
