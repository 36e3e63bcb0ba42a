"""The HTTP side of the TCP port: the request loop, the WebSocket hand-off, and the one
place where a session's reply becomes HTTP behaviour.

Sessions: an HTTP connection asks the factory for a session (``ConnInfo.transport ==
"http"``, no push) when its first JSON-RPC body arrives, and keep-alive requests share
it; an upgraded connection gets a fresh WebSocket session (same connection id,
``transport="ws"``, with a push), the HTTP one being closed first. Requests on a
connection are answered one at a time, in order, as HTTP/1.1 requires.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

import trio

from mocknode.io._conn import Connection, close_session
from mocknode.io._messages import serve_messages
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
from mocknode.io.session import ConnInfo, Session, SessionFactory
from mocknode.wire.events import Closed, NeedData
from mocknode.wire.http import HttpConnection, HttpOptions, Upgraded

if TYPE_CHECKING:  # wsproto (and h11 under it) load with the first upgrade, not at start
    from mocknode.wire.ws import WsConnection

log = logging.getLogger("mocknode.io")

CLOSE_INTERNAL_ERROR = 1011

__all__ = ["apply_http_reply", "serve_http"]


async def serve_http(
    factory: SessionFactory, info: ConnInfo, opts: HttpOptions, conn: Connection
) -> None:
    """Serve HTTP requests (and a WebSocket upgrade) on one connection until it ends."""
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
                await _serve_ws(factory, dataclasses.replace(info, transport="ws"), event.ws, conn)
                return
            if conn.closed:
                return  # aborted (the peer went away while we wrote): serve nothing more
            if session is None:
                session = factory(info, None)
            try:
                reply = await session.handle(event.payload)
            except Exception:
                log.exception("session failed on an HTTP request; answering 500")
                http.fail(500, "internal server error")
                await conn.put(http.data_to_send())
                return
            if type(reply) is bytes:
                http.respond(reply)
                await conn.put(http.data_to_send())
            elif not await apply_http_reply(conn, http, reply):
                return
    finally:
        if session is not None:
            await close_session(session)


async def apply_http_reply(
    conn: Connection, http: HttpConnection, reply: bytes | Reply | None
) -> bool:
    """Turn one reply to the current request into HTTP behaviour (see
    :mod:`mocknode.io.reply`); False when the connection is done."""
    if reply is None or isinstance(reply, bytes):
        http.respond(reply)
    elif isinstance(reply, HttpStatus):
        http.respond_status(reply.status, reply.body, reply.headers, keep_alive=reply.keep_alive)
    elif isinstance(reply, Frames):
        http.respond(b"".join(reply.payloads))
    elif isinstance(reply, Delayed):
        await trio.sleep(reply.seconds)
        return await apply_http_reply(conn, http, reply.then)
    elif isinstance(reply, Dribble):
        http.respond(reply.payload)
        await conn.put_paced(http.data_to_send(), reply.chunk_size, reply.interval)
        return True
    elif isinstance(reply, CloseConnection | WsClose):
        conn.hang_up()
        return False
    elif isinstance(reply, ResetConnection):
        conn.reset()
        return False
    elif isinstance(reply, Stall):
        await conn.idle(reply.seconds)
        conn.hang_up()
        return False
    elif isinstance(reply, Truncated):
        http.respond(reply.payload)
        await conn.put(http.data_to_send()[: reply.after_bytes])
        conn.hang_up()
        return False
    elif isinstance(reply, RawBytes):
        await conn.put(reply.data)
        if reply.close_after:
            conn.hang_up()
            return False
        http.respond_out_of_band()
        return True
    else:
        raise TypeError(f"not a reply: {reply!r}")
    await conn.put(http.data_to_send())
    return True


async def _serve_ws(
    factory: SessionFactory, info: ConnInfo, ws: WsConnection, conn: Connection
) -> None:
    await conn.put(ws.data_to_send())  # the 101 goes out before anything else
    session = factory(info, conn.make_push(ws))
    try:
        await serve_messages(conn, ws, session)
    except Exception:
        log.exception("session failed on a WebSocket message; closing with 1011")
        ws.close(CLOSE_INTERNAL_ERROR, "internal error")
        await conn.put(ws.data_to_send())
    finally:
        await close_session(session)
