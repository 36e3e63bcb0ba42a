"""The contract between the transports and whatever answers their messages.

``io`` moves whole messages; it never looks inside them. For each accepted connection
it asks a :data:`SessionFactory` for a :class:`Session`, hands it every complete
message (an HTTP request body, a WebSocket message, one JSON value off the IPC
stream) and writes back what it returns. ``push`` lets the session send messages the
client did not ask for (subscription notifications) on WebSocket and IPC; over HTTP
``push`` is ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

Transport = Literal["http", "ws", "ipc"]
# Non-blocking: it queues the bytes for the connection's writer and returns at once
# (a client too slow to drain its queue is disconnected, alone). It is a plain call so
# the synchronous chain can announce a block to subscribers without awaiting anything.
Push = Callable[[bytes], None]


class Session(Protocol):
    async def handle(self, payload: bytes) -> bytes | None:
        """Answer one message; ``None`` means nothing to send (notifications)."""
        ...

    async def close(self) -> None:
        """The connection ended; release what belongs to it (subscriptions)."""
        ...


SessionFactory = Callable[[Transport, Push | None], Session]
