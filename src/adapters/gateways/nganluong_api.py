"""One call to NgânLượng's checkout API: a form POST, a bounded wait, an XML answer (Y5).

:func:`call` sends the fields as ``application/x-www-form-urlencoded`` with the standard library's HTTP
client (NgânLượng's PHP samples send ``key=value`` pairs joined by ``&`` with cURL; encoding each value,
as here, reads the same on a PHP server and keeps an ``&`` in a URL from splitting a field). Redirects are
not followed. Whatever the network does (a timeout, a refused connection, an HTTP error, an answer that is
not NgânLượng's XML) becomes :class:`~subscription_core.errors.RetryLaterError`: nothing was learnt, ask
again later. The connection password never shows: only its MD5 is sent, and no error or log line carries either.
"""

from __future__ import annotations

import http.client
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from subscription_core.errors import RetryLaterError
from subscription_core_adapters.gateways.nganluong_protocol import UnreadableAnswerError, read_answer

__all__ = ["call"]

_log = logging.getLogger("subscription_core_adapters.gateways.nganluong")
_MAX_ANSWER = 64 * 1024


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST is not followed: NgânLượng's API never redirects, so it is an HTTP error here."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:  # noqa: ANN401 - urllib's own signature
        """Refuse every redirect."""
        return


_OPENER = urllib.request.build_opener(_NoRedirect())


def call(url: str, fields: Mapping[str, str], names: tuple[str, ...], *, timeout: float) -> dict[str, str]:
    """POST ``fields`` to ``url``; the answer's fields named in ``names``.

    ``timeout`` (seconds) bounds connecting and each read.

    Raises:
        RetryLaterError: (Y5) no answer within ``timeout``, a connection or HTTP error, an unreadable answer;
            the message names the function called and never a field's value.
    """
    function = fields.get("function", "")
    request = urllib.request.Request(  # noqa: S310 - the URL is checked https (or loopback http) by the config
        url,
        data=urlencode(fields).encode("ascii"),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": "text/xml"},
    )
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            raw = answer.read(_MAX_ANSWER + 1)
    except urllib.error.HTTPError as error:
        error.close()
        raise _failed(function, f"NgânLượng answered HTTP {error.code}") from None
    except urllib.error.URLError as error:
        raise _failed(function, _transport(error.reason, timeout)) from None
    except (OSError, http.client.HTTPException) as error:
        raise _failed(function, _transport(error, timeout)) from None
    try:
        return read_answer(raw, names)
    except UnreadableAnswerError as error:
        raise _failed(function, str(error)) from None


def _transport(reason: object, seconds: float) -> str:
    if isinstance(reason, TimeoutError):
        return f"no answer from NgânLượng within {seconds:g} s"
    return f"the connection to NgânLượng failed ({type(reason).__name__})"


def _failed(function: str, why: str) -> RetryLaterError:
    _log.warning("nganluong %s: %s; nothing recorded, ask again later", function, why)
    return RetryLaterError(f"{function}: {why}; nothing was recorded, ask again later")
