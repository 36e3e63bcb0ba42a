"""Test doubles for the layer above io (an uppercasing session, a scripted one that
returns replies) and small socket clients.

The sessions are not mocks of mocknode's rpc layer; they stand in for "whatever answers
messages" so the transports are tested over real sockets on their own.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import h11
import trio
from wsproto import WSConnection
from wsproto.connection import ConnectionType
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Request,
    TextMessage,
)

from mocknode.io.ipc import serve_ipc
from mocknode.io.session import ConnInfo, Push, Reply, Session
from mocknode.io.tcp import serve_tcp
from mocknode.values import replace
from mocknode.wire.http import HttpOptions


class UpperSession:
    """Replies with the payload uppercased. JSON commands: ``{"push": n}`` pushes n
    notifications before replying, ``{"boom": 1}`` raises, ``{"silent": 1}`` replies
    nothing, ``{"sleep": s}`` sleeps first."""

    def __init__(self, registry: Registry, info: ConnInfo, push: Push | None) -> None:
        self.registry = registry
        self.info = info
        self.transport = info.transport
        self.push = push
        self.closed = False

    async def handle(self, payload: bytes) -> bytes | None:
        try:
            cmd = json.loads(payload)
        except ValueError:
            cmd = None
        if isinstance(cmd, dict):
            if "sleep" in cmd:
                await trio.sleep(cmd["sleep"])
            if "boom" in cmd:
                raise RuntimeError("session exploded")
            if "silent" in cmd:
                return None
            for i in range(cmd.get("push", 0)):
                assert self.push is not None
                self.push(b'{"note":%d}' % i)
        return payload.upper()

    async def close(self) -> None:
        self.closed = True


@dataclass
class Registry:
    sessions: list[UpperSession] = field(default_factory=list)

    def factory(self, info: ConnInfo, push: Push | None) -> Session:
        session = UpperSession(self, info, push)
        self.sessions.append(session)
        return session


@asynccontextmanager
async def tcp_server(
    registry: Registry | Script,
    options: HttpOptions | None = None,
    *,
    fast_path: bool = True,
    **hooks: Any,
) -> AsyncIterator[int]:
    """``serve_tcp`` on a free port; ``fast_path`` overrides the options' own (the io
    tests run in both modes, like the wire tests); ``hooks`` go to serve_tcp as is."""
    opts = replace(options or HttpOptions(), fast_path=fast_path)
    async with trio.open_nursery() as nursery:
        port = await nursery.start(
            partial(
                serve_tcp,
                registry.factory,
                "127.0.0.1",
                0,
                options=opts,
                **hooks,
            )
        )
        yield port
        nursery.cancel_scope.cancel()


@asynccontextmanager
async def ipc_server(
    registry: Registry | Script, path: str, *, fast_path: bool = True, **hooks: Any
) -> AsyncIterator[str]:
    async with trio.open_nursery() as nursery:
        bound = await nursery.start(
            partial(serve_ipc, registry.factory, path, fast_path=fast_path, **hooks)
        )
        yield bound
        nursery.cancel_scope.cancel()


def http_request(body: bytes, ctype: bytes = b"application/json") -> bytes:
    client = h11.Connection(h11.CLIENT)
    headers = [
        (b"Host", b"localhost"),
        (b"Content-Type", ctype),
        (b"Content-Length", b"%d" % len(body)),
    ]
    out = client.send(h11.Request(method=b"POST", target=b"/", headers=headers)) or b""
    return (
        out + (client.send(h11.Data(data=body)) or b"") + (client.send(h11.EndOfMessage()) or b"")
    )


class HttpClient:
    """Reads responses off a raw stream with h11's client side."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.h11 = h11.Connection(h11.CLIENT)

    async def read_response(self) -> tuple[int, bytes]:
        """One response (requests are sent raw, so fake the client side's request)."""
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
        if self.h11.our_state is h11.IDLE:
            self.h11.send(
                h11.Request(method=b"POST", target=b"/", headers=[(b"Host", b"localhost")])
            )
            self.h11.send(h11.EndOfMessage())
        status, body = 0, b""
        while True:
            ev = self.h11.next_event()
            if ev is h11.NEED_DATA:
                self.h11.receive_data(bytes(await self.stream.receive_some(65536)))
            elif isinstance(ev, h11.Response):
                status = ev.status_code
            elif isinstance(ev, h11.Data):
                body += ev.data
            elif isinstance(ev, h11.EndOfMessage):
                return status, body
            elif isinstance(ev, h11.ConnectionClosed):
                raise EOFError


class WsClient:
    """A wsproto client over a trio stream."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.pending: list[object] = []

    @classmethod
    async def connect(cls, port: int) -> WsClient:
        client = cls(await trio.open_tcp_stream("127.0.0.1", port))
        await client.stream.send_all(client.ws.send(Request(host="localhost", target="/")))
        event = await client.next_event()
        assert isinstance(event, AcceptConnection), event
        return client

    async def send_text(self, text: str) -> None:
        await self.stream.send_all(self.ws.send(TextMessage(data=text)))

    async def send_bytes(self, data: bytes) -> None:
        await self.stream.send_all(self.ws.send(BytesMessage(data=data)))

    async def next_event(self) -> object:
        while not self.pending:
            data = await self.stream.receive_some(65536)
            self.ws.receive_data(data or None)
            self.pending.extend(self.ws.events())
        return self.pending.pop(0)

    async def recv(self) -> str:
        event = await self.next_event()
        assert isinstance(event, TextMessage), event
        return str(event.data)

    async def expect_close(self) -> int:
        while True:
            event = await self.next_event()
            if isinstance(event, CloseConnection):
                return int(event.code)


async def whole_message(ws: WsClient) -> str:
    """The next text message, reassembled: wsproto hands a frame that arrived in several
    reads over in several events (``message_finished`` on the last)."""
    parts: list[str] = []
    while True:
        event = await ws.next_event()
        assert isinstance(event, TextMessage), event
        parts.append(str(event.data))
        if event.message_finished:
            return "".join(parts)


async def read_lines(stream: trio.abc.Stream, n: int) -> list[bytes]:
    buf = b""
    while buf.count(b"\n") < n:
        chunk = await stream.receive_some(65536)
        if not chunk:
            break
        buf += chunk
    return buf.split(b"\n")[:n]


async def read_to_eof(stream: trio.abc.Stream) -> bytes:
    buf = b""
    while chunk := await stream.receive_some(65536):
        buf += chunk
    return buf


class ScriptSession:
    """Answers a payload found in ``script`` with its value (bytes, ``None`` or any
    :mod:`mocknode.io.reply` value); anything else with the payload uppercased."""

    def __init__(self, script: Script, info: ConnInfo, push: Push | None) -> None:
        self.script = script
        self.info = info
        self.push = push
        self.closed = False

    async def handle(self, payload: bytes) -> bytes | Reply | None:
        self.script.seen.append(payload)
        if payload in self.script.replies:
            return self.script.replies[payload]
        return payload.upper()

    async def close(self) -> None:
        self.closed = True


@dataclass
class Script:
    replies: dict[bytes, bytes | Reply | None]
    sessions: list[ScriptSession] = field(default_factory=list)
    seen: list[bytes] = field(default_factory=list)

    def factory(self, info: ConnInfo, push: Push | None) -> Session:
        session = ScriptSession(self, info, push)
        self.sessions.append(session)
        return session


class CountingStream(trio.abc.HalfCloseableStream):
    """A pass-through wrapper that counts the bytes each way: what a fault layer's
    ``wrap_stream`` looks like, and proof that the general stream path was taken (every
    byte went through here, none through the raw-socket shortcut)."""

    def __init__(self, inner: trio.abc.HalfCloseableStream) -> None:
        self.inner = inner
        self.received = 0
        self.sent = 0

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        self.sent += len(data)
        await self.inner.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        data = await self.inner.receive_some(max_bytes)
        self.received += len(data)
        return data

    async def send_eof(self) -> None:
        await self.inner.send_eof()

    async def aclose(self) -> None:
        await self.inner.aclose()

    def __getattr__(self, name: str) -> Any:
        # Transparent like many wrappers: ``wrapper.socket`` is the inner socket. io must
        # still not take the raw-socket shortcut (it checks the type, not attributes),
        # or bytes would bypass this wrapper.
        return getattr(self.inner, name)


async def raw_tcp(port: int) -> trio.socket.SocketType:
    """A bare client socket (to see ECONNRESET as the OS reports it)."""
    sock = trio.socket.socket()
    await sock.connect(("127.0.0.1", port))
    return sock


async def send_all(sock: trio.socket.SocketType, data: bytes) -> None:
    while data:
        data = data[await sock.send(data) :]


async def recv_exactly(sock: trio.socket.SocketType, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = await sock.recv(n - len(out))
        if not chunk:
            raise EOFError(out)
        out += chunk
    return out


async def recv_all(sock: trio.socket.SocketType) -> bytes:
    """Everything until EOF; a reset raises ConnectionResetError."""
    out = b""
    while chunk := await sock.recv(65536):
        out += chunk
    return out


def ok_response(body: bytes) -> bytes:
    """The exact bytes of a normal JSON-RPC answer over HTTP (default CORS, which lists
    this machine's pages: a request without ``Origin`` gets ``Vary: Origin`` only)."""
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Vary: Origin\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    )
