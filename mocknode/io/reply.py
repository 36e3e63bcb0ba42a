"""What a session may answer besides plain bytes: wire behaviour, as data.

:meth:`Session.handle <mocknode.io.session.Session.handle>` returns ``bytes`` (the JSON
reply, framed as usual), ``None`` (nothing to send) or one of these values. Each
transport family turns them into bytes and socket actions in exactly one function
(``apply_http_reply`` in :mod:`mocknode.io._http`, ``apply_message_reply`` in
:mod:`mocknode.io._messages`), so a fault layer above ``io`` can make any transport
misbehave without ``io`` knowing why, and without flags sprinkled through handlers.

Meaning per transport (HTTP is one request at a time; on WebSocket and IPC other
requests keep flowing while one reply is delayed, dribbled or stalled):

=================  ============================================  ===========================
reply              HTTP                                          WebSocket / IPC
=================  ============================================  ===========================
``HttpStatus``     that status line, headers and body; kept      the body as a normal
                   alive if ``keep_alive``                       message if non-empty
``CloseConnection`` FIN after what is already queued, no reply   same (WS: no close frame)
``ResetConnection`` RST (``SO_LINGER`` 0): the peer gets         same; on a unix socket
                   ``ECONNRESET``                                the peer sees EOF
``RawBytes``       exactly these bytes, no framing; then FIN     same
                   if ``close_after``
``Truncated``      the framed reply cut after ``after_bytes``,   same (a WS frame, an IPC
                   then FIN                                      line)
``ResetAfter``     the framed reply cut after ``after_bytes``,   same (a unix socket: EOF)
                   then RST
``Stall``          no answer, nothing more read; FIN when it     this request is never
                   ends (``None``: when the client leaves)       answered; others are
``Delayed``        wait (``seconds``, then ``until()`` if        same, without holding up
                   given), then apply ``then``                   other requests
``Later``          await ``reply()``, then apply what it         same, without holding up
                   returns                                       other requests
``Dribble``        the framed reply in chunks, one per interval  same
``Frames``         the payloads joined in one body               one message each, in order
``WsClose``        FIN                                           WS: close frame with the
                                                                 code (1006: FIN, no frame);
                                                                 IPC: FIN
=================  ============================================  ===========================

Every wait uses trio's clock, so a test on ``autojump_clock`` never really waits. The
values check their own fields when built, so a bad fault rule fails where it is written,
not on the wire.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from mocknode.values import dataclass
from mocknode.wire.http import encode_header

__all__ = [
    "CloseConnection",
    "Delayed",
    "Dribble",
    "Frames",
    "HttpStatus",
    "Later",
    "RawBytes",
    "Reply",
    "ResetAfter",
    "ResetConnection",
    "Stall",
    "Truncated",
    "WsClose",
]


@dataclass(frozen=True, slots=True)
class HttpStatus:
    """An HTTP answer with any final status. Content-Type defaults to text/plain; the
    Content-Length is always the body's (framing headers given here are dropped)."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    keep_alive: bool = True

    def __post_init__(self) -> None:
        if not 200 <= self.status <= 599:
            raise ValueError(f"HTTP status {self.status} is not a final status (200-599)")
        if self.status in (204, 304) and self.body:
            raise ValueError(f"HTTP status {self.status} cannot carry a body")
        for name, value in self.headers:
            encode_header(name, value)


@dataclass(frozen=True, slots=True)
class CloseConnection:
    """Close without replying: FIN once what was already queued is written."""


@dataclass(frozen=True, slots=True)
class ResetConnection:
    """Abortive close (``SO_LINGER`` on, 0 s): the peer sees ``ECONNRESET``."""


@dataclass(frozen=True, slots=True)
class RawBytes:
    """Exactly ``data`` on the socket, bypassing all framing; then close if asked."""

    data: bytes
    close_after: bool = True


@dataclass(frozen=True, slots=True)
class Truncated:
    """``payload`` framed as a normal reply, of which only the first ``after_bytes``
    bytes are written; then close."""

    payload: bytes
    after_bytes: int

    def __post_init__(self) -> None:
        if self.after_bytes < 0:
            raise ValueError("after_bytes must be at least 0")


@dataclass(frozen=True, slots=True)
class ResetAfter:
    """``payload`` framed as a normal reply, of which only the first ``after_bytes``
    bytes are written; then an abortive close (RST), as a proxy that dies mid-response."""

    payload: bytes
    after_bytes: int

    def __post_init__(self) -> None:
        if self.after_bytes < 0:
            raise ValueError("after_bytes must be at least 0")


@dataclass(frozen=True, slots=True)
class Stall:
    """Never answer this request; ``seconds`` (None: until the client leaves) of
    silence, after which HTTP closes the connection."""

    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.seconds is not None and self.seconds < 0:
            raise ValueError("seconds must be at least 0")


@dataclass(frozen=True, slots=True)
class Delayed:
    """Wait ``seconds``, then, if given, until ``until()`` returns; then apply ``then``
    (bytes are the normal JSON reply). ``until`` lets the layer above end the wait on
    something it sees (a count of messages sent), not only on the clock."""

    seconds: float
    then: bytes | Reply
    until: Callable[[], Awaitable[object]] | None = None

    def __post_init__(self) -> None:
        if self.seconds < 0:
            raise ValueError("seconds must be at least 0")


@dataclass(frozen=True, slots=True)
class Later:
    """The answer is not known yet: await ``reply()`` for it, then apply what it returns.

    For a call that waits on something other clients cause (``eth_sendRawTransactionSync``
    waiting for the block another client mines): the wait runs in the connection's own
    task (HTTP answers in order) or beside its reading loop (WebSocket, IPC), never in the
    way of other connections."""

    reply: Callable[[], Awaitable[bytes | Reply | None]]


@dataclass(frozen=True, slots=True)
class Dribble:
    """``payload`` framed as a normal reply, written ``chunk_size`` bytes at a time with
    ``interval`` seconds between chunks. ``sizes``, when given, are the first pieces'
    sizes in order (uneven pieces, as a fault splitting IPC replies at seeded offsets
    wants); whatever they do not cover goes out ``chunk_size`` bytes at a time."""

    payload: bytes
    chunk_size: int
    interval: float
    sizes: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        if self.interval < 0:
            raise ValueError("interval must be at least 0")
        if any(size < 1 for size in self.sizes):
            raise ValueError("every size must be at least 1")


@dataclass(frozen=True, slots=True)
class Frames:
    """Several messages for one request, each framed as its own message, in order (over
    HTTP, which has one response per request, they are joined into one body)."""

    payloads: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class WsClose:
    """WebSocket: a close frame with ``code`` (1006 is never sent on the wire: it means
    dropping TCP without a close frame); HTTP and IPC: close the connection."""

    code: int
    reason: str = ""

    def __post_init__(self) -> None:
        if not 1000 <= self.code <= 4999:
            raise ValueError(f"WebSocket close code {self.code} is not in 1000-4999")
        if len(self.reason.encode()) > 123:
            raise ValueError("a close reason holds at most 123 bytes of UTF-8")


Reply = (
    HttpStatus
    | CloseConnection
    | ResetConnection
    | RawBytes
    | Truncated
    | ResetAfter
    | Stall
    | Delayed
    | Later
    | Dribble
    | Frames
    | WsClose
)
