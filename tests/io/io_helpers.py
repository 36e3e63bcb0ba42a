"""A test double for the layer above io (an uppercasing session) and small socket clients.

The session is not a mock of mocknode's rpc layer; it stands in for "whatever answers
messages" so the transports are tested over real sockets on their own.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
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
from mocknode.io.session import ConnInfo, Push, Session
from mocknode.io.tcp import serve_tcp
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
    registry: Registry,
    options: HttpOptions | None = None,
    max_queued: int = 4096,
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
                max_queued=max_queued,
                **hooks,
            )
        )
        yield port
        nursery.cancel_scope.cancel()


@asynccontextmanager
async def ipc_server(
    registry: Registry, path: str, *, fast_path: bool = True, **hooks: Any
) -> AsyncIterator[str]:
    async with trio.open_nursery() as nursery:
        bound = await nursery.start(
            partial(serve_ipc, registry.factory, path, fast_path=fast_path, **hooks)
        )
        yield bound
        nursery.cancel_scope.cancel()


def http_request(body: bytes, ctype: bytes = b"application/json") -> bytes:
    client = h11.Connection(h11.CLIENT)
    headers = [(b"Host", b"x"), (b"Content-Type", ctype), (b"Content-Length", b"%d" % len(body))]
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
            self.h11.send(h11.Request(method=b"POST", target=b"/", headers=[(b"Host", b"x")]))
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
