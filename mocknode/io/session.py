"""The contract between the transports and whatever answers their messages.

``io`` moves whole messages; it never looks inside them. For each accepted connection
it asks a :data:`SessionFactory` for a :class:`Session`, passing a :class:`ConnInfo`
(which connection, on which transport, from where), hands the session every complete
message (an HTTP request body, a WebSocket message, one JSON value off the IPC stream)
and writes back what it returns: the reply bytes, nothing, or a
:mod:`~mocknode.io.reply` value describing other wire behaviour (a status, a close, a
stall...). ``push`` lets the session send messages the client did not ask for
(subscription notifications) on WebSocket and IPC; over HTTP ``push`` is ``None``.

Connection ids come from a counter owned by whoever serves (the node passes one counter
to all of its listeners), so two nodes in one process both number their connections
from 1 and a seeded fault plan replays identically.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal, Protocol

from mocknode.io.reply import (
    CloseConnection,
    Delayed,
    Dribble,
    Frames,
    HttpStatus,
    Later,
    RawBytes,
    Reply,
    ResetConnection,
    Stall,
    Truncated,
    WsClose,
)
from mocknode.values import dataclass

__all__ = [
    "CloseConnection",
    "ConnInfo",
    "Delayed",
    "Dribble",
    "Frames",
    "HandleParsed",
    "HttpStatus",
    "Later",
    "ParsedSession",
    "Push",
    "Quick",
    "QuickSession",
    "RawBytes",
    "Reply",
    "ResetConnection",
    "Session",
    "SessionFactory",
    "Stall",
    "Transport",
    "Truncated",
    "WsClose",
]

Transport = Literal["http", "ws", "ipc"]
# Non-blocking: it queues the bytes for the connection's writer and returns at once
# (a client too slow to drain its queue is disconnected, alone). It is a plain call so
# the synchronous chain can announce a block to subscribers without awaiting anything.
Push = Callable[[bytes], None]


@dataclass(frozen=True, slots=True)
class ConnInfo:
    """One accepted connection, as the layers above see it."""

    id: int
    """Per server (per node), from 1, in accept order; shared by a TCP connection's
    HTTP and WebSocket sessions."""
    transport: Transport
    """``"http"`` for a TCP connection until it upgrades; its WebSocket session gets
    ``"ws"``."""
    peer: str
    """``"127.0.0.1:5555"`` (``"[::1]:5555"`` for IPv6), or the IPC socket's path."""


class Session(Protocol):
    async def handle(self, payload: bytes) -> bytes | Reply | None:
        """Answer one message: the reply bytes, ``None`` for nothing to send
        (notifications), or a :mod:`~mocknode.io.reply` value."""
        ...

    async def close(self) -> None:
        """The connection ended; release what belongs to it (subscriptions)."""
        ...


class ParsedSession(Session, Protocol):
    """A session that can also answer a message from the value its transport decoded.

    IPC has to parse every message to find where it ends (see :mod:`mocknode.wire.ipc`),
    so io offers the session that parse instead of making it parse the bytes again: when
    a session has ``handle_parsed``, each IPC message that carries a value goes there,
    and everything else (HTTP, WebSocket, IPC messages without a value, garbage) still
    goes to ``handle``. io only passes the value on; it never looks into it.

    The method is optional, so a session that wraps another (a fault layer) keeps
    seeing every message by offering ``handle`` alone. Such a wrapper must not hand out
    the inner session's ``handle_parsed`` (as a ``__getattr__`` that forwards every
    attribute would): messages would then bypass it.
    """

    async def handle_parsed(self, payload: bytes, value: object, text: str) -> bytes | Reply | None:
        """Answer one message exactly as ``handle(payload)`` would. ``value`` is
        ``mocknode.jsonread.decode_first(text, 0)[0]`` and ``text`` the payload decoded
        (:class:`mocknode.wire.events.Message` says which messages have them)."""
        ...


class QuickSession(Session, Protocol):
    """A session that may answer a message at once from bytes alone, before any framing.

    The IPC and WebSocket transports read a sequential client's request in one piece.
    Before feeding it to the framing, io offers the message those bytes would be
    (``candidate``, the framing's guess at one whole message; HTTP offers each body) to
    ``quick``: bytes back mean the session knows them as exactly one
    whole message and this is its whole answer (:mod:`mocknode.rpc.memo`), and the read
    is then done with; ``None`` means nothing happened, and the bytes take the usual path.

    Optional, like ``handle_parsed``: a wrapper (the fault layer) offers it only where
    it would pass the message through untouched, so it still sees every message it acts
    on."""

    def quick(self, message: bytes) -> bytes | None:
        """The whole answer to ``message`` if it is known at once, else None (and
        nothing was done)."""
        ...


HandleParsed = Callable[[bytes, object, str], Awaitable[bytes | Reply | None]]
"""The type of a :class:`ParsedSession`'s bound ``handle_parsed``."""

Quick = Callable[[bytes], bytes | None]
"""The type of a :class:`QuickSession`'s bound ``quick``."""

SessionFactory = Callable[[ConnInfo, Push | None], Session]
