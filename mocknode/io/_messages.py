"""The message transports (WebSocket, IPC): the read loop and the one place where a
session's reply becomes wire behaviour for them.

Messages are handled one at a time, in order, as they arrive. A :class:`Delayed` or
:class:`Later` reply is the exception by design: it waits in its own task, so later
requests on the same connection are answered meanwhile and replies can come out of order
(clients that pipeline must cope with that). When the reading side ends, delayed replies still
pending are let finish before the connection closes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import trio

from mocknode.io._conn import Connection, MessageProtocol, wait_delayed
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
from mocknode.io.session import HandleParsed, Quick, Session
from mocknode.wire.events import Closed, Garbage, Message, NeedData

log = logging.getLogger("mocknode.io")

CLOSE_ABNORMAL = 1006  # never sent: it names a close without a close frame

__all__ = ["apply_message_reply", "serve_messages"]


async def serve_messages(conn: Connection, proto: MessageProtocol, session: Session) -> None:
    """Feed a message-oriented connection (WS, IPC) to its session, in order, until
    the peer or the protocol ends it. Garbage gets its one answer, then we hang up.

    A message that carries its decoded value (IPC) goes to the session's
    ``handle_parsed`` when it has one (:class:`~mocknode.io.session.ParsedSession`),
    so it is not parsed twice; every other message to ``handle``.

    A read that the framing takes for one whole message (``candidate``: IPC, WebSocket
    frames on their fast path) is first
    offered to the session's ``quick`` (:class:`~mocknode.io.session.QuickSession`):
    when that answers, the answer is written and the next read follows at once, with no
    framing, no event and no await in between."""
    handle_parsed: HandleParsed | None = getattr(session, "handle_parsed", None)
    candidate: Callable[[bytes], bytes | None] | None = getattr(proto, "candidate", None)
    quick: Quick | None = getattr(session, "quick", None) if candidate is not None else None
    async with trio.open_nursery() as later:
        while True:
            event = proto.next_event()
            out = proto.data_to_send()
            if out:
                await conn.put(out)
            if isinstance(event, NeedData):
                data = await conn.receive()
                while quick is not None and candidate is not None and not conn.closed:
                    message = candidate(data)
                    answer = None if message is None else quick(message)
                    if answer is None:
                        break
                    proto.send_message(answer)
                    rest = conn.write_now(proto.data_to_send())
                    if rest:
                        await conn.put(rest)
                    data = await conn.receive()
                proto.receive_data(data)
                continue
            if isinstance(event, Closed):
                log.debug("connection closed: %s", event.reason)
                return
            if conn.closed:
                return  # hung up (by a reply) or aborted: no more requests are served
            if handle_parsed is not None and type(event) is Message and event.text is not None:
                reply = await handle_parsed(event.payload, event.value, event.text)
            else:
                reply = await session.handle(event.payload)
            if type(reply) is bytes:
                proto.send_message(reply)
                rest = conn.write_now(proto.data_to_send())
                if rest:
                    await conn.put(rest)
            elif reply is not None:
                await apply_message_reply(conn, proto, reply, later)
            if isinstance(event, Garbage):
                log.debug("unframeable input; answered and closing")
                return


async def apply_message_reply(
    conn: Connection, proto: MessageProtocol, reply: bytes | Reply, later: trio.Nursery
) -> None:
    """Turn one reply into WebSocket or IPC behaviour (see :mod:`mocknode.io.reply`);
    ``later`` runs delayed replies beside the reading loop."""
    if isinstance(reply, bytes):
        proto.send_message(reply)
        await conn.put(proto.data_to_send())
    elif isinstance(reply, HttpStatus):
        if reply.body:
            proto.send_message(reply.body)
            await conn.put(proto.data_to_send())
    elif isinstance(reply, Frames):
        for payload in reply.payloads:
            proto.send_message(payload)
        await conn.put(proto.data_to_send())
    elif isinstance(reply, Delayed):
        later.start_soon(_apply_later, conn, proto, reply, later)
    elif isinstance(reply, Later):
        later.start_soon(_apply_awaited, conn, proto, reply, later)
    elif isinstance(reply, Stall):
        pass  # this request is simply never answered; the others go on
    elif isinstance(reply, CloseConnection):
        conn.hang_up()
    elif isinstance(reply, ResetConnection):
        conn.reset()
    elif isinstance(reply, WsClose):
        from mocknode.wire.ws import WsConnection  # only here: wsproto loads on first use

        if isinstance(proto, WsConnection) and reply.code != CLOSE_ABNORMAL:
            proto.close(reply.code, reply.reason)
            await conn.put(proto.data_to_send())
        conn.hang_up()
    elif isinstance(reply, RawBytes):
        await conn.put(reply.data)
        if reply.close_after:
            conn.hang_up()
    elif isinstance(reply, Truncated):
        proto.send_message(reply.payload)
        await conn.put(proto.data_to_send()[: reply.after_bytes])
        conn.hang_up()
    elif isinstance(reply, ResetAfter):
        proto.send_message(reply.payload)
        await conn.put_then_reset(proto.data_to_send()[: reply.after_bytes])
    elif isinstance(reply, Dribble):
        proto.send_message(reply.payload)
        await conn.put_paced(proto.data_to_send(), reply.chunk_size, reply.interval, reply.sizes)
    else:
        raise TypeError(f"not a reply: {reply!r}")


async def _apply_later(
    conn: Connection, proto: MessageProtocol, reply: Delayed, later: trio.Nursery
) -> None:
    await wait_delayed(reply)
    await apply_message_reply(conn, proto, reply.then, later)


async def _apply_awaited(
    conn: Connection, proto: MessageProtocol, reply: Later, later: trio.Nursery
) -> None:
    answer = await reply.reply()
    if answer is not None:
        await apply_message_reply(conn, proto, answer, later)
