"""A whole node under the limits of issue 11, over real sockets, clients in another thread.

- newHeads subscribers on WebSocket and IPC keep every block while twenty HTTP clients
  send transactions on an automining chain (one block each), with the default limits
  (``test_io_fairness.py`` reproduces the unfair writer's failure at the io level, where
  the load is cheap enough to pass the old 4096-message bound within a test);
- a client sending one byte at a time does not hold its connection past the read
  timeout, nor does an idle keep-alive connection past the idle timeout; hundreds of
  half-sent requests are all closed;
- connections past the caps are refused with 503 (HTTP, WebSocket) or a close (IPC),
  and served again once others leave.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import trio
from io_helpers import HttpClient, WsClient, whole_message

from mocknode import MockNode
from mocknode.chain.config import ChainConfig
from mocknode.io.limits import ConnLimits
from mocknode.node import NodeConfig

CLIENTS = 20
TXS_PER_CLIENT = 20


def _rpc(method: str, params: list[Any], id_: int = 1) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": id_, "method": method, "params": params}).encode()


def _post(body: bytes) -> bytes:
    return (
        b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    ) + body


@pytest.fixture
def busy_node(tmp_path: Any) -> Iterator[MockNode]:
    config = NodeConfig(
        port=0,
        ipc_path=str(tmp_path / "n.ipc"),
        chain=ChainConfig(accounts=CLIENTS),
    )
    with MockNode(config) as node:
        yield node


async def _sender(port: int, sender: str) -> None:
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    client = HttpClient(stream)
    tx = {"from": sender, "to": sender, "value": "0x1"}
    for i in range(TXS_PER_CLIENT):
        await stream.send_all(_post(_rpc("eth_sendTransaction", [tx], i)))
        status, body = await client.read_response()
        assert status == 200
        assert "result" in json.loads(body), body
    await stream.aclose()


async def _ws_heads(port: int, want: int, got: list[int], ready: trio.Event) -> None:
    ws = await WsClient.connect(port)
    await ws.send_text(_rpc("eth_subscribe", ["newHeads"]).decode())
    json.loads(await whole_message(ws))
    ready.set()
    while len(got) < want:
        got.append(int(json.loads(await whole_message(ws))["params"]["result"]["number"], 16))


async def _ipc_heads(path: str, want: int, got: list[int], ready: trio.Event) -> None:
    stream = await trio.open_unix_socket(path)
    await stream.send_all(_rpc("eth_subscribe", ["newHeads"]) + b"\n")
    buf = b""
    while len(got) < want:
        chunk = await stream.receive_some(1 << 20)
        assert chunk, "the IPC subscriber was closed"
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            value = json.loads(line)
            if "params" in value:
                got.append(int(value["params"]["result"]["number"], 16))
            else:
                ready.set()


def test_subscribers_keep_every_block_under_twenty_senders(busy_node: MockNode) -> None:
    port = int(busy_node.http_url.rsplit(":", 1)[1])
    ipc_path = busy_node.ipc_path
    assert ipc_path is not None
    senders = ["0x" + bytes(a.address).hex() for a in busy_node.accounts]
    start = busy_node.block_number()
    want = CLIENTS * TXS_PER_CLIENT
    ws_got: list[int] = []
    ipc_got: list[int] = []

    async def main() -> None:
        with trio.fail_after(120):
            async with trio.open_nursery() as nursery:
                ws_ready, ipc_ready = trio.Event(), trio.Event()
                nursery.start_soon(_ws_heads, port, want, ws_got, ws_ready)
                nursery.start_soon(_ipc_heads, ipc_path, want, ipc_got, ipc_ready)
                await ws_ready.wait()
                await ipc_ready.wait()
                for sender in senders:
                    nursery.start_soon(_sender, port, sender)

    trio.run(main)
    expected = list(range(start + 1, start + want + 1))
    assert ws_got == expected
    assert ipc_got == expected
    assert busy_node.block_number() == start + want


# -- timeouts ---------------------------------------------------------------------------


@pytest.fixture
def timed_node() -> Iterator[MockNode]:
    limits = ConnLimits(read_timeout=0.5, idle_timeout=1.0)
    with MockNode(NodeConfig(port=0, ipc_path=None, limits=limits)) as node:
        yield node


def _connect(node: MockNode) -> socket.socket:
    port = int(node.http_url.rsplit(":", 1)[1])
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def _closed_after(sock: socket.socket) -> float:
    """Seconds until the server closes ``sock`` (reading and dropping what it sends)."""
    start = time.monotonic()
    while True:
        try:
            if not sock.recv(65536):
                return time.monotonic() - start
        except ConnectionResetError:
            return time.monotonic() - start


def test_a_client_dribbling_a_request_is_closed_after_the_read_timeout(
    timed_node: MockNode,
) -> None:
    sock = _connect(timed_node)
    request = _post(_rpc("eth_blockNumber", []))
    start = time.monotonic()
    closed = False
    for byte in request[:40]:  # one byte every 0.05 s: never a whole request in 0.5 s
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        time.sleep(0.05)
    held = time.monotonic() - start + (0 if closed else _closed_after(sock))
    assert 0.4 < held < 3.0
    sock.close()


def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout(
    timed_node: MockNode,
) -> None:
    sock = _connect(timed_node)
    sock.sendall(_post(_rpc("eth_blockNumber", [])))
    reply = b""
    while b'"result"' not in reply:
        reply += sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 200 OK")
    held = _closed_after(sock)
    assert 0.8 < held < 3.0  # the idle timeout (1 s), not the read timeout (0.5 s)
    sock.close()


def test_hundreds_of_half_sent_requests_are_all_closed(timed_node: MockNode) -> None:
    socks = [_connect(timed_node) for _ in range(300)]
    for sock in socks:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Le")
    time.sleep(1.5)
    for sock in socks:
        sock.settimeout(5)
        assert _closed_after(sock) < 5
        sock.close()
    # ... and the node still serves.
    sock = _connect(timed_node)
    sock.sendall(_post(_rpc("eth_blockNumber", [])))
    assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
    sock.close()


# -- connection caps ----------------------------------------------------------------------


def test_connections_past_the_cap_are_refused_cleanly(tmp_path: Any) -> None:
    limits = ConnLimits(max_connections=3)
    config = NodeConfig(port=0, ipc_path=str(tmp_path / "c.ipc"), limits=limits)
    with MockNode(config) as node:
        assert node.ipc_path is not None
        held = [_connect(node), _connect(node)]
        ipc = socket.socket(socket.AF_UNIX)
        ipc.connect(node.ipc_path)
        ipc.sendall(_rpc("eth_chainId", []) + b"\n")
        assert b'"result"' in ipc.recv(65536)  # the third connection is served
        refused = _connect(node)
        refused.sendall(_post(_rpc("eth_blockNumber", [])))
        answer = b""
        while True:
            chunk = refused.recv(65536)
            if not chunk:
                break
            answer += chunk
        assert answer == (
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"X-Content-Type-Options: nosniff\r\nContent-Length: 21\r\nConnection: close\r\n"
            b"\r\ntoo many connections\n"
        )
        refused.close()
        refused_ipc = socket.socket(socket.AF_UNIX)
        refused_ipc.connect(node.ipc_path)
        refused_ipc.settimeout(5)
        assert refused_ipc.recv(65536) == b""  # closed unanswered
        refused_ipc.close()
        # A WebSocket handshake past the cap fails with the same 503.
        ws_refused = _connect(node)
        ws_refused.sendall(
            b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        assert ws_refused.recv(65536).startswith(b"HTTP/1.1 503 Service Unavailable")
        ws_refused.close()
        for sock in held:
            sock.close()
        time.sleep(0.3)
        again = _connect(node)  # slots are given back when connections end
        again.sendall(_post(_rpc("eth_blockNumber", [])))
        assert again.recv(65536).startswith(b"HTTP/1.1 200 OK")
        again.close()
        ipc.close()


def test_connections_per_address_are_capped(tmp_path: Any) -> None:
    limits = ConnLimits(max_connections_per_address=2)
    with MockNode(NodeConfig(port=0, ipc_path=None, limits=limits)) as node:
        held = [_connect(node), _connect(node)]
        refused = _connect(node)
        refused.sendall(_post(_rpc("eth_blockNumber", [])))
        assert refused.recv(65536).startswith(b"HTTP/1.1 503 Service Unavailable")
        refused.close()
        for sock in held:
            sock.close()
