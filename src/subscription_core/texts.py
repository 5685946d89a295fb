r"""Which characters a text the library stores or prints may hold, and how long it may be (O7, I1, U2).

One check, :func:`text_problem`, for every text that enters the library: the attrs validators and
:func:`~subscription_core.errors.checked_text` in :mod:`subscription_core.errors` apply it to names, ids,
codes, reasons and notes, the use cases to their plain inputs (search queries, reasons, keys), and
:mod:`subscription_core.contact_details` to the e-invoice's fields, so that the stores, the idempotency
fingerprint, the e-invoice and the logs never meet a text they cannot carry. Refused:

- a lone surrogate (half of a UTF-16 pair, which JSON input can carry: ``"\ud800"`` in JSON), which no UTF-8
  database, XML document or log file can hold;
- a control character (C0, DEL, C1; NUL among them, which PostgreSQL refuses and SQLite's pattern
  matching reads as the end of the text), except tab and line breaks in a text meant to span lines
  (a note); the Unicode line and paragraph separators likewise;
- a Unicode non-character (U+FDD0-U+FDEF and the last two code points of every plane, such as U+FFFE);
- a bidirectional override, embedding or isolate (U+202A-U+202E, U+2066-U+2069), which makes a name or a
  code read differently from what it holds (a "Trojan Source" text);
- a text made only of invisible characters (zero-width spaces and joiners, U+FEFF, fillers), which
  looks blank and is not.

The lengths are in characters (code points): :data:`ID_LIMIT` for an id, code, key or search query,
:data:`LINE_LIMIT` for any other one-line text (a name, a reason), :data:`NOTE_LIMIT` for a text of
several lines. This module imports nothing from the library, so that :mod:`subscription_core.errors` can
use it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["ID_LIMIT", "LINE_LIMIT", "NOTE_LIMIT", "URL_LIMIT", "text_problem", "web_address_problem"]

ID_LIMIT: Final = 255
"""The longest id, code, idempotency key or search query, in characters."""
LINE_LIMIT: Final = 1000
"""The longest one-line text (a name, a reason, a reference), in characters, unless a field says less."""
NOTE_LIMIT: Final = 10_000
"""The longest text of several lines (a note), in characters."""

URL_LIMIT: Final = 2000
"""The longest web address (a return URL), in characters: what every browser and server takes. A provider
may take fewer (VNPay's ``vnp_ReturnUrl``: 255); its adapter says so."""

# scheme://host[:port][/path][?query][#fragment]; no user name or password, no IPv6 literal. (The core
# imports no urllib: the import contract keeps I/O libraries out of it.)
_WEB_ADDRESS: Final = re.compile(r"https?://[^\s/?#@:\[\]]+(?::[0-9]{1,5})?(?:[/?#]\S*)?", re.IGNORECASE)

_LINE_BREAKS_OF_NOTES: Final = frozenset("\t\n\r")
_SEPARATORS: Final = frozenset("\u2028\u2029")  # line and paragraph separators: line breaks of Unicode
_BIDI_CONTROLS: Final = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
# Letters (category Lo) and symbols that print as blank space: Hangul fillers and the blank Braille pattern.
_BLANK_LETTERS: Final = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_NONCHARACTER_BLOCK: Final = range(0xFDD0, 0xFDF0)
_PLANE_END: Final = 0xFFFE  # the last two code points of every plane are non-characters: ...FFFE and ...FFFF


def _is_noncharacter(code: int) -> bool:
    # Unicode's 66 non-characters: U+FDD0..U+FDEF and U+FFFE, U+FFFF, U+1FFFE, U+1FFFF ... U+10FFFF.
    return code in _NONCHARACTER_BLOCK or code & _PLANE_END == _PLANE_END


def _character_problem(char: str, *, lines: bool) -> str | None:
    """What is wrong with one character that ``str.isprintable`` refused, or ``None``."""
    code = f"U+{ord(char):04X}"
    kind = unicodedata.category(char)
    if kind == "Cs":
        return f"holds a lone surrogate ({code}), which is not a character"
    if lines and (char in _LINE_BREAKS_OF_NOTES or char in _SEPARATORS):
        return None
    if kind == "Cc" or char in _SEPARATORS:
        where = "" if lines else "; this text is one line"
        return f"holds a control character ({code}){where}"
    if _is_noncharacter(ord(char)):
        return f"holds {code}, a Unicode non-character"
    if char in _BIDI_CONTROLS:
        return f"holds a bidirectional control character ({code}) that changes how the text reads"
    return None


def _invisible(char: str) -> bool:
    return char.isspace() or char in _BLANK_LETTERS or unicodedata.category(char) == "Cf"


def text_problem(text: str, *, lines: bool = False) -> str | None:
    """What character of ``text`` the library refuses, as a phrase naming its class and code point, or ``None``.

    ``lines`` says the text may span lines: tab, CR, LF and the Unicode line and paragraph separators are
    then allowed. Surrounding and inner whitespace is otherwise the caller's business (an empty or blank
    text has no problem here). Never raises for a ``str``.
    """
    if not text.isprintable():  # the fast path: printable text has no control, format or surrogate character
        for char in text:
            if not char.isprintable() and (problem := _character_problem(char, lines=lines)):
                return problem
    if text.strip() and all(_invisible(char) for char in text):
        return "holds only invisible characters (such as zero-width spaces), so it would look blank"
    return None


def web_address_problem(text: str) -> str | None:
    """What is wrong with ``text`` as an absolute ``http`` or ``https`` address a buyer may be sent to, or ``None``.

    At most :data:`URL_LIMIT` characters, no whitespace, nothing :func:`text_problem` refuses, a host and
    at most a port after it.
    Never raises for a ``str``.
    """
    if len(text) > URL_LIMIT:
        return f"has {len(text)} characters; at most {URL_LIMIT} are allowed"
    if problem := text_problem(text):
        return problem
    if any(char.isspace() for char in text):
        return "must not hold spaces (percent-encode them)"
    if not _WEB_ADDRESS.fullmatch(text):
        return "must be an absolute http or https URL with a host (and no user name or password)"
    return None
