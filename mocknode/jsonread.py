"""Reading a client's JSON: the one decoder and the one nesting guard.

Two layers parse what clients send: :mod:`mocknode.wire.ipc` has to parse to find where
each value on the IPC stream ends, and :mod:`mocknode.rpc.jsonrpc` parses HTTP and
WebSocket bodies to answer them. Over IPC the value the wire decoded goes up as is
(:class:`~mocknode.wire.events.Message` carries it), so the two layers must decode
alike; both take the decoder and the guard from here, at the bottom of the layers where
both may import.

**The nesting guard.** py-evm raises the interpreter's recursion limit at import (to 12k
and more, for deep EVM call chains), and Python's C JSON scanner recurses on the C stack,
one frame per level. ``[[[[...`` from any client would then overflow the C stack and
kill the process instead of raising ``RecursionError``. So nothing reaches the parser
nested deeper than :data:`MAX_NESTING`: no client sends more than a handful of levels
(geth's own limit is 10000). :func:`too_deep` is the check; it costs two C-level counts
for ordinary messages and a real depth scan only for payloads with more brackets than
the limit. :func:`may_be_too_deep` is its cheap first half, for a caller (the IPC fast
path) that has an exact path to fall back on.

**The decoder.** :func:`decode_first` is the standard library's, refusing ``NaN`` and
``Infinity``, which Python accepts and Go (geth) does not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

__all__ = [
    "MAX_NESTING",
    "NonFiniteConstant",
    "decode_first",
    "may_be_too_deep",
    "reject_constant",
    "too_deep",
]

MAX_NESTING: Final = 512

# A JSON string as the tokenizer sees it: a backslash takes the next byte, whatever it is.
_JSON_STRING: Final = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS: Final = bytes(b for b in range(256) if b not in b"[]{}")


def may_be_too_deep(data: bytes | bytearray) -> bool:
    """False when ``data`` certainly nests no deeper than :data:`MAX_NESTING`: it has no
    more opening brackets than that, strings included. True says "look closer"."""
    return data.count(b"[") + data.count(b"{") > MAX_NESTING


def too_deep(data: bytes | bytearray) -> bool:
    """Whether brackets outside strings in ``data`` nest deeper than :data:`MAX_NESTING`.

    Strings are found as JSON's tokenizer finds them, so up to the parser's first syntax
    error both see the same brackets: the depth counted here is never below the depth
    the parser would reach, and False makes parsing ``data`` safe. Unclosed brackets
    count as they open; closers without an opener only lower the count.
    """
    if not may_be_too_deep(data):
        return False
    depth = 0
    for byte in _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS):
        if byte == 0x5B or byte == 0x7B:  # [ {
            depth += 1
            if depth > MAX_NESTING:
                return True
        else:
            depth -= 1
    return False


class NonFiniteConstant(ValueError):
    """``NaN``/``Infinity``/``-Infinity``: Python's json accepts them, Go's does not."""


def reject_constant(name: str) -> Any:
    """A ``parse_constant`` hook for :class:`json.JSONDecoder`: every constant is refused."""
    raise NonFiniteConstant(name)


decode_first: Final[Callable[[str, int], tuple[Any, int]]] = json.JSONDecoder(
    parse_constant=reject_constant
).raw_decode
"""``decode_first(text, start) -> (value, end)``: the JSON value at ``text[start]``
(no leading whitespace) and the index just past it; trailing text is not looked at.

Raises :class:`json.JSONDecodeError` for a syntax error, :class:`NonFiniteConstant`,
or a plain :class:`ValueError` for an integer past Python's str-to-int digit limit
(4300 digits; Go has none, so the JSON-RPC layer retries those its own way). Call it only
on text that :func:`too_deep` passed."""
