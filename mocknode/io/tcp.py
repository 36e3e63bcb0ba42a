"""The HTTP + WebSocket port: a trio TCP listener driving :mod:`mocknode.wire`.

Each accepted connection starts as HTTP (:class:`~mocknode.wire.http.HttpConnection`);
a WebSocket upgrade on the same port switches the connection to
:class:`~mocknode.wire.ws.WsConnection`, as anvil serves both on one port (the request
loop and the reply handling are in :mod:`mocknode.io._http`).

Seams for the layer above (a fault layer): ``conn_ids`` numbers connections (the owner
passes one counter to all its listeners), ``on_accept`` may refuse, reset, stall or
greet a connection before anything is read (and refuse a WebSocket upgrade),
``wrap_stream`` wraps every accepted stream, and :func:`serve_http_stream` serves any
already-connected stream (a wrapper, trio's memory streams) exactly as the listener
serves a socket.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from functools import partial

import trio

from mocknode.io._accept import (
    AcceptHook,
    StreamWrapper,
    accept_forever,
    new_counter,
    tcp_peer,
)
from mocknode.io._conn import Watchdog, run_connection
from mocknode.io._http import serve_http
from mocknode.io.limits import ConnLimits, ConnSlots
from mocknode.io.reply import Reply
from mocknode.io.session import ConnInfo, SessionFactory
from mocknode.values import replace
from mocknode.wire.http import HttpOptions

__all__ = ["TOO_MANY_CONNECTIONS", "serve_http_stream", "serve_tcp", "with_bound_name"]

log = logging.getLogger("mocknode.io")

TOO_MANY_CONNECTIONS = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"X-Content-Type-Options: nosniff\r\nContent-Length: 21\r\nConnection: close\r\n\r\n"
    b"too many connections\n"
)
"""A connection past a cap gets this (Go's ``http.Error`` shape), then a close."""


async def serve_tcp(
    session_factory: SessionFactory,
    host: str | None,
    port: int,
    *,
    options: HttpOptions | None = None,
    limits: ConnLimits | None = None,
    slots: ConnSlots | None = None,
    conn_ids: Callable[[], int] | None = None,
    on_accept: AcceptHook | None = None,
    wrap_stream: StreamWrapper | None = None,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve HTTP JSON-RPC and WebSocket on ``host:port`` until cancelled.

    ``task_status.started(bound_port)`` is called once listening, so ``port=0`` callers
    learn the free port picked. If ``host`` resolves to several addresses with ``port=0``
    only the first is kept, because each would get a different random port.
    ``limits`` (:class:`~mocknode.io.limits.ConnLimits`) bounds what a client may owe or
    hold: queued bytes, timeouts, connections; ``slots`` counts the connections open
    against those caps (the owner passes one to all its listeners; default: this
    server's own). A connection past a cap is answered ``503`` and closed.
    ``conn_ids`` gives each accepted connection its id (default: this server's own
    counter from 1). ``on_accept(info)`` runs before anything is read; a reply it returns
    is applied first (see :func:`~mocknode.io._conn.apply_accept_reply`). It is asked
    again, with ``info.transport == "ws"``, when the connection asks to upgrade to
    WebSocket, before the ``101``: a reply then refuses the upgrade (an
    :class:`~mocknode.io.reply.HttpStatus` answers it with that status), as a WebSocket
    endpoint is accepted at its handshake.
    ``wrap_stream(stream, info)`` returns the stream to serve instead of the socket.
    ``options.fast_path=False`` also keeps sockets off the raw-descriptor shortcut.
    """
    opts = with_bound_name(options or HttpOptions(), host)
    lim = limits or ConnLimits()
    listeners = await trio.open_tcp_listeners(port, host=_lookup_name(host))
    for listener in listeners:
        address = listener.socket.getsockname()[0]
        if not ipaddress.ip_address(address).is_loopback:
            log.warning(
                "mocknode: listening on %s, not a loopback address: anyone who can reach "
                "it can use the unlocked dev accounts (bind 127.0.0.1 unless you mean it)",
                address,
            )
    if port == 0 and len(listeners) > 1:
        for extra in listeners[1:]:
            await extra.aclose()
        listeners = listeners[:1]
    bound_port = int(listeners[0].socket.getsockname()[1])
    timeouts = [t for t in (lim.read_timeout, lim.idle_timeout) if t is not None]
    watchdog = Watchdog(min(timeouts)) if timeouts else None
    serve = partial(_serve_accepted, session_factory, opts, lim, on_accept, watchdog)
    next_id = conn_ids if conn_ids is not None else new_counter()
    async with trio.open_nursery() as nursery:
        if watchdog is not None:
            nursery.start_soon(watchdog.run)
        for listener in listeners:
            nursery.start_soon(
                partial(
                    accept_forever,
                    listener,
                    nursery,
                    transport="http",
                    peer=tcp_peer,
                    conn_ids=next_id,
                    on_accept=on_accept,
                    wrap_stream=wrap_stream,
                    serve=serve,
                    slots=slots if slots is not None else ConnSlots(lim),
                    refusal=TOO_MANY_CONNECTIONS,
                )
            )
        task_status.started(bound_port)


def _lookup_name(host: str | None) -> str | bytes | None:
    """``host`` as ``getaddrinfo`` should get it: an IP address literal as its ASCII
    bytes, which is what the IDNA codec makes of it, without loading that codec (a
    ``str`` host makes ``getaddrinfo`` import ``encodings.idna`` and ``stringprep``:
    ~4 ms of a CLI node's start, issue 12). A name stays a ``str``: trio encodes it."""
    if host is None:
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return host.encode("ascii")


def with_bound_name(options: HttpOptions, host: str | None) -> HttpOptions:
    """``options`` with the name the node was told to bind added to the allowed Host
    names (geth serves its own name too): ``--host devbox`` answers ``Host: devbox``."""
    if not host or "*" in options.allowed_hosts:
        return options
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        name = host.lower()
        if name not in options.allowed_hosts:
            return replace(options, allowed_hosts=(*options.allowed_hosts, name))
    return options


async def _serve_accepted(
    factory: SessionFactory,
    opts: HttpOptions,
    limits: ConnLimits,
    on_upgrade: AcceptHook | None,
    watchdog: Watchdog | None,
    stream: trio.abc.HalfCloseableStream,
    info: ConnInfo,
    accept_reply: Reply | None,
    reset_socket: trio.socket.SocketType,
) -> None:
    await serve_http_stream(
        stream,
        factory,
        info,
        options=opts,
        limits=limits,
        accept_reply=accept_reply,
        reset_socket=reset_socket,
        on_upgrade=on_upgrade,
        watchdog=watchdog,
    )


async def serve_http_stream(
    stream: trio.abc.HalfCloseableStream,
    session_factory: SessionFactory,
    info: ConnInfo,
    *,
    options: HttpOptions | None = None,
    limits: ConnLimits | None = None,
    accept_reply: Reply | None = None,
    reset_socket: trio.socket.SocketType | None = None,
    on_upgrade: AcceptHook | None = None,
    watchdog: Watchdog | None = None,
) -> None:
    """Serve one connected stream as the HTTP + WebSocket port does, until it ends.

    Any :class:`trio.abc.HalfCloseableStream` works; only exactly a
    :class:`trio.SocketStream` takes the raw-socket shortcut. ``reset_socket`` is the
    socket a :class:`~mocknode.io.reply.ResetConnection` aborts (without it, a reset is a
    plain close). ``on_upgrade(info)`` is asked before a WebSocket upgrade is accepted
    (see :func:`~mocknode.io._http.serve_http`). ``watchdog`` enforces the read and idle
    timeouts of ``limits`` (none without one). The caller closes ``stream`` afterwards.
    """
    opts = options or HttpOptions()
    lim = limits or ConnLimits()
    await run_connection(
        stream,
        partial(
            serve_http,
            session_factory,
            info,
            opts,
            on_upgrade=on_upgrade,
            limits=lim,
            watchdog=watchdog,
        ),
        max_queued_bytes=lim.max_queued_bytes,
        write_timeout=lim.write_timeout,
        busy_poll=lim.busy_poll,
        shortcut=opts.fast_path,
        reset_socket=reset_socket,
        accept_reply=accept_reply,
        watchdog=watchdog,
    )
