"""Every reply kind over IPC, on a real unix socket: the exact bytes a client reads."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest
import trio
from io_helpers import Script, ipc_server, read_lines, read_to_eof

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


@pytest.fixture
def sock_path() -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix="mn")
    yield os.path.join(directory, "node.ipc")
    shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.trio
async def test_status_frames_and_raw_bytes(sock_path: str, fast_path: bool) -> None:
    script = Script(
        {
            b"[1]": HttpStatus(500, b'{"oops":1}'),
            b"[2]": HttpStatus(503),
            b"[3]": Frames((b'{"a":1}', b'{"b":2}')),
            b"[4]": RawBytes(b'{"no":"newline"}', close_after=False),
        }
    )
    async with ipc_server(script, sock_path, fast_path=fast_path) as path:
        stream = await trio.open_unix_socket(path)
        await stream.send_all(b"[1][2][3][4][5]")
        assert await read_lines(stream, 4) == [
            b'{"oops":1}',
            b'{"a":1}',
            b'{"b":2}',
            b'{"no":"newline"}[5]',
        ]


@pytest.mark.trio
@pytest.mark.parametrize(
    ("reply", "seen"),
    [
        (CloseConnection(), b""),
        (WsClose(1000), b""),
        (RawBytes(b"\x00garbage"), b"\x00garbage"),
        (Truncated(PAYLOAD, 0), b""),
        (Truncated(PAYLOAD, 10), PAYLOAD[:10]),
        (Truncated(PAYLOAD, len(PAYLOAD)), PAYLOAD),  # everything but the newline
        (Truncated(PAYLOAD, 1000), PAYLOAD + b"\n"),
    ],
)
async def test_replies_that_end_the_connection(
    sock_path: str, fast_path: bool, reply: object, seen: bytes
) -> None:
    script = Script({b"[2]": reply})  # type: ignore[dict-item]
    async with ipc_server(script, sock_path, fast_path=fast_path) as path:
        stream = await trio.open_unix_socket(path)
        await stream.send_all(b"[1][2][3]")
        assert await read_to_eof(stream) == b"[1]\n" + seen
        assert script.seen == [b"[1]", b"[2]"]


@pytest.mark.trio
async def test_reset_on_a_unix_socket_is_a_plain_close(sock_path: str, fast_path: bool) -> None:
    # Unix sockets have no RST: SO_LINGER is set but the peer reads EOF.
    async with ipc_server(
        Script({b"[1]": ResetConnection()}), sock_path, fast_path=fast_path
    ) as path:
        stream = await trio.open_unix_socket(path)
        await stream.send_all(b"[1]")
        assert await read_to_eof(stream) == b""


@pytest.mark.trio
async def test_stall_and_delays_let_other_requests_through(
    sock_path: str, fast_path: bool, autojump_clock: object
) -> None:
    script = Script(
        {b"[1]": Stall(None), b"[2]": Delayed(3, b'{"late":2}'), b"[3]": Delayed(1, b"[3]")}
    )
    async with ipc_server(script, sock_path, fast_path=fast_path) as path:
        stream = await trio.open_unix_socket(path)
        start = trio.current_time()
        await stream.send_all(b"[1][2][3][4]")
        assert await read_lines(stream, 1) == [b"[4]"]
        assert await read_lines(stream, 1) == [b"[3]"]
        assert trio.current_time() - start == pytest.approx(1)
        assert await read_lines(stream, 1) == [b'{"late":2}']
        assert trio.current_time() - start == pytest.approx(3)


@pytest.mark.trio
async def test_delayed_replies_are_sent_after_the_client_half_closes(
    sock_path: str, fast_path: bool, autojump_clock: object
) -> None:
    async with ipc_server(
        Script({b"[1]": Delayed(2, b'{"late":1}')}), sock_path, fast_path=fast_path
    ) as path:
        stream = await trio.open_unix_socket(path)
        await stream.send_all(b"[1][2]")
        await stream.send_eof()
        assert await read_to_eof(stream) == b'[2]\n{"late":1}\n'


@pytest.mark.trio
async def test_dribble_splits_one_message(
    sock_path: str, fast_path: bool, autojump_clock: object
) -> None:
    async with ipc_server(
        Script({b"[1]": Dribble(PAYLOAD, 8, 1.0)}), sock_path, fast_path=fast_path
    ) as path:
        stream = await trio.open_unix_socket(path)
        start = trio.current_time()
        await stream.send_all(b"[1][2]")
        chunks: list[tuple[float, bytes]] = []
        data = b""
        while data.count(b"\n") < 2:
            chunk = await stream.receive_some(65536)
            chunks.append((trio.current_time() - start, chunk))
            data += chunk
        assert data == PAYLOAD + b"\n[2]\n"
        message = PAYLOAD + b"\n"
        count = -(-len(message) // 8)
        assert [c for _, c in chunks[:count]] == [
            message[i : i + 8] for i in range(0, len(message), 8)
        ]
        assert [t for t, _ in chunks[:count]] == pytest.approx([float(i) for i in range(count)])
