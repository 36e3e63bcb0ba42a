"""geth's IPC framing, sans-io: a stream of concatenated JSON values in, ``value\\n`` out.

geth reads its unix socket with a streaming JSON decoder, so clients may send values
back to back with or without whitespace between them, split anywhere across writes.
:class:`IpcConnection` finds the end of each top-level object or array by scanning
brackets outside strings (tracking escapes), jumping between interesting bytes with a
regex so a 32 MiB hex blob costs one C-level search, not a Python loop per byte.

Each complete value is checked with :func:`json.loads` before it becomes a
:class:`~mocknode.wire.events.Message`: a syntax error, or anything that is not an object
or array at the top level, is reported as :class:`~mocknode.wire.events.Garbage` carrying
everything buffered from that point. That mirrors geth, whose decoder cannot resync after
bad input: it writes one parse-error answer and hangs up. Checking syntax here costs a
second parse of each message, which we accept to keep that behaviour exact (a bracket
count alone would pass ``{]`` along and keep the connection).

Fast path: when the buffer is ASCII and shallow, one C-level ``raw_decode`` finds the
first value's end and checks its syntax at once; only partial values, non-ASCII text
and errors go through the scanner. Nesting deeper than :data:`MAX_NESTING` is garbage
before any parser sees it: py-evm raises the interpreter's recursion limit at import,
and Python's C JSON scanner would then overflow the C stack on ``[[[[...``.

A value that grows past ``max_message`` without ending closes the connection (no reply:
there is no message to answer). Outbound, :meth:`IpcConnection.send_message` appends the
``\\n`` that web3.py's ``AsyncIPCProvider`` and ethers' ``IpcSocketProvider`` split on.
"""

from __future__ import annotations

import json
import re

from mocknode.wire.events import DEFAULT_MAX_MESSAGE, NEED_DATA, Closed, Garbage, Message, NeedData

MAX_NESTING = 512
_DECODER = json.JSONDecoder()

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

    def __init__(self, *, max_message: int = DEFAULT_MAX_MESSAGE) -> None:
        self._max = max_message
        self._buf = bytearray()
        self._eof = False
        self._closed: Closed | None = None
        self._out: list[bytes] = []
        # Scanner state for the value starting at self._buf[0]; kept across reads so a
        # value arriving in many pieces is scanned once in total.
        self._pos = 0
        self._depth = 0
        self._max_depth = 0
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
        if self._max_depth > MAX_NESTING:
            return self._garbage()
        payload = bytes(self._buf[:end])
        try:
            json.loads(payload)
        except ValueError:
            return self._garbage()
        del self._buf[:end]
        self._pos = 0
        self._max_depth = 0
        return Message(payload)

    def _decode_first(self) -> Message | None:
        """The first value in one C-level parse, when that is safe and it is complete."""
        buf = self._buf
        if self._pos or not buf.isascii() or buf.count(b"[") + buf.count(b"{") > MAX_NESTING:
            return None
        try:
            _, end = _DECODER.raw_decode(buf.decode("ascii"))
        except ValueError:
            return None  # incomplete or invalid: the scanner decides which
        if end > self._max:
            return None
        payload = bytes(buf[:end])
        del buf[:end]
        return Message(payload)

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
                if self._depth > self._max_depth:
                    self._max_depth = self._depth
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
