"""WebSocket framing for JSON-RPC, sans-io, on wsproto.

A :class:`WsConnection` starts from an HTTP upgrade request that
:class:`~mocknode.wire.http.HttpConnection` already parsed (WebSocket shares the HTTP
port, as anvil does), so the handshake is :func:`accept_upgrade`, not a second HTTP parser.

Behaviour, chosen to match what geth's ``rpc/websocket.go`` gives clients:

- inbound text *and* binary messages are messages (web3.py sends binary by default);
  fragments are reassembled; a message larger than ``max_message`` (geth's read limit,
  32 MiB) closes the connection with 1009 "message too big";
- every outbound message is exactly one **text** frame (a payload that is not valid UTF-8
  cannot be a text frame; it goes out as one binary frame rather than being mangled);
- pings are answered with pongs, the close handshake is completed, and a protocol error
  from the peer closes with the code wsproto chose (1002/1007; the reason of a 1007 is
  always ``invalid UTF-8``, not the codec's message).

No extensions (permessage-deflate) are negotiated: frames then carry no cross-message
state, so the order in which independent messages are encoded never matters.

Fast path: wsproto costs ~35 µs per request/response pair here (event objects, frame
decoder state machine, UTF-8 checks through codecs), a third of a whole round trip. A
JSON-RPC message is almost always one final, masked, text or binary frame, and the
only control frames on a healthy connection are pings and pongs. Those are parsed,
unmasked (one big-integer XOR) and answered here directly; outbound messages are framed
by hand. The first frame of any other kind (a fragment, reserved bits, a close, an
invalid length or UTF-8, anything oversized) hands the connection, with every unparsed
byte, to wsproto for good, so every unusual case keeps wsproto's exact behaviour.
``fast_path=False`` uses wsproto from the first frame; the output is the same bytes
(``tests/wire/test_wire_fastpath_equal.py`` feeds both modes the same frames).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable

from wsproto import ConnectionState
from wsproto.connection import Connection, ConnectionType
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Request,
    TextMessage,
)
from wsproto.handshake import H11Handshake
from wsproto.utilities import RemoteProtocolError

from mocknode.wire.events import DEFAULT_MAX_MESSAGE, NEED_DATA, Closed, Message, NeedData
from mocknode.wire.fastpath import FastPathBuffer

CLOSE_NORMAL = 1000
CLOSE_INVALID_DATA = 1007
CLOSE_TOO_BIG = 1009
_INVALID_UTF8 = "invalid UTF-8"

__all__ = [
    "DEFAULT_MAX_MESSAGE",
    "WsConnection",
    "WsHandshakeError",
    "accept_upgrade",
]


class WsHandshakeError(Exception):
    """The request asked for a WebSocket upgrade but is not a valid one.

    ``status`` (400, or 426 for a wrong ``Sec-WebSocket-Version``) and ``text`` are what
    the HTTP layer answers before closing.
    """

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"{status} {text}")
        self.status = status
        self.text = text


def accept_upgrade(
    headers: Iterable[tuple[bytes, bytes]],
    target: bytes,
    *,
    max_message: int = DEFAULT_MAX_MESSAGE,
    fast_path: bool = True,
) -> WsConnection:
    """Accept an upgrade request already parsed by h11; the ``101`` is queued in
    ``data_to_send()`` of the returned connection. Raises :class:`WsHandshakeError`."""
    handshake = H11Handshake(ConnectionType.SERVER)
    try:
        handshake.initiate_upgrade_connection(list(headers), target)
        requests = [ev for ev in handshake.events() if isinstance(ev, Request)]
    except RemoteProtocolError as exc:
        hint = exc.event_hint
        status = getattr(hint, "status_code", 400)
        raise WsHandshakeError(int(status), str(exc)) from exc
    if not requests:  # pragma: no cover - wsproto always yields the Request or raises
        raise WsHandshakeError(400, "Bad WebSocket upgrade request")
    accept_bytes = handshake.send(AcceptConnection())
    conn = handshake.connection
    assert conn is not None
    ws = WsConnection(conn, max_message=max_message, fast_path=fast_path)
    ws._out.append(accept_bytes)
    return ws


class WsConnection:
    """One server-side WebSocket connection: bytes in, :class:`Message`/:class:`Closed` out.

    Drive it like h11: ``receive_data(bytes)`` (``b""`` for EOF), ``next_event()`` until
    :data:`NEED_DATA`, and write ``data_to_send()`` after each call. Outbound messages
    go through :meth:`send_message`.
    """

    def __init__(
        self, conn: Connection, *, max_message: int = DEFAULT_MAX_MESSAGE, fast_path: bool = True
    ) -> None:
        self._conn = conn
        self._max_message = max_message
        self._out: list[bytes] = []
        self._parts: list[bytes] = []
        self._size = 0
        self._closed: Closed | None = None
        self._pending = FastPathBuffer(fast_path)
        # UTF-8 check of a text frame still arriving: (decoder, [payload bytes checked]).
        self._partial_text: tuple[codecs.IncrementalDecoder, list[int]] | None = None

    @property
    def closed(self) -> bool:
        """True once :class:`Closed` has been (or is about to be) reported."""
        return self._closed is not None

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the socket; ``b""`` means the peer closed the stream."""
        if self._closed is not None or self._conn.state is ConnectionState.CLOSED:
            return
        if self._pending.active:
            self._pending.feed(data)
            return
        self._conn.receive_data(data if data else None)

    @property
    def _fast(self) -> bool:
        return self._pending.active

    def _to_wsproto(self) -> None:
        """Leave the fast path: wsproto gets every unparsed byte and keeps the stream."""
        self._pending.hand_over(self._conn.receive_data, lambda: self._conn.receive_data(None))

    def _fast_event(self) -> Message | NeedData | None:
        """The next data frame as a message, NEED_DATA, or None to hand over to wsproto.

        Every refusal happens at the byte where wsproto's parser would refuse (the
        first two bytes for the flags and opcode, the extended length, the payload's
        UTF-8 as it arrives), so handing over never changes when an error is answered.
        """
        buffer = self._pending.buffer
        eof = self._pending.eof
        while True:
            if len(buffer) < 2:
                return None if eof else NEED_DATA
            first, second = buffer[0], buffer[1]
            opcode = first & 0x0F
            length = second & 0x7F
            # FIN set, no reserved bits, masked (a client must mask), a data frame, ping
            # or pong (a close, continuation or reserved opcode is wsproto's business),
            # a short control frame: else wsproto decides.
            if (
                first & 0xF0 != 0x80
                or not second & 0x80
                or opcode not in (1, 2, 9, 10)
                or (opcode >= 8 and length > 125)
            ):
                return None
            start = 2
            if length == 126:
                start = 4
                if len(buffer) < start:
                    return None if eof else NEED_DATA
                length = int.from_bytes(buffer[2:4], "big")
                if length < 126:
                    return None
            elif length == 127:
                start = 10
                if len(buffer) < start:
                    return None if eof else NEED_DATA
                length = int.from_bytes(buffer[2:10], "big")
                if length < 65536 or length >> 63:
                    return None
            if length > self._max_message:
                return None
            end = start + 4 + length
            if len(buffer) < end:
                if eof:
                    return None
                if opcode == 1 and not self._text_so_far_ok(buffer, start):
                    return None  # wsproto closes with 1007 at this byte too
                return NEED_DATA
            self._partial_text = None
            payload = _unmask(bytes(buffer[start + 4 : end]), bytes(buffer[start : start + 4]))
            if opcode == 1 and not payload.isascii():
                try:
                    payload.decode("utf-8")
                except UnicodeDecodeError:
                    return None  # wsproto closes with 1007
            del buffer[:end]
            if opcode <= 2:
                return Message(payload)
            if opcode == 9:
                self._out.append(_frame(0x8A, payload))  # pong with the ping's data
            # a pong needs nothing

    def _text_so_far_ok(self, buffer: bytearray, start: int) -> bool:
        """Whether the part of a text frame received so far can still be UTF-8.

        wsproto checks a text frame's payload as its pieces arrive, so a client that
        sends an invalid byte early gets its 1007 before the frame is complete; the
        fast path keeps that timing by checking each new piece as it arrives."""
        if len(buffer) <= start + 4:
            return True
        state = self._partial_text
        if state is None:
            state = self._partial_text = (codecs.getincrementaldecoder("utf-8")(), [0])
        decoder, checked = state
        offset = start + 4 + checked[0]
        if len(buffer) <= offset:
            return True
        mask = bytes(buffer[start : start + 4])
        turn = checked[0] % 4
        piece = bytes(buffer[offset:])
        try:
            decoder.decode(_unmask(piece, mask[turn:] + mask[:turn]))
        except UnicodeDecodeError:
            return False
        checked[0] += len(piece)
        return True

    def next_event(self) -> Message | NeedData | Closed:
        """The next complete message, :data:`NEED_DATA`, or :class:`Closed` (sticky)."""
        if self._closed is not None:
            return self._closed
        if self._fast:
            fast = self._fast_event()
            if fast is not None:
                return fast
            self._to_wsproto()
        for event in self._conn.events():
            if isinstance(event, TextMessage | BytesMessage):
                chunk = event.data.encode("utf-8") if isinstance(event, TextMessage) else event.data
                self._size += len(chunk)
                if self._size > self._max_message:
                    return self._close(CLOSE_TOO_BIG, "message too big", "message too large")
                self._parts.append(bytes(chunk))
                if event.message_finished:
                    payload = b"".join(self._parts)
                    self._parts.clear()
                    self._size = 0
                    return Message(payload)
            elif isinstance(event, Ping):
                self._out.append(self._conn.send(event.response()))
            elif isinstance(event, CloseConnection):
                return self._on_close(event)
            # Pong: nothing to do, we never ping first.
        return NEED_DATA

    def candidate(self, data: bytes) -> bytes | None:
        """The one message ``data`` would be: its payload, unmasked, when it is exactly
        one whole final masked text or binary frame read between frames on the fast
        path; else None. Nothing is consumed: a session that knows the payload as one
        whole call answers it at once (io.session's ``QuickSession``), and otherwise
        ``data`` is fed to :meth:`receive_data` as usual. A text frame whose payload is
        not UTF-8 is never a candidate: the full path closes the connection for it."""
        if not self._pending.active or self._pending.buffer or self._closed is not None:
            return None
        if len(data) < 6 or data[0] not in (0x81, 0x82) or not data[1] & 0x80:
            return None
        length = data[1] & 0x7F
        start = 2
        if length == 126:
            start = 4
            length = int.from_bytes(data[2:4], "big")
            if length < 126:
                return None
        elif length == 127:
            return None
        if length > self._max_message or start + 4 + length != len(data):
            return None
        payload = _unmask(data[start + 4 :], data[start : start + 4])
        if data[0] == 0x81 and not payload.isascii() and not _is_utf8(payload):
            return None  # the full path closes with 1007 at this frame
        return payload

    def send_message(self, payload: bytes) -> None:
        """Queue one outbound message as a single text frame; dropped once closing."""
        if self._closed is not None or self._conn.state is not ConnectionState.OPEN:
            return
        if self._fast:
            text = payload.isascii() or _is_utf8(payload)
            self._out.append(_frame(0x81 if text else 0x82, payload))
            return
        try:
            frame = self._conn.send(TextMessage(data=payload.decode("utf-8")))
        except UnicodeDecodeError:
            frame = self._conn.send(BytesMessage(data=payload))
        self._out.append(frame)

    def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> Closed:
        """Start a server-side close (shutdown): queue the close frame, report Closed."""
        if self._closed is not None:
            return self._closed
        return self._close(code, reason, "server closing")

    def data_to_send(self) -> bytes:
        """Bytes queued for the socket since the last call."""
        out = b"".join(self._out)
        self._out.clear()
        return out

    def _on_close(self, event: CloseConnection) -> Closed:
        state = self._conn.state
        if state is ConnectionState.REMOTE_CLOSING:
            # Peer started the close handshake: echo its code, then we are done.
            self._out.append(self._conn.send(event.response()))
            self._closed = Closed(f"peer closed ({event.code})")
        elif state is ConnectionState.OPEN:
            # wsproto reports a peer protocol error as a CloseConnection while still open.
            # For bad UTF-8 its reason is the codec's message, with a byte position
            # counted from wherever the peer's data happened to be split: a fixed text
            # instead, so the close frame depends only on what the peer sent.
            reason = _INVALID_UTF8 if event.code == CLOSE_INVALID_DATA else event.reason
            self._out.append(self._conn.send(CloseConnection(event.code, reason)))
            self._closed = Closed(f"protocol error ({event.code}: {reason})")
        else:
            # EOF (1006), or the answer to a close we sent.
            self._closed = Closed(f"closed ({event.code})")
        return self._closed

    def _close(self, code: int, reason: str, why: str) -> Closed:
        if self._conn.state in (ConnectionState.OPEN, ConnectionState.REMOTE_CLOSING):
            self._out.append(self._conn.send(CloseConnection(code=code, reason=reason)))
        self._parts.clear()
        self._closed = Closed(why)
        return self._closed


def _unmask(payload: bytes, mask: bytes) -> bytes:
    """XOR ``payload`` with the repeating 4-byte ``mask`` (one C-level big-int XOR)."""
    n = len(payload)
    if not n:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


def _frame(first_byte: int, payload: bytes) -> bytes:
    """One unmasked, final frame (server to client) carrying ``payload``."""
    n = len(payload)
    if n < 126:
        head = bytes((first_byte, n))
    elif n < 65536:
        head = bytes((first_byte, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((first_byte, 127)) + n.to_bytes(8, "big")
    return head + payload


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
