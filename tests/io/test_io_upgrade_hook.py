"""The WebSocket upgrade hook (``on_accept`` asked again with ``transport="ws"``) and
uneven dribble pieces (``Dribble.sizes``): the two io seams the fault layer's accept and
IPC-split kinds stand on."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest
import trio
from io_helpers import (
    Registry,
    Script,
    WsClient,
    ipc_server,
    raw_tcp,
    recv_all,
    send_all,
    tcp_server,
)
from wsproto import WSConnection
from wsproto.connection import ConnectionType
from wsproto.events import RejectConnection, RejectData, Request

from mocknode.io.reply import (
    CloseConnection,
    Delayed,
    Dribble,
    HttpStatus,
    Reply,
    ResetConnection,
    Stall,
)
from mocknode.io.session import ConnInfo

PAYLOAD = b'{"jsonrpc":"2.0","id":1,"result":"0x1"}'
UPGRADE = WSConnection(ConnectionType.CLIENT).send(Request(host="localhost", target="/"))


@pytest.fixture
def sock_path() -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix="mn")
    yield os.path.join(directory, "node.ipc")
    shutil.rmtree(directory, ignore_errors=True)


def refusing(reply: Reply, seen: list[ConnInfo]) -> object:
    def on_accept(info: ConnInfo) -> Reply | None:
        seen.append(info)
        return reply if info.transport == "ws" else None

    return on_accept


async def handshake(port: int) -> tuple[trio.SocketStream, WSConnection]:
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    ws = WSConnection(ConnectionType.CLIENT)
    await stream.send_all(ws.send(Request(host="localhost", target="/")))
    return stream, ws


@pytest.mark.trio
async def test_upgrade_refused_with_a_status(fast_path: bool) -> None:
    seen: list[ConnInfo] = []
    reply = HttpStatus(503, b"try later\n", (("Retry-After", "3"),))
    reg = Registry()
    async with tcp_server(reg, fast_path=fast_path, on_accept=refusing(reply, seen)) as port:
        stream, ws = await handshake(port)
        raw = b""
        while chunk := await stream.receive_some(65536):
            raw += chunk
        assert raw.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
        head, _, body = raw.partition(b"\r\n\r\n")
        assert body == b"try later\n"
        assert head.split(b"\r\n")[1:] == [
            b"Content-Type: text/plain; charset=utf-8",
            b"Retry-After: 3",
            b"Content-Length: 10",
            b"Connection: close",
        ]
        ws.receive_data(raw)
        ws.receive_data(None)
        events = list(ws.events())
        assert isinstance(events[0], RejectConnection)
        assert events[0].status_code == 503
        assert any(isinstance(e, RejectData) and e.data == b"try later\n" for e in events)
        assert [(i.id, i.transport) for i in seen] == [(1, "http"), (1, "ws")]
        assert reg.sessions == []  # no WebSocket session was made


@pytest.mark.trio
async def test_upgrade_accepted_when_the_hook_says_nothing(fast_path: bool) -> None:
    seen: list[ConnInfo] = []

    def on_accept(info: ConnInfo) -> None:
        seen.append(info)

    reg = Registry()
    async with tcp_server(reg, fast_path=fast_path, on_accept=on_accept) as port:
        client = await WsClient.connect(port)
        await client.send_text("[7]")
        assert await client.recv() == "[7]"
        assert [(i.id, i.transport) for i in seen] == [(1, "http"), (1, "ws")]
        assert [s.info.transport for s in reg.sessions] == ["ws"]


@pytest.mark.trio
async def test_upgrade_reset(fast_path: bool) -> None:
    reply = ResetConnection()
    async with tcp_server(Registry(), fast_path=fast_path, on_accept=refusing(reply, [])) as port:
        sock = await raw_tcp(port)
        await send_all(sock, UPGRADE)
        with pytest.raises(ConnectionResetError):
            await recv_all(sock)


@pytest.mark.trio
async def test_upgrade_closed(fast_path: bool) -> None:
    reply = CloseConnection()
    async with tcp_server(Registry(), fast_path=fast_path, on_accept=refusing(reply, [])) as port:
        sock = await raw_tcp(port)
        await send_all(sock, UPGRADE)
        assert await recv_all(sock) == b""


@pytest.mark.trio
async def test_upgrade_stalled_then_closed(fast_path: bool, autojump_clock: object) -> None:
    async with tcp_server(
        Registry(), fast_path=fast_path, on_accept=refusing(Stall(30), [])
    ) as port:
        start = trio.current_time()
        stream, _ = await handshake(port)
        assert await stream.receive_some(65536) == b""
        assert trio.current_time() - start == pytest.approx(30)


@pytest.mark.trio
async def test_upgrade_delayed_then_accepted(fast_path: bool, autojump_clock: object) -> None:
    async with tcp_server(
        Registry(), fast_path=fast_path, on_accept=refusing(Delayed(4, b""), [])
    ) as port:
        start = trio.current_time()
        client = await WsClient.connect(port)
        assert trio.current_time() - start == pytest.approx(4)
        await client.send_text("[1]")
        assert await client.recv() == "[1]"


@pytest.mark.trio
async def test_plain_http_is_not_asked_twice(fast_path: bool) -> None:
    seen: list[ConnInfo] = []
    async with tcp_server(
        Registry(), fast_path=fast_path, on_accept=refusing(HttpStatus(503), seen)
    ) as port:
        sock = await raw_tcp(port)
        await send_all(
            sock,
            b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: 3\r\nConnection: close\r\n\r\n[1]",
        )
        assert (await recv_all(sock)).startswith(b"HTTP/1.1 200 OK\r\n")
        assert [i.transport for i in seen] == ["http"]


@pytest.mark.trio
async def test_dribble_with_uneven_sizes(
    sock_path: str, fast_path: bool, autojump_clock: object
) -> None:
    reply = Dribble(PAYLOAD, 16, 0.5, sizes=(3, 11, 1))
    async with ipc_server(Script({b"[1]": reply}), sock_path, fast_path=fast_path) as path:
        stream = await trio.open_unix_socket(path)
        start = trio.current_time()
        await stream.send_all(b"[1]")
        pieces: list[tuple[float, bytes]] = []
        data = b""
        while not data.endswith(b"\n"):
            chunk = await stream.receive_some(65536)
            pieces.append((trio.current_time() - start, chunk))
            data += chunk
        message = PAYLOAD + b"\n"
        assert data == message
        rest = message[15:]
        expected = [message[:3], message[3:14], message[14:15]]
        expected += [rest[i : i + 16] for i in range(0, len(rest), 16)]
        assert [p for _, p in pieces] == expected
        assert [t for t, _ in pieces] == pytest.approx([0.5 * i for i in range(len(expected))])


def test_dribble_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="every size"):
        Dribble(PAYLOAD, 4, 0.1, sizes=(2, 0))
