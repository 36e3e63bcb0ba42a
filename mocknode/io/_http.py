"""The HTTP side of the TCP port: the request loop, the WebSocket hand-off, and the one
place where a session's reply becomes HTTP behaviour.

Sessions: an HTTP connection asks the factory for a session (``ConnInfo.transport ==
"http"``, no push) when its first JSON-RPC body arrives, and keep-alive requests share
it; an upgraded connection gets a fresh WebSocket session (same connection id,
``transport="ws"``, with a push), the HTTP one being closed first. Requests on a
connection are answered one at a time, in order, as HTTP/1.1 requires.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, cast

from mocknode import values
from mocknode.io._conn import (
    Connection,
    Watchdog,
    apply_accept_reply,
    apply_connection_reply,
    close_session,
    wait_delayed,
)
from mocknode.io._messages import serve_messages
from mocknode.io.limits import ConnLimits
from mocknode.io.reply import (
    CloseConnection,
    Delayed,
    Dribble,
    Frames,
    HttpStatus,
    Later,
    RawBytes,
    Reply,
    ResetAfter,
    ResetConnection,
    Stall,
    Truncated,
    WsClose,
)
from mocknode.io.session import ConnInfo, Quick, Session, SessionFactory
from mocknode.wire.events import Closed, NeedData
from mocknode.wire.http import HttpConnection, HttpOptions, Upgraded, encode_header

if TYPE_CHECKING:  # wsproto (and h11 under it) load with the first upgrade, not at start
    from mocknode.wire.ws import WsConnection

log = logging.getLogger("mocknode.io")

CLOSE_INTERNAL_ERROR = 1011
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})

__all__ = ["apply_http_reply", "refuse_upgrade", "serve_http"]


async def serve_http(
    factory: SessionFactory,
    info: ConnInfo,
    opts: HttpOptions,
    conn: Connection,
    *,
    on_upgrade: Callable[[ConnInfo], Reply | None] | None = None,
    limits: ConnLimits | None = None,
    watchdog: Watchdog | None = None,
) -> None:
    """Serve HTTP requests (and a WebSocket upgrade) on one connection until it ends.

    ``on_upgrade(info)`` (``info.transport == "ws"``) is asked when a valid upgrade
    request arrived, before the ``101`` is written: ``None`` accepts it; a reply refuses
    it (see :func:`refuse_upgrade`). ``limits`` gives the read and idle timeouts
    (:class:`~mocknode.io.limits.ConnLimits`), which ``watchdog`` enforces (none without
    one); a WebSocket, once upgraded, has none."""
    http = HttpConnection(opts)
    session: Session | None = None
    quick: Quick | None = None
    lim = limits or ConnLimits()
    read_timeout = math.inf if lim.read_timeout is None else lim.read_timeout
    idle_timeout = math.inf if lim.idle_timeout is None else lim.idle_timeout
    timed = watchdog is not None and (read_timeout != math.inf or idle_timeout != math.inf)
    # When waiting for data must end: the first request (head and body) within
    # read_timeout of the connection's start, later ones within read_timeout of their
    # first byte, and the wait between requests within idle_timeout (as Go's server).
    # The watchdog enforces conn.wait_deadline; it is inf while a request is handled.
    wd = cast(Watchdog, watchdog)  # used only when timed, which implies one
    if timed:
        # wd.now lags by up to a tick: a tick more, so that no timeout fires early.
        read_timeout += wd.tick
        idle_timeout += wd.tick
        conn.wait_deadline = wd.now + read_timeout
    in_request = True
    try:
        while True:
            event = http.next_event()
            out = http.data_to_send()
            if out:
                await conn.put(out)
            if isinstance(event, NeedData):
                if timed:
                    if not http.between_requests:
                        if not in_request:
                            in_request = True
                            conn.wait_deadline = wd.now + read_timeout
                    elif conn.wait_deadline == math.inf:
                        conn.wait_deadline = wd.now + idle_timeout
                http.receive_data(await conn.receive())
                continue
            if isinstance(event, Closed):
                log.debug("http connection closed: %s", event.reason)
                return
            if isinstance(event, Upgraded):
                conn.wait_deadline = math.inf  # a WebSocket has no read or idle timeout
                if session is not None:
                    await close_session(session)
                    session = None
                ws_info = values.replace(info, transport="ws")
                refusal = on_upgrade(ws_info) if on_upgrade is not None else None
                if refusal is None or await refuse_upgrade(conn, refusal):
                    await _serve_ws(factory, ws_info, event.ws, conn)
                return
            if conn.closed:
                return  # aborted (the peer went away while we wrote): serve nothing more
            if timed:
                in_request = False
                conn.wait_deadline = math.inf  # armed again when the next wait begins
            if session is None:
                session = factory(info, None)
                quick = getattr(session, "quick", None)
            try:
                # A read the session knows at once (io.session's QuickSession): no await.
                reply: bytes | Reply | None = None if quick is None else quick(event.payload)
                if reply is None:
                    reply = await session.handle(event.payload)
            except Exception:
                log.exception("session failed on an HTTP request; answering 500")
                http.fail(500, "internal server error")
                await conn.put(http.data_to_send())
                return
            if type(reply) is bytes:
                http.respond(reply)
                rest = conn.write_now(http.data_to_send())
                if rest:
                    await conn.put(rest)
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
        await wait_delayed(reply)
        return await apply_http_reply(conn, http, reply.then)
    elif isinstance(reply, Later):
        return await apply_http_reply(conn, http, await reply.reply())
    elif isinstance(reply, Dribble):
        http.respond(reply.payload)
        await conn.put_paced(http.data_to_send(), reply.chunk_size, reply.interval, reply.sizes)
        return True
    elif isinstance(reply, CloseConnection | WsClose | ResetConnection | Stall):
        return await apply_connection_reply(conn, reply)
    elif isinstance(reply, Truncated):
        http.respond(reply.payload)
        await conn.put(http.data_to_send()[: reply.after_bytes])
        conn.hang_up()
        return False
    elif isinstance(reply, ResetAfter):
        http.respond(reply.payload)
        await conn.put_then_reset(http.data_to_send()[: reply.after_bytes])
        return False
    elif isinstance(reply, RawBytes):
        if not await apply_connection_reply(conn, reply):
            return False
        http.respond_out_of_band()
        return True
    else:
        raise TypeError(f"not a reply: {reply!r}")
    await conn.put(http.data_to_send())
    return True


async def refuse_upgrade(conn: Connection, reply: Reply) -> bool:
    """Answer a WebSocket upgrade request with ``reply`` instead of the ``101``; True if
    the upgrade should then go ahead after all (a :class:`Delayed` accept).

    An :class:`HttpStatus` becomes that HTTP response (with ``Connection: close``) and the
    connection closes: the client's handshake fails with that status. Anything else is
    applied as on accept (:func:`~mocknode.io._conn.apply_accept_reply`): a close, a
    reset, a stall, or a delay before accepting.
    """
    if isinstance(reply, HttpStatus):
        await conn.put(_status_response(reply))
        conn.hang_up()
        return False
    return await apply_accept_reply(conn, reply)


def _status_response(reply: HttpStatus) -> bytes:
    """A whole HTTP/1.1 response for ``reply``, closing the connection (written by hand:
    the HTTP codec has already handed the connection over to the WebSocket one)."""
    try:
        phrase = HTTPStatus(reply.status).phrase
    except ValueError:
        phrase = ""
    names = {name.lower() for name, _ in reply.headers}
    headers = [] if "content-type" in names else [("Content-Type", "text/plain; charset=utf-8")]
    headers += [(n, v) for n, v in reply.headers if n.lower() not in _FRAMING]
    headers += [("Content-Length", str(len(reply.body))), ("Connection", "close")]
    lines = [f"HTTP/1.1 {reply.status} {phrase}".encode("latin-1")]
    for name, value in headers:
        raw_name, raw_value = encode_header(name, value)
        lines.append(raw_name + b": " + raw_value)
    return b"\r\n".join(lines) + b"\r\n\r\n" + reply.body


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
