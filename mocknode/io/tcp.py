"""The HTTP + WebSocket port: a trio TCP listener driving :mod:`mocknode.wire`.

Each accepted connection starts as HTTP (:class:`~mocknode.wire.http.HttpConnection`);
a WebSocket upgrade on the same port switches the connection to
:class:`~mocknode.wire.ws.WsConnection`, as anvil serves both on one port.

Sessions: an HTTP connection asks the factory for an ``("http", None)`` session when its
first JSON-RPC body arrives (keep-alive requests share it); an upgraded connection gets
a fresh ``("ws", push)`` session (the HTTP one, if any, is closed first). Messages on a
connection are handled one at a time, in order.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

import trio

from mocknode.io._conn import (
    DEFAULT_MAX_QUEUED,
    Connection,
    close_session,
    run_connection,
    serve_messages,
)
from mocknode.io.session import Session, SessionFactory
from mocknode.wire.events import Closed, NeedData
from mocknode.wire.http import HttpConnection, HttpOptions, Upgraded

if TYPE_CHECKING:
    from mocknode.wire.ws import WsConnection

log = logging.getLogger("mocknode.io")

CLOSE_INTERNAL_ERROR = 1011

__all__ = ["serve_tcp"]


async def serve_tcp(
    session_factory: SessionFactory,
    host: str | None,
    port: int,
    *,
    options: HttpOptions | None = None,
    max_queued: int = DEFAULT_MAX_QUEUED,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve HTTP JSON-RPC and WebSocket on ``host:port`` until cancelled.

    ``task_status.started(bound_port)`` is called once listening, so ``port=0`` callers
    learn the free port picked. If ``host`` resolves to several addresses with ``port=0``
    only the first is kept, because each would get a different random port.
    ``max_queued`` bounds the messages waiting for a slow client before it is dropped.
    """
    opts = options or HttpOptions()
    listeners = await trio.open_tcp_listeners(port, host=host)
    if port == 0 and len(listeners) > 1:
        for extra in listeners[1:]:
            await extra.aclose()
        listeners = listeners[:1]
    bound_port = int(listeners[0].socket.getsockname()[1])
    handler = partial(_handle_stream, session_factory, opts, max_queued)
    async with trio.open_nursery() as nursery:
        task_status.started(bound_port)
        await trio.serve_listeners(handler, listeners, handler_nursery=nursery)


async def _handle_stream(
    factory: SessionFactory, opts: HttpOptions, max_queued: int, stream: trio.SocketStream
) -> None:
    await run_connection(stream, partial(_serve_http, factory, opts), max_queued=max_queued)


async def _serve_http(factory: SessionFactory, opts: HttpOptions, conn: Connection) -> None:
    http = HttpConnection(opts)
    session: Session | None = None
    try:
        while True:
            event = http.next_event()
            out = http.data_to_send()
            if out:
                await conn.put(out)
            if isinstance(event, NeedData):
                http.receive_data(await conn.receive())
                continue
            if isinstance(event, Closed):
                log.debug("http connection closed: %s", event.reason)
                return
            if isinstance(event, Upgraded):
                if session is not None:
                    await close_session(session)
                    session = None
                await _serve_ws(factory, event.ws, conn)
                return
            if session is None:
                session = factory("http", None)
            try:
                reply = await session.handle(event.payload)
            except Exception:
                log.exception("session failed on an HTTP request; answering 500")
                http.fail(500, "internal server error")
                await conn.put(http.data_to_send())
                return
            http.respond(reply)
            await conn.put(http.data_to_send())
    finally:
        if session is not None:
            await close_session(session)


async def _serve_ws(factory: SessionFactory, ws: WsConnection, conn: Connection) -> None:
    await conn.put(ws.data_to_send())  # the 101 goes out before anything else
    session = factory("ws", conn.make_push(ws))
    try:
        await serve_messages(conn, ws, session)
    except Exception:
        log.exception("session failed on a WebSocket message; closing with 1011")
        ws.close(CLOSE_INTERNAL_ERROR, "internal error")
        await conn.put(ws.data_to_send())
    finally:
        await close_session(session)
