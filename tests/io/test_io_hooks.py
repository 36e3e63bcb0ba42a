"""The seams for the layer above io: connection ids, ``on_accept``, ``wrap_stream``."""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator

import pytest
import trio
from io_helpers import (
    CountingStream,
    Registry,
    Script,
    WsClient,
    http_request,
    ipc_server,
    ok_response,
    raw_tcp,
    read_lines,
    recv_all,
    recv_exactly,
    send_all,
    tcp_server,
)

from mocknode.io.reply import (
    CloseConnection,
    Delayed,
    HttpStatus,
    RawBytes,
    Reply,
    ResetConnection,
    Stall,
)
from mocknode.io.session import ConnInfo


@pytest.fixture
def sock_path() -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix="mn")
    yield os.path.join(directory, "node.ipc")
    shutil.rmtree(directory, ignore_errors=True)


def peer_of(sock: trio.socket.SocketType) -> str:
    host, port = sock.getsockname()[:2]
    return f"{host}:{port}"


async def wait_for(condition: object, seconds: float = 2) -> None:
    with trio.fail_after(seconds):
        while not condition():  # type: ignore[operator]  # noqa: ASYNC110
            await trio.sleep(0.01)


# -- connection ids -------------------------------------------------------------------


@pytest.mark.trio
async def test_ids_follow_accept_order_not_first_request(fast_path: bool) -> None:
    reg = Registry()
    async with tcp_server(reg, fast_path=fast_path) as port:
        socks = []
        for _ in range(5):
            socks.append(await raw_tcp(port))
            await trio.sleep(0.01)  # accepted in this order
        for sock in reversed(socks):  # sessions are made in the opposite order
            await send_all(sock, http_request(b"[1]"))
            await recv_exactly(sock, len(ok_response(b"[1]")))
        infos = {s.info.peer: s.info for s in reg.sessions}
        assert [infos[peer_of(sock)].id for sock in socks] == [1, 2, 3, 4, 5]
        assert {info.transport for info in infos.values()} == {"http"}


@pytest.mark.trio
async def test_websocket_session_keeps_the_connection_id(fast_path: bool) -> None:
    reg = Registry()
    async with tcp_server(reg, fast_path=fast_path) as port:
        sock = await raw_tcp(port)
        await send_all(sock, http_request(b"[1]"))
        await recv_exactly(sock, len(ok_response(b"[1]")))
        ws = await WsClient.connect(port)
        await ws.send_text("[2]")
        assert await ws.recv() == "[2]"
        assert [(s.info.id, s.info.transport) for s in reg.sessions] == [(1, "http"), (2, "ws")]
        local = ws.stream.socket.getsockname()
        assert reg.sessions[1].info.peer == f"{local[0]}:{local[1]}"


@pytest.mark.trio
async def test_each_server_counts_from_one_unless_given_a_shared_counter(
    sock_path: str, fast_path: bool
) -> None:
    first, second = Registry(), Registry()
    async with (
        tcp_server(first, fast_path=fast_path) as port_a,
        tcp_server(second, fast_path=fast_path) as port_b,
    ):
        for port in (port_a, port_b, port_a):
            sock = await raw_tcp(port)
            await send_all(sock, http_request(b"[1]"))
            await recv_exactly(sock, len(ok_response(b"[1]")))
        assert [s.info.id for s in first.sessions] == [1, 2]
        assert [s.info.id for s in second.sessions] == [1]

    shared = Registry()
    ids = itertools.count(1).__next__
    async with (
        tcp_server(shared, fast_path=fast_path, conn_ids=ids) as port,
        ipc_server(shared, sock_path, fast_path=fast_path, conn_ids=ids) as path,
    ):
        sock = await raw_tcp(port)
        await send_all(sock, http_request(b"[1]"))
        await recv_exactly(sock, len(ok_response(b"[1]")))
        stream = await trio.open_unix_socket(path)
        await stream.send_all(b"[2]")
        assert await read_lines(stream, 1) == [b"[2]"]
        assert [(s.info.id, s.info.transport, s.info.peer) for s in shared.sessions] == [
            (1, "http", peer_of(sock)),
            (2, "ipc", path),
        ]


# -- on_accept ------------------------------------------------------------------------


@pytest.mark.trio
async def test_on_accept_sees_each_connection_before_anything_is_read(fast_path: bool) -> None:
    seen: list[ConnInfo] = []

    def on_accept(info: ConnInfo) -> None:
        seen.append(info)

    async with tcp_server(Registry(), fast_path=fast_path, on_accept=on_accept) as port:
        sock = await raw_tcp(port)
        await wait_for(lambda: seen)
        assert seen == [ConnInfo(1, "http", peer_of(sock))]
        await send_all(sock, http_request(b"[1]"))
        assert await recv_exactly(sock, len(ok_response(b"[1]"))) == ok_response(b"[1]")


@pytest.mark.trio
async def test_on_accept_refuses(fast_path: bool) -> None:
    reg = Registry()
    async with tcp_server(
        reg, fast_path=fast_path, on_accept=lambda info: CloseConnection()
    ) as port:
        sock = await raw_tcp(port)
        assert await recv_all(sock) == b""
        assert reg.sessions == []


@pytest.mark.trio
async def test_on_accept_resets(fast_path: bool) -> None:
    async with tcp_server(
        Registry(), fast_path=fast_path, on_accept=lambda info: ResetConnection()
    ) as port:
        sock = await raw_tcp(port)
        with pytest.raises(ConnectionResetError):
            await recv_all(sock)


@pytest.mark.trio
async def test_on_accept_stalls_then_closes(fast_path: bool, autojump_clock: object) -> None:
    reg = Registry()
    async with tcp_server(reg, fast_path=fast_path, on_accept=lambda info: Stall(20)) as port:
        start = trio.current_time()
        sock = await raw_tcp(port)
        await send_all(sock, http_request(b"[1]"))
        assert await recv_all(sock) == b""
        assert trio.current_time() - start == pytest.approx(20)
        assert reg.sessions == []


@pytest.mark.trio
async def test_on_accept_delayed_greeting_then_served(
    fast_path: bool, autojump_clock: object
) -> None:
    greeting: Reply = Delayed(1.5, RawBytes(b"hello\n", close_after=False))
    async with tcp_server(Registry(), fast_path=fast_path, on_accept=lambda info: greeting) as port:
        start = trio.current_time()
        sock = await raw_tcp(port)
        await send_all(sock, http_request(b"[1]"))
        expected = b"hello\n" + ok_response(b"[1]")
        assert await recv_exactly(sock, len(expected)) == expected
        assert trio.current_time() - start == pytest.approx(1.5)


@pytest.mark.trio
async def test_on_accept_reply_that_needs_a_request_closes_and_logs(
    fast_path: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, "mocknode.io")
    async with tcp_server(
        Registry(), fast_path=fast_path, on_accept=lambda info: HttpStatus(503)
    ) as port:
        sock = await raw_tcp(port)
        assert await recv_all(sock) == b""
    assert "HttpStatus needs a request" in caplog.text


@pytest.mark.trio
async def test_on_accept_on_ipc(sock_path: str, fast_path: bool) -> None:
    seen: list[ConnInfo] = []

    def on_accept(info: ConnInfo) -> Reply | None:
        seen.append(info)
        return CloseConnection() if info.id == 1 else None

    async with ipc_server(Registry(), sock_path, fast_path=fast_path, on_accept=on_accept) as path:
        refused = await trio.open_unix_socket(path)
        assert await refused.receive_some(10) == b""
        served = await trio.open_unix_socket(path)
        await served.send_all(b"[1]")
        assert await read_lines(served, 1) == [b"[1]"]
        assert seen == [ConnInfo(1, "ipc", path), ConnInfo(2, "ipc", path)]


# -- wrap_stream ----------------------------------------------------------------------


@pytest.mark.trio
async def test_wrapped_streams_carry_every_byte(fast_path: bool) -> None:
    wrappers: list[tuple[ConnInfo, CountingStream]] = []

    def wrap(stream: trio.abc.HalfCloseableStream, info: ConnInfo) -> CountingStream:
        wrapper = CountingStream(stream)
        wrappers.append((info, wrapper))
        return wrapper

    async with tcp_server(Registry(), fast_path=fast_path, wrap_stream=wrap) as port:
        sock = await raw_tcp(port)
        sent = received = 0
        for i in range(20):
            request = http_request(b"[%d]" % i)
            await send_all(sock, request)
            sent += len(request)
            received += len(await recv_exactly(sock, len(ok_response(b"[%d]" % i))))
        sock.shutdown(socket.SHUT_WR)
        assert await recv_all(sock) == b""
        [(info, wrapper)] = wrappers
        assert info == ConnInfo(1, "http", peer_of(sock))
        # The raw-socket shortcut is only for exactly a SocketStream: all bytes went
        # through the wrapper, in both modes.
        assert (wrapper.received, wrapper.sent) == (sent, received)


@pytest.mark.trio
async def test_reset_goes_under_a_wrapper(fast_path: bool) -> None:
    async with tcp_server(
        Script({b"[1]": ResetConnection()}),
        fast_path=fast_path,
        wrap_stream=lambda stream, info: CountingStream(stream),
    ) as port:
        sock = await raw_tcp(port)
        await send_all(sock, http_request(b"[1]"))
        with pytest.raises(ConnectionResetError):
            await recv_all(sock)


@pytest.mark.trio
async def test_wrapped_ipc_stream(sock_path: str, fast_path: bool) -> None:
    wrappers: list[CountingStream] = []

    def wrap(stream: trio.abc.HalfCloseableStream, info: ConnInfo) -> CountingStream:
        wrappers.append(CountingStream(stream))
        return wrappers[-1]

    async with ipc_server(Registry(), sock_path, fast_path=fast_path, wrap_stream=wrap) as path:
        stream = await trio.open_unix_socket(path)
        await stream.send_all(b'{"push":2}')
        assert await read_lines(stream, 3) == [b'{"note":0}', b'{"note":1}', b'{"PUSH":2}']
        assert (wrappers[0].received, wrappers[0].sent) == (10, 33)
