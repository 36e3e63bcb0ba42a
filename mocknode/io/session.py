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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from mocknode.io.reply import (
    CloseConnection,
    Delayed,
    Dribble,
    Frames,
    HttpStatus,
    RawBytes,
    Reply,
    ResetConnection,
    Stall,
    Truncated,
    WsClose,
)

__all__ = [
    "CloseConnection",
    "ConnInfo",
    "Delayed",
    "Dribble",
    "Frames",
    "HttpStatus",
    "Push",
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


SessionFactory = Callable[[ConnInfo, Push | None], Session]
