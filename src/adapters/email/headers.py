"""Unstructured header values (a Subject) encoded and folded by RFC 2047 rules, so every space survives.

The standard library's folder (``email._header_value_parser``, CPython 3.11–3.13) drops or moves the space
between two words when it folds a long non-ASCII value into several encoded words: ``"Đơn hàng <25
characters> đã bị hủy"`` reads back as ``"... đãbị hủy"``. RFC 2047 section 6.2 says that white space
between two adjacent encoded words is ignored when they are decoded, so a space belongs *inside* an encoded
word, never between two. :func:`fold_unstructured` writes every character of a non-ASCII value, spaces
included, into base64 encoded words (RFC 2047 section 4.1) of at most 75 characters (section 2), each cut
on a character boundary (section 5: an encoded word holds whole characters), one per folded line. A host's
own mail reader decodes them back to the value exactly.
"""

from __future__ import annotations

import base64
from typing import Final

__all__ = ["fold_unstructured"]

# RFC 2047 section 2: an encoded word is at most 75 characters; RFC 5322 section 2.1.1: a line at most 78.
_WORD_LIMIT: Final = 75
_LINE_LIMIT: Final = 78
_PREFIX: Final = "=?utf-8?b?"
_SUFFIX: Final = "?="


def _word(chunk: bytes) -> str:
    return _PREFIX + base64.b64encode(chunk).decode("ascii") + _SUFFIX


def _encoded_length(size: int) -> int:
    return len(_PREFIX) + 4 * ((size + 2) // 3) + len(_SUFFIX)


def fold_unstructured(name: str, value: str) -> str:
    """The header ``value`` of ``name`` folded into lines of at most 78 characters, the first after ``name: ``.

    A value that is ASCII and fits on its line is returned as it is. Any other is returned as base64
    encoded words joined by CRLF and a space; a mail reader unfolds and decodes them to ``value`` itself.
    A lone surrogate, which UTF-8 cannot carry, is written as "?".
    """
    if value.isascii() and len(name) + 2 + len(value) <= _LINE_LIMIT:
        return value
    words: list[str] = []
    chunk = b""
    room = min(_WORD_LIMIT, _LINE_LIMIT - len(name) - 2)
    for character in value:
        data = character.encode("utf-8", errors="replace")
        if chunk and _encoded_length(len(chunk) + len(data)) > room:
            words.append(_word(chunk))
            chunk = b""
            room = _WORD_LIMIT  # a folded line starts with one space: 1 + 75 <= 78
        chunk += data
    words.append(_word(chunk))
    return "\r\n ".join(words)
