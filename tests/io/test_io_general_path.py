"""The general stream path end to end, with real JSON-RPC traffic against a real node.

The raw-socket shortcut is taken only for exactly a :class:`trio.SocketStream`; every
other stream (a fault layer's wrapper, trio's memory streams, a ``StapledStream``) and
every socket when ``fast_paths=False`` goes through trio's stream API. These tests drive
that branch with the node's own JSON-RPC sessions: HTTP keep-alive, a WebSocket
subscription with its notification, IPC, and web3.py against a node without fast paths.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import trio
import trio.testing
from io_helpers import CountingStream, HttpClient, WsClient, read_lines
from web3 import HTTPProvider, IPCProvider, Web3
from wsproto.events import AcceptConnection, Request

from mocknode.embedded import MockNode
from mocknode.io.ipc import serve_ipc, serve_ipc_stream
from mocknode.io.reply import ResetConnection
from mocknode.io.session import ConnInfo, Push, Reply, Session
from mocknode.io.tcp import serve_http_stream, serve_tcp
from mocknode.node import Node, NodeConfig
from mocknode.wire.http import HttpOptions


@pytest.fixture
def sock_path() -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix="mn")
    yield os.path.join(directory, "node.ipc")
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def node() -> Node:
    return Node(NodeConfig(port=0, ipc_path=None))


def call(method: str, *params: Any, ident: int = 1) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": ident, "method": method, "params": params}).encode()


def http_post(body: bytes) -> bytes:
    return (
        b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body
    )


def result(raw: bytes) -> Any:
    answer = json.loads(raw)
    assert "error" not in answer, answer
    return answer["result"]


async def transfer_over_http(send: Callable[[bytes], Awaitable[bytes]]) -> None:
    """A value transfer as a client does it: accounts, send, receipt, balance."""
    assert result(await send(call("eth_chainId"))) == "0x7a69"
    sender, receiver = result(await send(call("eth_accounts")))[:2]
    tx = {"from": sender, "to": receiver, "value": "0x3e8"}
    tx_hash = result(await send(call("eth_sendTransaction", tx)))
    receipt = result(await send(call("eth_getTransactionReceipt", tx_hash)))
    assert receipt["status"] == "0x1"
    assert receipt["transactionHash"] == tx_hash
    assert result(await send(call("eth_blockNumber"))) == "0x1"


@pytest.mark.trio
async def test_wrapped_socket_streams_serve_the_node(node: Node, sock_path: str) -> None:
    wrappers: list[CountingStream] = []

    def wrap(stream: trio.abc.HalfCloseableStream, info: ConnInfo) -> CountingStream:
        wrappers.append(CountingStream(stream))
        return wrappers[-1]

    async with trio.open_nursery() as nursery:
        port = await nursery.start(
            lambda task_status: serve_tcp(
                node.session, "127.0.0.1", 0, wrap_stream=wrap, task_status=task_status
            )
        )
        path = await nursery.start(
            lambda task_status: serve_ipc(
                node.session, sock_path, wrap_stream=wrap, task_status=task_status
            )
        )
        # WebSocket: subscribe to new heads, then a transfer over HTTP mines a block.
        ws = await WsClient.connect(port)
        await ws.send_text(call("eth_subscribe", "newHeads").decode())
        subscription = result((await ws.recv()).encode())

        stream = await trio.open_tcp_stream("127.0.0.1", port)
        client = HttpClient(stream)

        async def send(body: bytes) -> bytes:
            await stream.send_all(http_post(body))
            status, answer = await client.read_response()
            assert status == 200
            return answer

        await transfer_over_http(send)
        note = json.loads(await ws.recv())
        assert note["method"] == "eth_subscription"
        assert note["params"]["subscription"] == subscription
        assert note["params"]["result"]["number"] == "0x1"

        ipc = await trio.open_unix_socket(path)
        await ipc.send_all(call("eth_blockNumber") + call("eth_chainId", ident=2))
        first, second = await read_lines(ipc, 2)
        assert (result(first), result(second)) == ("0x1", "0x7a69")
        nursery.cancel_scope.cancel()
    assert len(wrappers) == 3
    assert all(w.received and w.sent for w in wrappers)


async def serve_on(
    nursery: trio.Nursery, serve: Callable[..., Awaitable[None]], server: Any, *args: Any
) -> None:
    async def run() -> None:
        async with server:
            await serve(server, *args)

    nursery.start_soon(run)


@pytest.mark.trio
@pytest.mark.parametrize("pair", ["memory", "lockstep"])
async def test_memory_streams_serve_http_and_websocket(node: Node, pair: str) -> None:
    make = (
        trio.testing.memory_stream_pair if pair == "memory" else trio.testing.lockstep_stream_pair
    )
    async with trio.open_nursery() as nursery:
        client_side, server_side = make()
        assert isinstance(server_side, trio.StapledStream)
        await serve_on(
            nursery, serve_http_stream, server_side, node.session, ConnInfo(1, "http", "memory")
        )
        client = HttpClient(client_side)

        async def send(body: bytes) -> bytes:
            await client_side.send_all(http_post(body))
            status, answer = await client.read_response()
            assert status == 200
            return answer

        await transfer_over_http(send)

        ws_client_side, ws_server_side = make()
        await serve_on(
            nursery, serve_http_stream, ws_server_side, node.session, ConnInfo(2, "http", "memory")
        )
        ws = WsClient(ws_client_side)
        await ws.stream.send_all(ws.ws.send(Request(host="x", target="/")))
        assert isinstance(await ws.next_event(), AcceptConnection)
        await ws.send_bytes(call("eth_subscribe", "newHeads"))
        subscription = result((await ws.recv()).encode())
        await client_side.send_all(http_post(call("evm_mine")))
        assert (await client.read_response())[0] == 200
        note = json.loads(await ws.recv())
        assert note["params"]["subscription"] == subscription
        assert note["params"]["result"]["number"] == "0x2"
        nursery.cancel_scope.cancel()


@pytest.mark.trio
async def test_memory_stream_serves_ipc(node: Node) -> None:
    async with trio.open_nursery() as nursery:
        client_side, server_side = trio.testing.memory_stream_pair()
        await serve_on(
            nursery, serve_ipc_stream, server_side, node.session, ConnInfo(1, "ipc", "memory")
        )
        await client_side.send_all(b"[" + call("eth_chainId") + b"," + call("net_version") + b"]")
        [batch] = await read_lines(client_side, 1)
        assert [item["result"] for item in json.loads(batch)] == ["0x7a69", "31337"]
        nursery.cancel_scope.cancel()


class ResetSession:
    async def handle(self, payload: bytes) -> bytes | Reply | None:
        return ResetConnection()

    async def close(self) -> None:
        pass


@pytest.mark.trio
async def test_reset_on_a_stream_that_is_not_a_socket_is_a_plain_close() -> None:
    def factory(info: ConnInfo, push: Push | None) -> Session:
        return ResetSession()

    async with trio.open_nursery() as nursery:
        client_side, server_side = trio.testing.memory_stream_pair()
        await serve_on(nursery, serve_http_stream, server_side, factory, ConnInfo(1, "http", "m"))
        await client_side.send_all(http_post(b"[1]"))
        assert await client_side.receive_some(100) == b""


def test_web3_against_a_node_without_fast_paths(sock_path: str) -> None:
    """A real client over real sockets with every fast path off: h11, wsproto, the IPC
    scanner and trio's general stream path carry the whole exchange."""
    config = NodeConfig(port=0, ipc_path=sock_path, fast_paths=False)
    with MockNode(config) as running:
        for provider in (HTTPProvider(running.http_url), IPCProvider(sock_path)):
            w3 = Web3(provider)
            assert w3.eth.chain_id == 31337
            sender, receiver = w3.eth.accounts[:2]
            before = w3.eth.get_balance(receiver)
            tx_hash = w3.eth.send_transaction({"from": sender, "to": receiver, "value": 1234})
            assert w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)["status"] == 1
            assert w3.eth.get_balance(receiver) == before + 1234


def test_cli_flag_turns_fast_paths_off() -> None:
    from mocknode.cli import build_parser, config_from_args

    assert config_from_args(build_parser().parse_args([])).fast_paths is True
    config = config_from_args(build_parser().parse_args(["--no-fast-paths"]))
    assert config.fast_paths is False
    assert HttpOptions().fast_path is True
