"""IPC messages are parsed once, end to end: io hands the framing's decoded value to a
session that offers ``handle_parsed`` (the node's does), and bytes to one that does not
(a wrapper, as a fault layer is); both answer alike. The nesting guard refuses deep
input on every transport with the same parse error."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial

import pytest
import trio
from io_helpers import HttpClient, WsClient, http_request, read_lines, read_to_eof

from mocknode.io.ipc import serve_ipc
from mocknode.io.session import ConnInfo, Push, Session
from mocknode.node import Node, NodeConfig, RpcSession, open_node
from mocknode.rpc.jsonrpc import PARSE_ERROR_RESPONSE


@pytest.fixture
def sock_path() -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix="mn")
    yield os.path.join(directory, "node.ipc")
    shutil.rmtree(directory, ignore_errors=True)


class Counting:
    """The node's own session behind a pass-through that notes which entry io used."""

    def __init__(self, inner: RpcSession) -> None:
        self.inner = inner
        self.by_value: list[bytes] = []
        self.by_bytes: list[bytes] = []

    async def handle(self, payload: bytes) -> bytes | None:
        self.by_bytes.append(payload)
        return await self.inner.handle(payload)

    async def handle_parsed(self, payload: bytes, value: object, text: str) -> bytes | None:
        self.by_value.append(payload)
        return await self.inner.handle_parsed(payload, value, text)

    async def close(self) -> None:
        await self.inner.close()


class BytesOnly:
    """A wrapper offering ``handle`` alone, as a fault layer's may: it sees every message."""

    def __init__(self, inner: RpcSession) -> None:
        self.inner = inner
        self.seen: list[bytes] = []

    async def handle(self, payload: bytes) -> bytes | None:
        self.seen.append(payload)
        return await self.inner.handle(payload)

    async def close(self) -> None:
        await self.inner.close()


@dataclass
class Sessions:
    node: Node
    wrap: type[Counting] | type[BytesOnly]
    made: list[Counting | BytesOnly] = field(default_factory=list)

    def factory(self, info: ConnInfo, push: Push | None) -> Session:
        session = self.wrap(RpcSession(self.node, info.transport, push))
        self.made.append(session)
        return session


@asynccontextmanager
async def node_over_ipc(
    path: str, wrap: type[Counting] | type[BytesOnly], fast_path: bool
) -> AsyncIterator[tuple[str, Sessions]]:
    """A real node, its sessions wrapped, served on its own IPC listener."""
    async with open_node(NodeConfig(port=0, ipc_path=None, fast_paths=fast_path)) as node:
        sessions = Sessions(node, wrap)
        async with trio.open_nursery() as nursery:
            bound = await nursery.start(
                partial(serve_ipc, sessions.factory, path, fast_path=fast_path)
            )
            yield bound, sessions
            nursery.cancel_scope.cancel()


LONG_ID = b"7" * 5000  # past Python's int() digit limit: the bytes path reads it
CALL = b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'
BATCH = (
    b'[{"jsonrpc":"2.0","id":2,"method":"eth_chainId"},'
    b'{"jsonrpc":"2.0","method":"eth_blockNumber"}]'
)
NAN = b'{"jsonrpc":"2.0","id":3,"method":"eth_chainId","params":[NaN]}'
LONG = b'{"jsonrpc":"2.0","id":' + LONG_ID + b',"method":"eth_chainId"}'
BAD_UTF8 = b'{"jsonrpc":"2.0","id":4,"method":"x\xff"}'
NOTE = b'{"jsonrpc":"2.0","method":"eth_chainId"}'
STREAM = [CALL, BATCH, NAN, LONG, NOTE, BAD_UTF8, CALL]
ANSWERS = [
    b'{"jsonrpc":"2.0","id":1,"result":"0x0"}',
    b'[{"jsonrpc":"2.0","id":2,"result":"0x7a69"}]',
    PARSE_ERROR_RESPONSE,
    b'{"jsonrpc":"2.0","id":' + LONG_ID + b',"result":"0x7a69"}',
    '{"jsonrpc":"2.0","id":4,"error":{"code":-32601,'
    '"message":"the method x\ufffd does not exist/is not available"}}'.encode(),
    b'{"jsonrpc":"2.0","id":1,"result":"0x0"}',
]


async def exchange(path: str, data: bytes) -> list[bytes]:
    stream = await trio.open_unix_socket(path)
    await stream.send_all(data)
    lines = await read_lines(stream, len(ANSWERS))
    await stream.aclose()
    return lines


@pytest.mark.trio
async def test_the_node_session_answers_from_the_framings_parse(
    sock_path: str, fast_path: bool
) -> None:
    async with node_over_ipc(sock_path, Counting, fast_path) as (path, sessions):
        assert await exchange(path, b"\n".join(STREAM)) == ANSWERS
    [session] = sessions.made
    assert isinstance(session, Counting)
    # Parsed once, by the framing: only what its decoder refuses goes up as bytes.
    assert session.by_value == [CALL, BATCH, NOTE, CALL]
    assert session.by_bytes == [NAN, LONG, BAD_UTF8]


@pytest.mark.trio
async def test_a_session_without_handle_parsed_gets_bytes_and_answers_alike(
    sock_path: str, fast_path: bool
) -> None:
    async with node_over_ipc(sock_path, BytesOnly, fast_path) as (path, sessions):
        # Byte by byte this time: framing split anywhere changes nothing either.
        stream = await trio.open_unix_socket(path)
        data = b"".join(STREAM)
        for i in range(0, len(data), 7):
            await stream.send_all(data[i : i + 7])
        assert await read_lines(stream, len(ANSWERS)) == ANSWERS
    [session] = sessions.made
    assert session.seen == STREAM


DEEP = b"[" * 600 + b"]" * 600


@pytest.mark.trio
async def test_the_nesting_guard_on_every_transport(sock_path: str, fast_path: bool) -> None:
    config = NodeConfig(port=0, ipc_path=sock_path, fast_paths=fast_path)
    async with open_node(config) as node:
        assert node.endpoints is not None
        port = int(node.endpoints.http_url.rsplit(":", 1)[1])

        http = HttpClient(await trio.open_tcp_stream("127.0.0.1", port))
        for body in (b"[" * 600, DEEP):
            await http.stream.send_all(http_request(body))
            assert await http.read_response() == (200, PARSE_ERROR_RESPONSE)

        ws = await WsClient.connect(port)
        for text in ("[" * 600, DEEP.decode()):
            await ws.send_text(text)
            assert (await ws.recv()).encode() == PARSE_ERROR_RESPONSE
        await ws.send_text(CALL.decode())  # and the connection goes on
        assert (await ws.recv()).encode() == ANSWERS[0]

        # IPC frames before it answers: the value is refused once it is complete, as
        # garbage (one parse-error answer, then geth hangs up), however it arrives.
        for pieces in ([DEEP], [DEEP[:600], DEEP[600:]], [CALL + DEEP[:300], DEEP[300:]]):
            ipc = await trio.open_unix_socket(sock_path)
            for piece in pieces:
                await ipc.send_all(piece)
            expected = PARSE_ERROR_RESPONSE + b"\n"
            if pieces[0].startswith(CALL):
                expected = ANSWERS[0] + b"\n" + expected
            assert await read_to_eof(ipc) == expected
