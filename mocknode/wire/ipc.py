"""geth's IPC framing, sans-io: a stream of concatenated JSON values in, ``value\\n`` out.

geth reads its unix socket with a streaming JSON decoder, so clients may send values
back to back with or without whitespace between them, split anywhere across writes.
:class:`IpcConnection` finds the end of each top-level object or array by scanning
brackets outside strings (tracking escapes), jumping between interesting bytes with a
regex so a 32 MiB hex blob costs one C-level search, not a Python loop per byte.

Each complete value is checked by one JSON parse (:func:`_parse_first`) before it
becomes a :class:`~mocknode.wire.events.Message`: a syntax error, or anything that is not
an object or array at the top level, is reported as
:class:`~mocknode.wire.events.Garbage` carrying everything buffered from that point.
That mirrors geth, whose decoder cannot resync after bad input: it writes one
parse-error answer and hangs up (a bracket count alone would pass ``{]`` along and keep
the connection). Invalid UTF-8 inside strings is not an error, as in Go's decoder (the
JSON-RPC layer turns it into U+FFFD).

Fast path: when the buffer ends like a complete value (a closing bracket), one
C-level parse finds the first value's end and checks its syntax at once; only partial
values and errors go through the scanner, which then parses the value once it is
complete, with the same function. A buffer that does not end in a closing bracket
is clearly still arriving and is not parsed, so a message split across reads is parsed
once, not once per read. ``fast_path=False`` always scans; the events are the same.

Nesting deeper than :data:`~mocknode.jsonread.MAX_NESTING` is garbage before the parser
sees it (:mod:`mocknode.jsonread` says why): the fast path parses only a buffer whose
bracket count alone rules it out (:func:`~mocknode.jsonread.may_be_too_deep`), and the
scanner's complete value must pass :func:`~mocknode.jsonread.too_deep`, the guard the
JSON-RPC layer applies to HTTP and WebSocket bodies.

One parse per message: the parse that finds a value's end is the one that answers it.
It uses the JSON-RPC layer's decoder (:func:`mocknode.jsonread.decode_first`), and the
:class:`~mocknode.wire.events.Message` carries the decoded ``value`` and its ``text`` up
to the session, which answers from them (:func:`mocknode.rpc.jsonrpc.handle_decoded`).
Three kinds of message are framed by a permissive parse instead and go up as bytes
alone, for the JSON-RPC layer to parse as it parses an HTTP body: invalid UTF-8 (which
that layer maps to U+FFFD), ``NaN``/``Infinity`` (which it answers with a parse error,
keeping the connection) and integers past Python's 4300-digit limit (which it reads with
a slower decoder; Go reads any length, so these are messages, not garbage).

A value that grows past ``max_message`` without ending closes the connection (no reply:
there is no message to answer). Outbound, :meth:`IpcConnection.send_message` appends the
``\\n`` that web3.py's ``AsyncIPCProvider`` and ethers' ``IpcSocketProvider`` split on.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from mocknode.jsonread import decode_first, may_be_too_deep, too_deep
from mocknode.wire.events import DEFAULT_MAX_MESSAGE, NEED_DATA, Closed, Garbage, Message, NeedData

# Frames what decode_first refuses but the JSON-RPC layer answers (NaN, Infinity, long
# integers): constants accepted, integers kept as text, whatever their length.
_frame_only: Final = json.JSONDecoder(parse_int=str).raw_decode
# What surrogateescape makes of bytes that are not UTF-8.
_ESCAPED_BYTE: Final = re.compile("[\udc80-\udcff]")

_WHITESPACE = b" \t\r\n"
_OPENERS = b"{["
# Outside a string only these bytes change the scanner's state.
_STRUCTURAL = re.compile(rb'["{}\[\]]')
# Inside a string only a quote or a backslash does.
_IN_STRING = re.compile(rb'["\\]')

__all__ = ["DEFAULT_MAX_MESSAGE", "IpcConnection"]


class IpcConnection:
    """Split an inbound byte stream into JSON texts; frame outbound messages.

    ``receive_data(bytes)`` (``b""`` for EOF), then ``next_event()`` until
    :data:`NEED_DATA`; ``data_to_send()`` after :meth:`send_message`.
    """

    def __init__(self, *, max_message: int = DEFAULT_MAX_MESSAGE, fast_path: bool = True) -> None:
        self._max = max_message
        self._fast = fast_path
        self._buf = bytearray()
        self._eof = False
        self._closed: Closed | None = None
        self._out: list[bytes] = []
        # Scanner state for the value starting at self._buf[0]; kept across reads so a
        # value arriving in many pieces is scanned once in total.
        self._pos = 0
        self._depth = 0
        self._in_string = False

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the socket; ``b""`` means the peer closed its side."""
        if self._closed is not None:
            return
        if data:
            self._buf += data
        else:
            self._eof = True

    def next_event(self) -> Message | Garbage | NeedData | Closed:
        """The next complete JSON text, :class:`Garbage`, :data:`NEED_DATA` or the end."""
        if self._closed is not None:
            return self._closed
        if self._depth == 0 and not self._in_string:
            self._skip_whitespace()
            if not self._buf:
                return self._finish("eof") if self._eof else NEED_DATA
            if self._buf[0] not in _OPENERS:
                return self._garbage()
            if self._fast:
                fast = self._decode_first()
                if fast is not None:
                    return fast
        end = self._scan()
        if end is None:
            if len(self._buf) > self._max:
                return self._finish("message too large")
            return self._finish("eof inside a message") if self._eof else NEED_DATA
        if end > self._max:
            return self._finish("message too large")
        payload = bytes(self._buf[:end])
        parsed = None if too_deep(payload) else _parse_first(payload)
        if parsed is None or parsed[0] != end:
            return self._garbage()
        del self._buf[:end]
        self._pos = 0
        return Message(payload, parsed[1], parsed[2])

    def _decode_first(self) -> Message | None:
        """The first value in one C-level parse, when the buffer looks complete."""
        buf = self._buf
        if self._pos:
            return None
        last = buf[-1]
        if last != 0x7D and last != 0x5D and not _ends_like_a_value(buf):  # } ]
            return None
        if may_be_too_deep(buf):
            return None  # the scanner frames the first value; the guard then checks it
        parsed = _parse_first(buf)
        if parsed is None or parsed[0] > self._max:
            return None  # incomplete or invalid: the scanner decides which
        end, value, text = parsed
        payload = bytes(buf[:end])
        del buf[:end]
        return Message(payload, value, text)

    def candidate(self, data: bytes) -> bytes | None:
        """The one message ``data`` would be, read whole between two messages: ``data``
        without trailing whitespace, when nothing is buffered and it ends as a value
        ends; else None. Nothing is consumed: a session that can answer those exact
        bytes at once (:meth:`mocknode.io.session.QuickSession.quick`, which knows them
        as one whole call) answers them, and then ``data`` is not fed here at all;
        otherwise it is fed to :meth:`receive_data` as usual. Off with the fast path."""
        if not self._fast or self._buf or self._closed is not None or len(data) > self._max:
            return None
        if data[-1:] == b"\n":
            data = data.rstrip(_WHITESPACE)
        return data if data[-1:] == b"}" and data[:1] == b"{" else None

    def send_message(self, payload: bytes) -> None:
        """Queue one outbound message followed by the newline clients split on.

        Still allowed after :class:`Garbage`/:class:`Closed`: the parse-error answer to
        garbage is written before the driver hangs up."""
        self._out.append(payload + b"\n")

    def data_to_send(self) -> bytes:
        """Bytes queued for the socket since the last call."""
        out = b"".join(self._out)
        self._out.clear()
        return out

    def _skip_whitespace(self) -> None:
        i = 0
        n = len(self._buf)
        while i < n and self._buf[i] in _WHITESPACE:
            i += 1
        if i:
            del self._buf[:i]

    def _scan(self) -> int | None:
        """Continue scanning the value at the buffer start; its end offset, or None."""
        buf = self._buf
        pos = self._pos
        while True:
            if self._in_string:
                m = _IN_STRING.search(buf, pos)
                if m is None:
                    self._pos = len(buf)
                    return None
                if buf[m.start()] == 0x5C:  # backslash: skip the escaped byte
                    if m.start() + 1 >= len(buf):
                        self._pos = m.start()  # rescan the backslash once more arrives
                        return None
                    pos = m.start() + 2
                    continue
                self._in_string = False
                pos = m.end()
                continue
            m = _STRUCTURAL.search(buf, pos)
            if m is None:
                self._pos = len(buf)
                return None
            byte = buf[m.start()]
            pos = m.end()
            if byte == 0x22:  # quote
                self._in_string = True
            elif byte in _OPENERS:
                self._depth += 1
            else:
                self._depth -= 1
                if self._depth == 0:
                    self._pos = pos
                    return pos

    def _garbage(self) -> Garbage:
        payload = bytes(self._buf)
        self._buf.clear()
        self._finish("garbage")
        return Garbage(payload)

    def _finish(self, reason: str) -> Closed:
        self._buf.clear()
        if self._closed is None:
            self._closed = Closed(reason)
        return self._closed


def _ends_like_a_value(buf: bytearray) -> bool:
    """Whether the buffer's last non-blank byte closes an object or array: the only
    buffers worth a parse before the scanner has found a complete value."""
    last = buf[-1]
    if last in _WHITESPACE:
        tail = buf.rstrip(_WHITESPACE)
        if not tail:
            return False
        last = tail[-1]
    return last == 0x7D or last == 0x5D  # } ]


def _parse_first(data: bytes | bytearray) -> tuple[int, Any, str | None] | None:
    """The JSON value that starts ``data``: ``(end, value, text)``, or None when there is
    no complete, valid one. Call it only on data that passed the nesting guard.

    The one parse of a message, for both paths. ``end`` is the value's length in bytes.
    ``text`` is the value's own text and ``value`` what
    :func:`~mocknode.jsonread.decode_first` makes of it, for the session; both are None
    when that decoder would not take the message as it is (invalid UTF-8, ``NaN``, long
    integers: see the module docstring), which :data:`_frame_only` then frames. Bytes
    that are not UTF-8 decode one to one as lone surrogates, so offsets map back to
    bytes and such bytes inside strings are accepted, as Go's decoder accepts them.
    """
    ascii_only = data.isascii()
    utf8 = True
    if ascii_only:
        text = data.decode("ascii")
    else:
        try:
            text = data.decode()
        except UnicodeDecodeError:
            text = data.decode("utf-8", "surrogateescape")
            utf8 = False
    value: Any = None
    try:
        value, end = decode_first(text, 0)
        decoded = True
    except (json.JSONDecodeError, RecursionError):
        return None
    except ValueError:  # a constant or a long integer: a message, but bytes alone
        try:
            end = _frame_only(text, 0)[1]
        except (ValueError, RecursionError):
            return None
        decoded = False
    if end < len(text):
        text = text[:end]
    size = end if ascii_only else len(text.encode("utf-8", "surrogateescape"))
    if decoded and not utf8:
        # Bytes that are not UTF-8 may lie in a later value of the buffer only.
        decoded = _ESCAPED_BYTE.search(text) is None
    if not decoded:
        return size, None, None
    return size, value, text
