"""Every reply kind over HTTP, on a real TCP socket: the exact bytes a client receives,
EOF or ECONNRESET, and when (trio's autojump clock: no real waiting)."""

from __future__ import annotations

import socket

import pytest
import trio
from io_helpers import (
    Script,
    http_request,
    ok_response,
    raw_tcp,
    recv_all,
    recv_exactly,
    send_all,
    tcp_server,
)

from mocknode.io.reply import (
    CloseConnection,
    Delayed,
    Dribble,
    Frames,
    HttpStatus,
    RawBytes,
    ResetConnection,
    Stall,
    Truncated,
    WsClose,
)

PAYLOAD = b'{"jsonrpc":"2.0","id":1,"result":"0x1"}'


async def ask(port: int, *bodies: bytes) -> trio.socket.SocketType:
    """A client socket that has sent one POST per body, back to back."""
    sock = await raw_tcp(port)
    await send_all(sock, b"".join(http_request(body) for body in bodies))
    return sock


@pytest.mark.trio
async def test_plain_bytes_reply_is_the_usual_answer(fast_path: bool) -> None:
    async with tcp_server(Script({b"[1]": PAYLOAD}), fast_path=fast_path) as port:
        sock = await ask(port, b"[1]")
        assert await recv_exactly(sock, len(ok_response(PAYLOAD))) == ok_response(PAYLOAD)


@pytest.mark.trio
async def test_http_status_with_headers_keeps_the_connection(fast_path: bool) -> None:
    status = HttpStatus(429, b"slow down\n", (("Retry-After", "2"),))
    async with tcp_server(Script({b"[1]": status}), fast_path=fast_path) as port:
        sock = await ask(port, b"[1]", b"[2]")
        expected = (
            b"HTTP/1.1 429 Too Many Requests\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n"
            b"Vary: Origin\r\n"
            b"Retry-After: 2\r\n"
            b"Content-Length: 10\r\n\r\nslow down\n"
        ) + ok_response(b"[2]")
        assert await recv_exactly(sock, len(expected)) == expected


@pytest.mark.trio
async def test_http_status_own_content_type_and_framing_headers_dropped(fast_path: bool) -> None:
    page = b"<html>502 Bad Gateway</html>"
    status = HttpStatus(
        502,
        page,
        (("Content-Type", "text/html"), ("Content-Length", "1"), ("Connection", "keep-alive")),
        keep_alive=False,
    )
    async with tcp_server(Script({b"[1]": status}), fast_path=fast_path) as port:
        sock = await ask(port, b"[1]", b"[2]")
        assert await recv_all(sock) == (
            b"HTTP/1.1 502 Bad Gateway\r\n"
            b"Vary: Origin\r\n"
            b"Content-Type: text/html\r\n"
            b"Connection: close\r\n"
            b"Content-Length: 28\r\n\r\n" + page
        )


@pytest.mark.trio
async def test_close_connection_sends_nothing_then_eof(fast_path: bool) -> None:
    script = Script({b"[2]": CloseConnection()})
    async with tcp_server(script, fast_path=fast_path) as port:
        sock = await ask(port, b"[1]", b"[2]", b"[3]")
        assert await recv_all(sock) == ok_response(b"[1]")  # [3] is never read
        assert script.seen == [b"[1]", b"[2]"]


@pytest.mark.trio
async def test_ws_close_over_http_is_a_close(fast_path: bool) -> None:
    async with tcp_server(Script({b"[1]": WsClose(1001)}), fast_path=fast_path) as port:
        assert await recv_all(await ask(port, b"[1]")) == b""


@pytest.mark.trio
async def test_reset_connection_is_econnreset(fast_path: bool) -> None:
    async with tcp_server(Script({b"[2]": ResetConnection()}), fast_path=fast_path) as port:
        sock = await ask(port, b"[1]")
        assert await recv_exactly(sock, len(ok_response(b"[1]"))) == ok_response(b"[1]")
        await send_all(sock, http_request(b"[2]"))
        with pytest.raises(ConnectionResetError):
            await recv_all(sock)


@pytest.mark.trio
async def test_raw_bytes_then_close(fast_path: bool) -> None:
    garbage = b"HTTP/1.1 200 OK\r\n\r\n\x00not json at all"
    async with tcp_server(Script({b"[1]": RawBytes(garbage)}), fast_path=fast_path) as port:
        assert await recv_all(await ask(port, b"[1]", b"[2]")) == garbage


@pytest.mark.trio
async def test_raw_bytes_without_close_keeps_serving(fast_path: bool) -> None:
    reply = RawBytes(b"<stray>", close_after=False)
    async with tcp_server(Script({b"[1]": reply}), fast_path=fast_path) as port:
        sock = await ask(port, b"[1]", b"[2]")
        expected = b"<stray>" + ok_response(b"[2]")
        assert await recv_exactly(sock, len(expected)) == expected


@pytest.mark.trio
@pytest.mark.parametrize("after", [0, 1, 40, 100, 10_000])
async def test_truncated_leaves_exactly_n_bytes(fast_path: bool, after: int) -> None:
    async with tcp_server(Script({b"[1]": Truncated(PAYLOAD, after)}), fast_path=fast_path) as port:
        assert await recv_all(await ask(port, b"[1]")) == ok_response(PAYLOAD)[:after]


@pytest.mark.trio
async def test_frames_are_one_body_over_http(fast_path: bool) -> None:
    reply = Frames((b'{"id":1}', b'{"id":1}'))
    async with tcp_server(Script({b"[1]": reply}), fast_path=fast_path) as port:
        body = b'{"id":1}{"id":1}'
        sock = await ask(port, b"[1]")
        assert await recv_exactly(sock, len(ok_response(body))) == ok_response(body)


@pytest.mark.trio
async def test_stall_answers_nothing_then_closes(fast_path: bool, autojump_clock: object) -> None:
    script = Script({b"[1]": Stall(30)})
    async with tcp_server(script, fast_path=fast_path) as port:
        start = trio.current_time()
        sock = await ask(port, b"[1]", b"[2]")
        assert await recv_all(sock) == b""
        assert trio.current_time() - start == pytest.approx(30)
        assert script.seen == [b"[1]"]  # nothing more was served on that connection


@pytest.mark.trio
async def test_stall_forever_ends_when_the_client_leaves(
    fast_path: bool, autojump_clock: object
) -> None:
    script = Script({b"[1]": Stall(None)})
    async with tcp_server(script, fast_path=fast_path) as port:
        sock = await ask(port, b"[1]")
        with trio.move_on_after(3600):
            await sock.recv(1)
            pytest.fail("a stalled request got bytes")
        sock.shutdown(socket.SHUT_WR)
        assert await recv_all(sock) == b""
        with trio.fail_after(1):
            while not script.sessions[0].closed:  # noqa: ASYNC110 (polls state the test cannot await)
                await trio.sleep(0.01)


@pytest.mark.trio
async def test_delayed_answer_and_delayed_close(fast_path: bool, autojump_clock: object) -> None:
    script = Script(
        {b"[1]": Delayed(2.5, PAYLOAD), b"[2]": Delayed(1, Delayed(1, CloseConnection()))}
    )
    async with tcp_server(script, fast_path=fast_path) as port:
        start = trio.current_time()
        sock = await ask(port, b"[1]", b"[2]")
        assert await recv_exactly(sock, len(ok_response(PAYLOAD))) == ok_response(PAYLOAD)
        assert trio.current_time() - start == pytest.approx(2.5)
        assert await recv_all(sock) == b""
        assert trio.current_time() - start == pytest.approx(4.5)


@pytest.mark.trio
async def test_dribble_writes_chunks_at_the_interval(
    fast_path: bool, autojump_clock: object
) -> None:
    async with tcp_server(Script({b"[1]": Dribble(PAYLOAD, 25, 0.5)}), fast_path=fast_path) as port:
        expected = ok_response(PAYLOAD)
        start = trio.current_time()
        sock = await ask(port, b"[1]", b"[2]")
        got: list[tuple[float, bytes]] = []
        while sum(len(chunk) for _, chunk in got) < len(expected):
            chunk = await sock.recv(65536)
            got.append((trio.current_time() - start, chunk))
        assert b"".join(chunk for _, chunk in got) == expected
        count = -(-len(expected) // 25)
        assert [len(chunk) for _, chunk in got] == [25] * (count - 1) + [len(expected) % 25 or 25]
        assert [t for t, _ in got] == pytest.approx([0.5 * i for i in range(count)])
        # keep-alive: the next request is answered after the dribble
        assert await recv_exactly(sock, len(ok_response(b"[2]"))) == ok_response(b"[2]")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: HttpStatus(101), "final status"),
        (lambda: HttpStatus(204, b"x"), "cannot carry a body"),
        (lambda: HttpStatus(429, headers=(("Retry After", "2"),)), "header name"),
        (lambda: HttpStatus(429, headers=(("X", "a\r\nb"),)), "invalid value"),
        (lambda: Truncated(b"", -1), "after_bytes"),
        (lambda: Stall(-1), "seconds"),
        (lambda: Delayed(-1, b""), "seconds"),
        (lambda: Dribble(b"", 0, 1), "chunk_size"),
        (lambda: WsClose(999), "1000-4999"),
        (lambda: WsClose(1000, "x" * 124), "123 bytes"),
    ],
)
def test_replies_refuse_values_the_wire_cannot_carry(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


@pytest.mark.trio
async def test_a_long_dribble_is_not_cut_when_the_connection_ends(
    fast_path: bool, autojump_clock: object
) -> None:
    # HTTP/1.0: the connection ends right after this answer, while 60 s of dribble are
    # still queued; the whole answer must still arrive.
    request = http_request(b"[1]").replace(b" HTTP/1.1\r\n", b" HTTP/1.0\r\n", 1)
    async with tcp_server(Script({b"[1]": Dribble(PAYLOAD, 1, 0.5)}), fast_path=fast_path) as port:
        sock = await raw_tcp(port)
        await send_all(sock, request)
        got = await recv_all(sock)
        assert got.startswith(b"HTTP/1.1 200 OK\r\n")
        assert got.endswith(b"\r\n\r\n" + PAYLOAD)
