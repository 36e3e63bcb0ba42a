"""Accepting connections: ids, the accept-time hooks, and closing what was accepted.

trio's ``serve_listeners`` starts one task per accepted stream, but trio shuffles the
order in which new tasks first run, so numbering connections inside those tasks would
not follow accept order. Here the accept loop itself gives each stream its
:class:`~mocknode.io.session.ConnInfo` (id from the server's counter) before starting
its task, then the task consults ``on_accept`` and ``wrap_stream`` and serves it.
"""

from __future__ import annotations

import errno
import itertools
import logging
import os
from collections.abc import Awaitable, Callable
from typing import NoReturn

import trio

from mocknode.io.limits import ConnSlots, peer_address
from mocknode.io.reply import Reply
from mocknode.io.session import ConnInfo, Transport

log = logging.getLogger("mocknode.io")

AcceptHook = Callable[[ConnInfo], Reply | None]
"""Called for every accepted connection before anything is read; a reply refuses
(:class:`~mocknode.io.reply.CloseConnection`), resets, stalls, delays or greets it."""
StreamWrapper = Callable[[trio.abc.HalfCloseableStream, ConnInfo], trio.abc.HalfCloseableStream]
"""Wraps every accepted stream (to count or mangle bytes); the connection is then
served over the wrapper, on trio's general stream path."""
ServeAccepted = Callable[
    [trio.abc.HalfCloseableStream, ConnInfo, Reply | None, trio.socket.SocketType],
    Awaitable[None],
]

# accept(2) errors that mean the system is out of something; wait and retry.
_CAPACITY_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS})
_CAPACITY_WAIT = 0.1
_REFUSAL_LINGER = 0.5  # reading what a refused client sends, so our answer is not reset


def new_counter() -> Callable[[], int]:
    """Connection ids 1, 2, 3...: one counter per server unless the owner passes one."""
    return itertools.count(1).__next__


def tcp_peer(stream: trio.SocketStream) -> str:
    try:
        address = stream.socket.getpeername()
    except OSError:
        return "unknown"
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def accept_forever(
    listener: trio.SocketListener,
    nursery: trio.Nursery,
    *,
    transport: Transport,
    peer: Callable[[trio.SocketStream], str],
    conn_ids: Callable[[], int],
    on_accept: AcceptHook | None,
    wrap_stream: StreamWrapper | None,
    serve: ServeAccepted,
    slots: ConnSlots,
    refusal: bytes,
) -> NoReturn:
    """Accept on ``listener`` until cancelled; each connection runs in ``nursery``.

    A connection past one of ``slots``' caps is answered ``refusal`` (nothing for IPC)
    and closed, before any hook sees it: it gets no id and is never served."""
    async with listener:
        while True:
            try:
                stream = await listener.accept()
            except OSError as exc:
                if exc.errno not in _CAPACITY_ERRNOS:
                    raise
                log.error("accept: %s; retrying in %ss", os.strerror(exc.errno), _CAPACITY_WAIT)
                await trio.sleep(_CAPACITY_WAIT)
                continue
            name = peer(stream)
            address = peer_address(name)
            if not slots.take(address):
                log.warning("refusing a connection from %s: too many connections", name)
                nursery.start_soon(_refuse, stream, refusal)
                continue
            info = ConnInfo(conn_ids(), transport, name)
            nursery.start_soon(_run_accepted, stream, info, on_accept, wrap_stream, serve, slots)


async def _refuse(stream: trio.SocketStream, refusal: bytes) -> None:
    """Write ``refusal``, half-close, read briefly what the client still sends (closing
    over unread bytes would reset the answer away), then close."""
    try:
        with trio.move_on_after(_REFUSAL_LINGER):
            if refusal:
                await stream.send_all(refusal)
            await stream.send_eof()
            while await stream.receive_some(65536):
                pass
    except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
        pass
    finally:
        await trio.aclose_forcefully(stream)


async def _run_accepted(
    stream: trio.SocketStream,
    info: ConnInfo,
    on_accept: AcceptHook | None,
    wrap_stream: StreamWrapper | None,
    serve: ServeAccepted,
    slots: ConnSlots,
) -> None:
    served: trio.abc.HalfCloseableStream = stream
    try:
        reply = on_accept(info) if on_accept is not None else None
        if wrap_stream is not None:
            served = wrap_stream(stream, info)
        await serve(served, info, reply, stream.socket)
    except Exception:
        log.exception("connection %d: accept hooks failed; closing it", info.id)
    finally:
        slots.give_back(peer_address(info.peer))
        await trio.aclose_forcefully(served)
        if served is not stream:
            await trio.aclose_forcefully(stream)
