"""Answers to repeated reads, kept while the chain stays as it was.

Why (issue 12, cheap reads at anvil's speed): a client asks the same read again and
again while nothing changes: a poller's ``eth_blockNumber``, ``eth_chainId`` before
each of viem's and ethers' calls, a balance checked twice in a test, a receipt polled
until it is there. Answering such a message the usual way means framing it, parsing
the JSON, checking the envelope, decoding the parameters, running the method and
encoding the result: some 25 µs of Python on this machine, all of it to rebuild bytes
that were already written once. A memo hit costs one ``find``, one regex match, one
dict lookup and one concatenation.

What is kept: for a *plain call* (version "2.0", a method, array params, an integer or
plain string id) of one of :data:`MEMO_METHODS`, the bytes of the message with the id
cut out are the key, and the answer's bytes after the id are the value, stamped with
the chain's state when they were computed (:attr:`ReadMemo.stamp` is the caller's:
anything that changes when any of these answers could). A later message with the very
same bytes but for its id, at the same stamp, is answered with the stored bytes and its
own id. Only exact bytes match, so the message is known to be one complete, valid call
whose answer the full path already gave; any other message (a different spacing,
another id form, a batch, two messages in one read) simply misses and takes the full
path, which then fills the memo for the next one.

Why the checks on filling (:meth:`ReadMemo.remember`) are what make a hit safe:

- the message has no backslash and exactly one ``"id"``: that one is then the
  envelope's own id key (no escaped key elsewhere could be it), so the cut is always at
  the top-level id, in the message filled and in every message that matches it;
- the parameters do not say ``pending`` (those answers follow the pool and the clock,
  which the stamp does not cover);
- the message is strict UTF-8 (an encoded surrogate, which ``json.loads`` takes from
  bytes, is refused: a WebSocket text frame carrying one must still be closed with 1007);
- the answer is a result (``{"jsonrpc":"2.0","id":<id>,"result":...}``), not an error,
  and neither it nor the message is larger than :data:`MAX_ANSWER`.

Who may use it: the node's session, before and after its full path, and only when the
answer would come from the node's own chain (the fault layer, armed, answers from its own
views and never reaches the memo; see :mod:`mocknode.node`). The memo holds at most
:data:`MAX_ENTRIES` answers and :data:`MAX_BYTES` bytes, and starts afresh when full.
"""

from __future__ import annotations

import json
import re
from typing import Final

from mocknode.rpc.stepwise import plain_call_id

__all__ = ["MEMO_METHODS", "ReadMemo", "split_id"]

MEMO_METHODS: Final = frozenset(
    {
        "eth_blockNumber",
        "eth_chainId",
        "net_version",
        "eth_getBalance",
        "eth_getTransactionCount",
        "eth_getCode",
        "eth_getStorageAt",
        "eth_getBlockByNumber",
        "eth_getBlockByHash",
        "eth_getTransactionReceipt",
    }
)
"""Methods whose answer follows from their parameters and the chain's blocks, state and
settings alone (the stamp), never from the pool, the clock or the connection."""

MAX_ENTRIES: Final = 512
MAX_ANSWER: Final = 1 << 14
MAX_BYTES: Final = 1 << 21
"""At most 512 answers of at most 16 KiB each, 2 MiB in all: a block with its
transactions in full is not kept, a head or a balance always is."""

PREFIX: Final = b'{"jsonrpc":"2.0","id":'
_RESULT: Final = b',"result":'

# The id member at the first "id": an integer without sign or leading zero, or a string
# of printable ASCII without quote or backslash (both written back as they came, which
# is how the full path writes them too), and then the member's end.
_ID: Final = re.compile(
    rb'"id"[ \t\r\n]*:[ \t\r\n]*(0|[1-9][0-9]{0,17}|"[ !#-\[\]-~]{0,64}")(?=[ \t\r\n]*[,}])'
)
_METHOD: Final = re.compile(rb'"method"[ \t\r\n]*:[ \t\r\n]*"([A-Za-z0-9_]{1,64})"')


def split_id(payload: bytes) -> tuple[bytes, bytes] | None:
    """``(key, id)``: the message without its id's bytes, and those bytes; None when the
    first ``"id"`` is not followed by an id of the forms above."""
    at = payload.find(b'"id"')
    if at < 0:
        return None
    match = _ID.match(payload, at)
    if match is None:
        return None
    start, end = match.span(1)
    return payload[:start] + payload[end:], payload[start:end]


class ReadMemo:
    """The kept answers (see the module docstring)."""

    __slots__ = ("_bytes", "_entries", "enabled")

    def __init__(self, *, enabled: bool = True) -> None:
        self._entries: dict[bytes, tuple[object, bytes, str]] = {}
        self._bytes = 0  # keys and answers kept, in bytes
        self.enabled = enabled
        """False: nothing is kept, so nothing is found (the node's ``fast_paths=False``,
        which proves the fast paths give the bytes the general path gives)."""

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, key: bytes, ident: bytes, stamp: object) -> tuple[bytes, str] | None:
        """The answer to the message ``key`` with id ``ident`` and its method, if kept at
        ``stamp``."""
        entry = self._entries.get(key)
        if entry is None or entry[0] != stamp:
            return None
        return PREFIX + ident + entry[1], entry[2]

    def remember(
        self, key: bytes, ident: bytes, payload: bytes, answer: bytes, stamp: object
    ) -> None:
        """Keep ``answer`` to ``payload`` (split into ``key`` and ``ident``) at ``stamp``,
        if the message and the answer pass the checks in the module docstring."""
        if not self.enabled:
            return
        found = _METHOD.search(payload)
        if found is None:
            return
        method = found.group(1).decode()
        if method not in MEMO_METHODS:
            return
        if len(answer) > MAX_ANSWER or len(payload) > MAX_ANSWER:
            return
        if b"\\" in payload or b"pending" in payload:
            return
        if payload.count(b'"id"') != 1 or not answer.startswith(PREFIX + ident + _RESULT):
            return
        try:
            # Strict UTF-8 first: json.loads on bytes lets an encoded surrogate through,
            # which a WebSocket text frame may not carry (the full path closes with 1007).
            text = payload.decode("utf-8")
            value = json.loads(text)
        except ValueError:  # UnicodeDecodeError included
            return
        if type(value) is not dict or value.get("method") != method:
            return
        # A plain call as the envelope's short lane defines it, whose id is the one cut.
        if plain_call_id(value, text) != ident.decode():
            return
        entries = self._entries
        rest = answer[len(PREFIX) + len(ident) :]
        size = len(key) + len(rest)
        old = entries.pop(key, None)
        if old is not None:
            self._bytes -= len(key) + len(old[1])
        if len(entries) >= MAX_ENTRIES or self._bytes + size > MAX_BYTES:
            self.clear()
        entries[key] = (stamp, rest, method)
        self._bytes += size

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0
