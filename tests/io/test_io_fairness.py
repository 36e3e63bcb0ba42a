"""Subscribers under load, over real sockets (issue 11, point 1).

Twenty keep-alive HTTP clients each cause one notification to every subscriber per
request (as automine announces one block per transaction). A WebSocket and an IPC
subscriber that read as fast as they can must receive every notification, in order,
and stay connected; a subscriber that never reads is closed after the documented
bound, alone, while the others go on.

Before the writer drained its whole queue per wake-up, it wrote about one message per
scheduler pass while each pass queued about twenty: the readers were closed with
"client is not reading; 4096 messages queued".
"""

from __future__ import annotations

import json
from functools import partial

import pytest
import trio
from io_helpers import HttpClient, WsClient, http_request, whole_message

from mocknode.io.ipc import serve_ipc
from mocknode.io.limits import ConnLimits
from mocknode.io.session import ConnInfo, Push, Session
from mocknode.io.tcp import serve_tcp
from mocknode.wire.http import HttpOptions

CLIENTS = 20
REQUESTS = 300  # 6000 notifications per subscriber: more than the old 4096 bound
NOTE = b'{"jsonrpc":"2.0","method":"eth_subscription","params":{"result":"%s","n":%d}}'
FILL = "ab" * 250  # ~ a newHeads header's size


class Broadcaster:
    """HTTP requests notify every WebSocket and IPC session; those answer nothing."""

    def __init__(self) -> None:
        self.pushes: list[Push] = []
        self.sent = 0
        self.closed: list[str] = []

    def factory(self, info: ConnInfo, push: Push | None) -> Session:
        if push is not None:
            self.pushes.append(push)
        return _Session(self, info)


class _Session:
    def __init__(self, owner: Broadcaster, info: ConnInfo) -> None:
        self.owner = owner
        self.info = info

    async def handle(self, payload: bytes) -> bytes | None:
        owner = self.owner
        if self.info.transport == "http":
            owner.sent += 1
            note = NOTE % (FILL.encode(), owner.sent)
            for push in list(owner.pushes):
                push(note)
            return b'{"ok":%d}' % owner.sent
        return b'{"subscribed":true}'

    async def close(self) -> None:
        self.owner.closed.append(self.info.transport)


async def _http_client(port: int, requests: int) -> None:
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    client = HttpClient(stream)
    request = http_request(b"{}")
    for _ in range(requests):
        await stream.send_all(request)
        status, _ = await client.read_response()
        assert status == 200
    await stream.aclose()


async def _ws_reader(port: int, want: int, got: list[int], keep: list[object]) -> None:
    ws = await WsClient.connect(port)
    keep.append(ws)  # open until the test ends
    await ws.send_text("{}")
    assert json.loads(await whole_message(ws)) == {"subscribed": True}
    got.append(-1)  # subscribed
    while len(got) <= want:
        got.append(json.loads(await whole_message(ws))["params"]["n"])


async def _ipc_reader(path: str, want: int, got: list[int]) -> None:
    stream = await trio.open_unix_socket(path)
    await stream.send_all(b"{}\n")
    buf = b""
    while len(got) <= want:
        chunk = await stream.receive_some(1 << 20)
        assert chunk, "the IPC subscriber was closed"
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            value = json.loads(line)
            got.append(value["params"]["n"] if "params" in value else -1)


async def _serve(owner: Broadcaster, path: str, nursery: trio.Nursery, **limits: object) -> int:
    port: int = await nursery.start(
        partial(serve_tcp, owner.factory, "127.0.0.1", 0, options=HttpOptions(), **limits)
    )
    await nursery.start(partial(serve_ipc, owner.factory, path, **limits))
    return port


@pytest.mark.trio
async def test_subscribers_that_read_keep_every_notification(tmp_path: object) -> None:
    owner = Broadcaster()
    path = f"{tmp_path}/fair.ipc"
    want = CLIENTS * REQUESTS
    ws_got: list[int] = []
    keep: list[object] = []
    ipc_got: list[int] = []
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            port = await _serve(owner, path, nursery)
            async with trio.open_nursery() as readers:
                readers.start_soon(_ws_reader, port, want, ws_got, keep)
                readers.start_soon(_ipc_reader, path, want, ipc_got)
                while len(owner.pushes) < 2 or len(ws_got) < 1 or len(ipc_got) < 1:  # noqa: ASYNC110
                    await trio.sleep(0.01)
                async with trio.open_nursery() as clients:
                    for _ in range(CLIENTS):
                        clients.start_soon(_http_client, port, REQUESTS)
            nursery.cancel_scope.cancel()
    expected = [-1, *range(1, want + 1)]
    assert ws_got == expected
    assert ipc_got == expected


@pytest.mark.trio
async def test_a_subscriber_that_does_not_read_is_closed_alone(tmp_path: object) -> None:
    """The bound is bytes queued (``ConnLimits.max_queued_bytes``): once a push would pass it, that
    connection is closed; the subscriber reading beside it keeps every notification."""
    owner = Broadcaster()
    path = f"{tmp_path}/fair.ipc"
    want = 4 * REQUESTS
    ws_got: list[int] = []
    keep: list[object] = []
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            port = await _serve(
                owner, path, nursery, limits=ConnLimits(max_queued_bytes=256 * 1024)
            )
            sleeper = await trio.open_unix_socket(path)
            await sleeper.send_all(b"{}\n")  # subscribes, then never reads again
            async with trio.open_nursery() as readers:
                readers.start_soon(_ws_reader, port, want, ws_got, keep)
                while len(owner.pushes) < 2 or len(ws_got) < 1:  # noqa: ASYNC110
                    await trio.sleep(0.01)
                async with trio.open_nursery() as clients:
                    for _ in range(4):
                        clients.start_soon(_http_client, port, REQUESTS)
            assert [t for t in owner.closed if t != "http"] == ["ipc"]  # HTTP clients left
            # The sleeper's socket is closed by the node: after what the kernel
            # buffered, it reads EOF.
            with trio.fail_after(10):
                while await sleeper.receive_some(1 << 20):
                    pass
            nursery.cancel_scope.cancel()
    assert ws_got == [-1, *range(1, want + 1)]
