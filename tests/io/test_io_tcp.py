"""HTTP and WebSocket over a real TCP listener, with an uppercasing session."""

from __future__ import annotations

import contextlib

import pytest
import trio
from io_helpers import (
    HttpClient,
    Registry,
    WsClient,
    http_request,
    read_to_eof,
    tcp_server,
)
from wsproto.events import CloseConnection

from mocknode.io.limits import ConnLimits
from mocknode.wire.http import HttpOptions


async def open_http(port: int) -> tuple[trio.SocketStream, HttpClient]:
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    return stream, HttpClient(stream)


@pytest.mark.trio
async def test_port_zero_reports_the_bound_port(fast_path: bool) -> None:
    async with tcp_server(Registry(), fast_path=fast_path) as port:
        assert isinstance(port, int)
        assert port > 0


@pytest.mark.trio
async def test_http_keep_alive_several_requests_one_connection(fast_path: bool) -> None:
    reg = Registry()
    async with tcp_server(reg, fast_path=fast_path) as port:
        stream, client = await open_http(port)
        for i in range(5):
            await stream.send_all(http_request(b'{"id":%d}' % i))
            assert await client.read_response() == (200, b'{"ID":%d}' % i)
        await stream.aclose()
        await wait_closed(reg, 1)
    assert [s.transport for s in reg.sessions] == ["http"]
    assert reg.sessions[0].push is None


@pytest.mark.trio
async def test_http_pipelined_requests(fast_path: bool) -> None:
    async with tcp_server(Registry(), fast_path=fast_path) as port:
        stream, client = await open_http(port)
        await stream.send_all(b"".join(http_request(b"[%d]" % i) for i in range(10)))
        for i in range(10):
            assert await client.read_response() == (200, b"[%d]" % i)


@pytest.mark.trio
async def test_http_statuses_over_the_socket(fast_path: bool) -> None:
    async with tcp_server(Registry(), HttpOptions(max_body=100), fast_path=fast_path) as port:
        stream, client = await open_http(port)
        await stream.send_all(http_request(b"[]", b"text/plain"))
        assert (await client.read_response())[0] == 415
        await stream.send_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert await client.read_response() == (200, b"")
        await stream.send_all(http_request(b"[" + b"1," * 100 + b"1]"))
        status, body = await client.read_response()
        assert status == 413
        assert body.startswith(b"content length too large")
        assert await read_to_eof(stream) == b""


@pytest.mark.trio
async def test_413_without_reading_the_body_reaches_the_client(fast_path: bool) -> None:
    async with tcp_server(Registry(), HttpOptions(max_body=10), fast_path=fast_path) as port:
        stream, client = await open_http(port)
        request = http_request(b"x" * 200_000)
        async with trio.open_nursery() as nursery:
            # The client keeps writing a body the server will never read.
            nursery.start_soon(send_ignoring_errors, stream, request)
            status, _ = await client.read_response()
            nursery.cancel_scope.cancel()
        assert status == 413


async def send_ignoring_errors(stream: trio.SocketStream, data: bytes) -> None:
    with contextlib.suppress(trio.BrokenResourceError):
        await stream.send_all(data)


@pytest.mark.trio
async def test_garbage_on_http_is_400_and_others_are_still_served(fast_path: bool) -> None:
    async with tcp_server(Registry(), fast_path=fast_path) as port:
        bad = await trio.open_tcp_stream("127.0.0.1", port)
        await bad.send_all(b"\x00\x01garbage\r\n\r\n")
        assert b" 400 " in (await read_to_eof(bad)).split(b"\r\n")[0]
        stream, client = await open_http(port)
        await stream.send_all(http_request(b"[1]"))
        assert await client.read_response() == (200, b"[1]")


@pytest.mark.trio
async def test_session_exception_on_http_is_500_and_contained(fast_path: bool) -> None:
    reg = Registry()
    async with tcp_server(reg, fast_path=fast_path) as port:
        stream, client = await open_http(port)
        await stream.send_all(http_request(b'{"boom":1}'))
        assert (await client.read_response())[0] == 500
        assert await read_to_eof(stream) == b""
        stream, client = await open_http(port)
        await stream.send_all(http_request(b"[2]"))
        assert await client.read_response() == (200, b"[2]")
        await wait_closed(reg, 1)


@pytest.mark.trio
async def test_websocket_upgrade_messages_in_order(fast_path: bool) -> None:
    reg = Registry()
    async with tcp_server(reg, fast_path=fast_path) as port:
        ws = await WsClient.connect(port)
        for i in range(50):
            if i % 2:
                await ws.send_text(f'{{"i":{i}}}')
            else:
                await ws.send_bytes(b'{"i":%d}' % i)  # web3.py sends binary frames
        for i in range(50):
            assert await ws.recv() == f'{{"I":{i}}}'
        assert [s.transport for s in reg.sessions] == ["ws"]


@pytest.mark.trio
async def test_websocket_push_then_reply(fast_path: bool) -> None:
    async with tcp_server(Registry(), fast_path=fast_path) as port:
        ws = await WsClient.connect(port)
        await ws.send_text('{"push":3}')
        got = [await ws.recv() for _ in range(4)]
        assert got == ['{"note":0}', '{"note":1}', '{"note":2}', '{"PUSH":3}']


@pytest.mark.trio
async def test_websocket_close_handshake_closes_session(fast_path: bool) -> None:
    reg = Registry()
    async with tcp_server(reg, fast_path=fast_path) as port:
        ws = await WsClient.connect(port)
        await ws.send_text("[1]")
        assert await ws.recv() == "[1]"
        await ws.stream.send_all(ws.ws.send(CloseConnection(code=1000)))
        assert await ws.expect_close() == 1000
        await wait_closed(reg, 1)


@pytest.mark.trio
async def test_garbage_on_websocket_closes_it_and_others_are_served(fast_path: bool) -> None:
    async with tcp_server(Registry(), fast_path=fast_path) as port:
        bad = await WsClient.connect(port)
        await bad.stream.send_all(b"\x81\x05hello")  # unmasked frame: protocol error
        assert await bad.expect_close() == 1002
        good = await WsClient.connect(port)
        await good.send_text("[3]")
        assert await good.recv() == "[3]"


@pytest.mark.trio
async def test_session_exception_on_websocket_is_contained(fast_path: bool) -> None:
    reg = Registry()
    async with tcp_server(reg, fast_path=fast_path) as port:
        bad = await WsClient.connect(port)
        await bad.send_text('{"boom":1}')
        assert await bad.expect_close() == 1011
        good = await WsClient.connect(port)
        await good.send_text("[4]")
        assert await good.recv() == "[4]"
        await wait_closed(reg, 1)


@pytest.mark.trio
async def test_slow_client_is_dropped_without_blocking_the_pusher(fast_path: bool) -> None:
    reg = Registry()
    limits = ConnLimits(max_queued_bytes=2_000_000)
    async with tcp_server(reg, limits=limits, fast_path=fast_path) as port:
        slow = await WsClient.connect(port)  # never reads again
        other = await WsClient.connect(port)
        await slow.send_text("[0]")
        await other.send_text("[0]")
        assert await other.recv() == "[0]"
        await wait_sessions(reg, 2)
        push = reg.sessions[0].push
        assert push is not None
        big = b"[" + b"1" * 1_000_000 + b"]"
        for _ in range(64):  # pushes never wait on the client: no checkpoint in here
            push(big)
        await wait_closed(reg, 1)
        assert reg.sessions[0].closed
        assert not reg.sessions[1].closed
        await other.send_text("[5]")
        assert await other.recv() == "[5]"


@pytest.mark.trio
async def test_cancel_shuts_down_promptly_with_idle_connections(fast_path: bool) -> None:
    reg = Registry()
    with trio.fail_after(1):
        async with tcp_server(reg, fast_path=fast_path) as port:
            stream, client = await open_http(port)
            await stream.send_all(http_request(b"[1]"))
            await client.read_response()
            ws = await WsClient.connect(port)
            await ws.send_text("[1]")
            await ws.recv()
    assert all(s.closed for s in reg.sessions)
    assert await read_to_eof(stream) == b""


async def wait_sessions(reg: Registry, n: int) -> None:
    with trio.fail_after(2):
        while len(reg.sessions) < n:  # noqa: ASYNC110 (polls state the test cannot await)
            await trio.sleep(0.01)


async def wait_closed(reg: Registry, n: int) -> None:
    with trio.fail_after(2):
        while sum(s.closed for s in reg.sessions) < n:  # noqa: ASYNC110 (polls state the test cannot await)
            await trio.sleep(0.01)
