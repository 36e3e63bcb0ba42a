"""The unix-socket endpoint: framing over a real socket, path handling, cleanup."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterator

import pytest
import trio
import trio.lowlevel
from io_helpers import Registry, ipc_server, read_lines, read_to_eof

from mocknode.io.ipc import IpcPathError, serve_ipc


@pytest.fixture
def sock_path() -> Iterator[str]:
    # pytest's tmp_path can exceed the 108-byte limit of unix socket paths.
    directory = tempfile.mkdtemp(prefix="mn")
    yield os.path.join(directory, "node.ipc")
    shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.trio
async def test_round_trip_with_newline_and_mode_0600(sock_path: str, fast_path: bool) -> None:
    reg = Registry()
    async with ipc_server(reg, sock_path, fast_path=fast_path) as bound:
        assert bound == sock_path
        assert stat.S_IMODE(os.stat(sock_path).st_mode) == 0o600
        stream = await trio.open_unix_socket(sock_path)
        await stream.send_all(b'{"id":1}')
        assert await read_lines(stream, 1) == [b'{"ID":1}']
    assert [s.transport for s in reg.sessions] == ["ipc"]
    assert reg.sessions[0].closed


@pytest.mark.trio
async def test_coalesced_and_split_writes(sock_path: str, fast_path: bool) -> None:
    async with ipc_server(Registry(), sock_path, fast_path=fast_path) as path:
        stream = await trio.open_unix_socket(path)
        await stream.send_all(b'{"a":1}{"b":2}\n[{"c":"}"}]')
        assert await read_lines(stream, 3) == [b'{"A":1}', b'{"B":2}', b'[{"C":"}"}]']
        data = b'{"jsonrpc":"2.0","id":9,"params":["x\\"}"]}'
        for i in range(len(data)):
            await stream.send_all(data[i : i + 1])
            await trio.lowlevel.checkpoint()
        assert await read_lines(stream, 1) == [data.upper()]


@pytest.mark.trio
async def test_push_over_ipc(sock_path: str, fast_path: bool) -> None:
    async with ipc_server(Registry(), sock_path, fast_path=fast_path) as path:
        stream = await trio.open_unix_socket(path)
        await stream.send_all(b'{"push":2}')
        assert await read_lines(stream, 3) == [b'{"note":0}', b'{"note":1}', b'{"PUSH":2}']


@pytest.mark.trio
async def test_garbage_is_answered_then_closed_and_others_served(
    sock_path: str, fast_path: bool
) -> None:
    reg = Registry()
    async with ipc_server(reg, sock_path, fast_path=fast_path) as path:
        bad = await trio.open_unix_socket(path)
        await bad.send_all(b'{"ok":1} not json')
        assert await read_to_eof(bad) == b'{"OK":1}\nNOT JSON\n'
        good = await trio.open_unix_socket(path)
        await good.send_all(b"[7]")
        assert await read_lines(good, 1) == [b"[7]"]
        assert reg.sessions[0].closed


@pytest.mark.trio
async def test_stale_socket_is_replaced(sock_path: str, fast_path: bool) -> None:
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(sock_path)
    stale.close()  # file left behind, nobody listening
    async with ipc_server(Registry(), sock_path, fast_path=fast_path) as path:
        stream = await trio.open_unix_socket(path)
        await stream.send_all(b"[1]")
        assert await read_lines(stream, 1) == [b"[1]"]


@pytest.mark.trio
async def test_live_socket_is_refused(sock_path: str, fast_path: bool) -> None:
    async with ipc_server(Registry(), sock_path, fast_path=fast_path):
        with pytest.raises(IpcPathError, match="listening") as info:
            await serve_ipc(Registry().factory, sock_path)
        assert info.value.path == sock_path
        assert sock_path in str(info.value)
        stream = await trio.open_unix_socket(sock_path)  # first server unharmed
        await stream.send_all(b"[1]")
        assert await read_lines(stream, 1) == [b"[1]"]


@pytest.mark.trio
async def test_regular_file_is_refused_and_left_alone(sock_path: str) -> None:
    await trio.Path(sock_path).write_text("precious")
    with pytest.raises(IpcPathError, match="regular file") as info:
        await serve_ipc(Registry().factory, sock_path)
    assert sock_path in str(info.value)
    assert await trio.Path(sock_path).read_text() == "precious"


@pytest.mark.trio
async def test_directory_is_refused(sock_path: str) -> None:
    os.mkdir(sock_path)
    with pytest.raises(IpcPathError, match="directory"):
        await serve_ipc(Registry().factory, sock_path)


@pytest.mark.trio
async def test_socket_file_removed_after_cancel(sock_path: str, fast_path: bool) -> None:
    async with ipc_server(Registry(), sock_path, fast_path=fast_path):
        assert await trio.Path(sock_path).exists()
    assert not await trio.Path(sock_path).exists()


@pytest.mark.trio
async def test_replaced_socket_file_is_not_removed(sock_path: str, fast_path: bool) -> None:
    async with ipc_server(Registry(), sock_path, fast_path=fast_path):
        os.unlink(sock_path)
        await trio.Path(sock_path).write_text("someone else's")
    assert await trio.Path(sock_path).exists()


@pytest.mark.trio
async def test_cancel_with_connected_clients_is_prompt(sock_path: str, fast_path: bool) -> None:
    reg = Registry()
    with trio.fail_after(1):
        async with ipc_server(reg, sock_path, fast_path=fast_path) as path:
            streams = [await trio.open_unix_socket(path) for _ in range(3)]
            for s in streams:
                await s.send_all(b"[0]")
                await read_lines(s, 1)
    assert len(reg.sessions) == 3
    assert all(s.closed for s in reg.sessions)
    for s in streams:
        assert await read_to_eof(s) == b""
