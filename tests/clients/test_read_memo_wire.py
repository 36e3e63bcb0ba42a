"""Reads asked again, over real sockets: the answers kept between requests
(:mod:`mocknode.rpc.memo`) follow every change of the chain, carry each request's own
id, leave framing alone, give way to the fault layer and still reach the request log.

web3.py's five providers repeat reads between changes; raw IPC and HTTP clients send
the exact byte shapes the memo is keyed on (ids, spacing, pipelining, split writes).
"""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from client_helpers import FRESH, aw

from mocknode import MockNode, NodeConfig

ETHER = 10**18


def rpc(method: str, params: list[Any], ident: Any = 1) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": ident, "method": method, "params": params}).encode()


async def raw(w3: Any, method: str, params: list[Any]) -> Any:
    response = await aw(w3.provider.make_request(method, params))
    assert "error" not in response, response
    return response["result"]


@pytest.mark.asyncio
async def test_repeated_reads_follow_every_change(w3: Any, start_block: int) -> None:
    for _ in range(2):
        assert await aw(w3.eth.get_balance(FRESH)) == 0
        assert await aw(w3.eth.block_number) == start_block
    await raw(w3, "anvil_setBalance", [FRESH, hex(3 * ETHER)])
    for _ in range(2):
        assert await aw(w3.eth.get_balance(FRESH)) == 3 * ETHER
    snapshot = await raw(w3, "evm_snapshot", [])
    accounts = await aw(w3.eth.accounts)
    tx = await aw(w3.eth.send_transaction({"from": accounts[0], "to": FRESH, "value": 1}))
    await aw(w3.eth.wait_for_transaction_receipt(tx))
    for _ in range(2):
        assert await aw(w3.eth.block_number) == start_block + 1
        assert await aw(w3.eth.get_balance(FRESH)) == 3 * ETHER + 1
        assert (await aw(w3.eth.get_transaction_receipt(tx)))["status"] == 1
    assert await raw(w3, "evm_revert", [snapshot]) is True
    for _ in range(2):
        assert await aw(w3.eth.block_number) == start_block
        assert await aw(w3.eth.get_balance(FRESH)) == 3 * ETHER
    # Back at the same commit, then another edit: a kept answer must not come back.
    await raw(w3, "anvil_setBalance", [FRESH, hex(5 * ETHER)])
    for _ in range(2):
        assert await aw(w3.eth.get_balance(FRESH)) == 5 * ETHER
    chain_id = await aw(w3.eth.chain_id)
    await raw(w3, "anvil_setChainId", [chain_id + 1])
    try:
        assert await raw(w3, "eth_chainId", []) == hex(chain_id + 1)
        assert await raw(w3, "net_version", []) == str(chain_id + 1)
    finally:
        await raw(w3, "anvil_setChainId", [chain_id])
    assert await raw(w3, "eth_chainId", []) == hex(chain_id)


class Ipc:
    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(10)
        self.sock.connect(path)
        self.buffer = b""

    def lines(self, count: int) -> list[bytes]:
        while self.buffer.count(b"\n") < count:
            chunk = self.sock.recv(65536)
            assert chunk, "the node closed the connection"
            self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n", count)
        return lines

    def ask(self, data: bytes) -> bytes:
        self.sock.sendall(data)
        [line] = self.lines(1)
        return line

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def ipc(node: MockNode) -> Any:
    assert node.ipc_path is not None
    client = Ipc(node.ipc_path)
    yield client
    client.close()


def head_answer(node: MockNode, ident: str) -> bytes:
    return b'{"jsonrpc":"2.0","id":%s,"result":"%s"}' % (
        ident.encode(),
        hex(node.block_number()).encode(),
    )


def test_each_answer_carries_its_own_id(ipc: Ipc, node: MockNode) -> None:
    shapes = [
        b'{"jsonrpc":"2.0","id":%s,"method":"eth_blockNumber","params":[]}',
        b'{"jsonrpc": "2.0", "method": "eth_blockNumber", "params": [], "id": %s}',
    ]
    for shape in shapes:
        for ident in ["1", "1", "0", "987654321012", '"a"', '"b c"', "7"]:
            for end in (b"", b"\n", b" \r\n"):
                assert ipc.ask(shape % ident.encode() + end) == head_answer(node, ident)


def test_framing_is_unchanged_around_kept_answers(ipc: Ipc, node: MockNode) -> None:
    call = b'{"jsonrpc":"2.0","id":%d,"method":"eth_blockNumber","params":[]}'
    ipc.ask(call % 1)  # kept now
    # Two in one write, each answered in order.
    ipc.sock.sendall(call % 2 + call % 3)
    assert ipc.lines(2) == [head_answer(node, "2"), head_answer(node, "3")]
    # Split across writes.
    ipc.sock.sendall((call % 4)[:10])
    ipc.sock.sendall((call % 4)[10:])
    assert ipc.lines(1) == [head_answer(node, "4")]
    # A message whose id is not the envelope's plain form still gets the full path.
    assert json.loads(ipc.ask(b'{"jsonrpc":"2.0","id":-5,"method":"eth_blockNumber"}')) == {
        "jsonrpc": "2.0",
        "id": -5,
        "result": hex(node.block_number()),
    }
    # Garbage after a kept answer: the parse error, then the connection ends.
    assert ipc.ask(call % 5) == head_answer(node, "5")
    ipc.sock.sendall(b"}{not json\n")
    [line] = ipc.lines(1)
    assert json.loads(line)["error"]["code"] == -32700


def test_an_armed_fault_layer_sees_every_read(ipc: Ipc, node: MockNode) -> None:
    call = rpc("eth_blockNumber", [], 9)
    for _ in range(2):
        assert ipc.ask(call) == head_answer(node, "9")
    node.faults.add(
        {
            "match": {"method": "eth_blockNumber"},
            "action": {"kind": "error", "template": "geth.header_not_found"},
        }
    )
    try:
        answer = json.loads(ipc.ask(call))
        assert answer["id"] == 9
        assert "error" in answer
    finally:
        node.faults.clear()
    assert ipc.ask(call) == head_answer(node, "9")
    node.mine(3)
    node.faults.add(
        {"match": {"method": "eth_blockNumber"}, "action": {"kind": "stale_head", "blocks": 2}}
    )
    try:
        assert json.loads(ipc.ask(call))["result"] == hex(node.block_number() - 2)
    finally:
        node.faults.clear()
    # Nothing the stale view answered was kept.
    for _ in range(2):
        assert ipc.ask(call) == head_answer(node, "9")


@contextmanager
def own_node(tmp_path: Any, **options: Any) -> Iterator[tuple[MockNode, Ipc]]:
    """A node of the test's own (options the session node does not have), with an IPC
    client."""
    config = NodeConfig(port=0, ipc_path=str(tmp_path / "n.ipc"), **options)
    with MockNode(config) as served:
        assert served.ipc_path is not None
        client = Ipc(served.ipc_path)
        try:
            yield served, client
        finally:
            client.close()


def test_kept_answers_are_logged_as_served(tmp_path: Any, capsys: Any) -> None:
    with own_node(tmp_path, log_requests=True) as (served, client):
        for ident in range(3):
            client.ask(rpc("eth_chainId", [], ident))
        body = rpc("eth_getBalance", [FRESH, "latest"])
        for _ in range(3):
            request = urllib.request.Request(
                served.http_url, body, {"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert json.loads(response.read())["result"] == "0x0"
    lines = capsys.readouterr().out.split()
    assert lines == ["eth_chainId"] * 3 + ["eth_getBalance"] * 3


def test_without_fast_paths_nothing_is_kept(tmp_path: Any) -> None:
    with own_node(tmp_path, fast_paths=False) as (served, client):
        for ident in range(3):
            assert client.ask(rpc("eth_blockNumber", [], ident)) == (
                b'{"jsonrpc":"2.0","id":%d,"result":"0x0"}' % ident
            )
        assert served.run(lambda: len(served._served().memo)) == 0


def ws_frame(opcode: int, payload: bytes) -> bytes:
    """One final masked client frame (under 64 KiB), built by hand: a WebSocket library
    will not send a text frame that is not UTF-8."""
    mask = b"\x01\x02\x03\x04"
    size = len(payload)
    head = (
        bytes((0x80 | opcode, 0x80 | size))
        if size < 126
        else (bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big"))
    )
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def ws_open(url: str) -> socket.socket:
    host, port = url.removeprefix("ws://").split(":")
    sock = socket.create_connection((host, int(port.rstrip("/"))), timeout=10)
    sock.sendall(
        b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def ws_read(sock: socket.socket) -> tuple[int, bytes]:
    """One unmasked server frame: its opcode and payload."""

    def exactly(count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = sock.recv(count - len(data))
            assert chunk, "the node closed the connection"
            data += chunk
        return data

    first, second = exactly(2)
    size = second & 0x7F
    if size == 126:
        size = int.from_bytes(exactly(2), "big")
    return first & 0x0F, exactly(size)


def test_a_text_frame_that_is_not_utf8_is_closed_even_when_its_bytes_were_answered(
    node: MockNode,
) -> None:
    """The same bytes are a fine message over HTTP, IPC or a binary frame; a text frame
    carrying them is a protocol error (1007), memo or not."""
    address = "0x" + "00" * 19 + "01"
    body = (
        b'{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["%s",'
        b'{"blockNumber":"0x0","x":"\xed\xa0\x80"}]}' % address.encode()
    )
    sock = ws_open(node.ws_url)
    try:
        for _ in range(2):  # binary frames: answered, then asked again
            sock.sendall(ws_frame(2, body))
            opcode, payload = ws_read(sock)
            assert opcode == 1
            assert json.loads(payload)["result"] == "0x0"
        sock.sendall(ws_frame(1, body))
        opcode, payload = ws_read(sock)
        assert opcode == 8
        assert int.from_bytes(payload[:2], "big") == 1007
    finally:
        sock.close()
