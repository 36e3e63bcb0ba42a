"""Byte-level fuzzing of the three listeners over real sockets.

The sans-io suites (``tests/wire``) prove the parsers and their fast paths equal byte for
byte; this one throws mutated traffic at a running node: valid requests with bytes flipped,
cut, repeated or spliced with garbage, sent in random pieces on a fresh connection, then the
connection is closed (or reset) half-way or after reading what came back. Whatever it
answered must be well-formed for its transport (an HTTP status line, JSON lines on IPC,
WebSocket frames after a handshake), and afterwards the node must answer a plain request on
every transport within a second or so. One node serves the whole module, so a leak or a
wedged listener shows up in the examples after the one that caused it.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
from collections.abc import Iterator

import pytest
from fuzz_budget import fuzz_settings
from fuzz_node import RpcClient, SubprocessNode
from hypothesis import given
from hypothesis import strategies as st

REQUEST = (
    b'{"jsonrpc":"2.0","id":7,"method":"eth_getBalance",'
    b'"params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","latest"]}'
)
BATCH = b"[" + b",".join([REQUEST] * 3) + b"]"


def http_request(payload: bytes, extra: bytes = b"") -> bytes:
    return (
        b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        + extra
        + b"Content-Length: "
        + str(len(payload)).encode()
        + b"\r\n\r\n"
        + payload
    )


def ws_frame(payload: bytes, opcode: int = 1, fin: bool = True, mask: bool = True) -> bytes:
    head = bytes([(0x80 if fin else 0) | opcode])
    size = len(payload)
    bit = 0x80 if mask else 0
    if size < 126:
        head += bytes([bit | size])
    elif size < 2**16:
        head += bytes([bit | 126]) + struct.pack("!H", size)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", size)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


HANDSHAKE = (
    b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: " + base64.b64encode(b"0123456789abcdef") + b"\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)

SEEDS = {
    "http": [http_request(REQUEST), http_request(BATCH), http_request(REQUEST) * 3],
    "ws": [
        HANDSHAKE + ws_frame(REQUEST),
        HANDSHAKE + ws_frame(REQUEST[:20], fin=False) + ws_frame(REQUEST[20:], opcode=0),
        HANDSHAKE + ws_frame(b"hi", opcode=9) + ws_frame(BATCH),
        HANDSHAKE + ws_frame(b"\x03\xe8", opcode=8),
    ],
    "ipc": [REQUEST + b"\n", BATCH + REQUEST, REQUEST * 4],
}


@st.composite
def mutated(draw: st.DrawFn, transport: str) -> list[bytes]:
    data = bytearray(draw(st.sampled_from(SEEDS[transport])))
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "delete"]))
        at = draw(st.integers(0, len(data)))
        if op == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 64))]
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 8))]
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=5)))
    pieces, last = [], 0
    for cut in [*cuts, len(data)]:
        pieces.append(bytes(data[last:cut]))
        last = cut
    return [p for p in pieces if p]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SubprocessNode]:
    node = SubprocessNode(tmp_path_factory.mktemp("sockfuzz") / "node.ipc")
    try:
        yield node
    finally:
        node.stop()


def connect(node: SubprocessNode, transport: str) -> socket.socket:
    if transport == "ipc":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(node.ipc_path)
    else:
        sock = socket.create_connection(("127.0.0.1", node.port))
    sock.settimeout(0.15)
    return sock


def drain(sock: socket.socket, limit: float = 0.15) -> bytes:
    got = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    return got


def check_shape(transport: str, reply: bytes) -> None:
    if not reply:
        return
    if transport in ("http", "ws"):
        assert reply.startswith(b"HTTP/1.1 "), reply[:200]
        status = int(reply[9:12])
        assert 100 <= status < 600, reply[:200]
    else:
        for line in reply.split(b"\n")[:-1]:
            json.loads(line)  # every complete IPC line is JSON


def still_serving(node: SubprocessNode) -> None:
    client = RpcClient(node.port, timeout=10)
    try:
        assert client.call("eth_chainId") == "0x7a69"
    finally:
        client.close()
    sock = connect(node, "ipc")
    sock.settimeout(10)
    try:
        sock.sendall(REQUEST + b"\n")
        line = b""
        while not line.endswith(b"\n"):
            chunk = sock.recv(65536)
            assert chunk, "IPC closed"
            line += chunk
        assert json.loads(line)["id"] == 7
    finally:
        sock.close()


@pytest.mark.parametrize("transport", ["http", "ws", "ipc"])
def test_mutated_traffic_never_wedges_a_listener(target: SubprocessNode, transport: str) -> None:
    @fuzz_settings(ci_examples=15, long_examples=1500)
    @given(pieces=mutated(transport), reset=st.booleans(), read=st.booleans())
    def run(pieces: list[bytes], reset: bool, read: bool) -> None:
        sock = connect(target, transport)
        try:
            for piece in pieces:
                try:
                    sock.sendall(piece)
                except OSError:
                    break  # the node closed on bad input: allowed
            reply = drain(sock) if read else b""
            check_shape(transport, reply)
            if reset:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        finally:
            sock.close()
        still_serving(target)

    run()
