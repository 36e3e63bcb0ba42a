"""Helpers for the fault wiring tests: a node per test module, clients with short
timeouts, raw sockets for exact wire bytes, and the journal as plain dicts.

Not a conftest: the other fault test modules keep theirs free of these fixtures.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from web3 import HTTPProvider, IPCProvider, Web3

from mocknode import MockNode, NodeConfig

TIMEOUT = 0.5
# Runtime code `PUSH1 0 PUSH1 0 LOG0 STOP` behind init code that returns it: every call
# emits one log with no topics and no data.
LOGGER_INIT = "0x" + "6560006000a000" + "600052" + "6006" + "601a" + "f3"


def serve(tmp: Path, **config: Any) -> Iterator[MockNode]:
    ipc = tmp / "n.ipc"
    with MockNode(NodeConfig(port=0, ipc_path=str(ipc), **config)) as node:
        yield node


def reset(node: MockNode) -> None:
    """Back to an unarmed node: no rules, persona or recording; seed 0; empty journal (and
    the test's IPC clients closed)."""
    close_ipc_clients()
    faults = node.faults
    faults.clear()
    faults.persona = None
    faults.recording = False
    faults.set_seed(0)
    faults.clear_journal()


def http3(node: MockNode, *, timeout: float = TIMEOUT, retry: bool = False) -> Web3:
    kwargs: dict[str, Any] = {"request_kwargs": {"timeout": timeout}}
    if not retry:
        kwargs["exception_retry_configuration"] = None
    return Web3(HTTPProvider(node.http_url, **kwargs))


_IPC_CLIENTS: list[IPCProvider] = []


def ipc3(node: MockNode, *, timeout: float = TIMEOUT) -> Web3:
    """web3 over IPC; its socket (which web3 never closes) is closed by :func:`reset` or
    :func:`close_ipc_clients`."""
    assert node.ipc_path is not None
    provider = IPCProvider(node.ipc_path, timeout=timeout)
    _IPC_CLIENTS.append(provider)
    return Web3(provider)


def close_ipc_clients() -> None:
    while _IPC_CLIENTS:
        provider = _IPC_CLIENTS.pop()
        persistent = provider._socket
        if persistent is not None and persistent.sock is not None:
            persistent.sock.close()
            persistent.sock = None


def entries(node: MockNode, *, keep_time: bool = False) -> list[dict[str, Any]]:
    """The whole journal as JSON objects (without ``time`` unless asked)."""
    page = node.faults.journal_page(0, 10_000).render()
    out = page["entries"]
    if not keep_time:
        for entry in out:
            del entry["time"]
    return list(out)


def summary(node: MockNode) -> list[tuple[Any, ...]]:
    """The journal as ``(kind, connection, method, id, rule, fault)`` tuples."""
    return [
        (e["kind"], e["connection"], e["method"], e["id"], e["rule"], e["fault"])
        for e in entries(node)
    ]


def body(method: str, params: list[Any] | None = None, ident: Any = 1) -> bytes:
    return json.dumps(
        {"jsonrpc": "2.0", "id": ident, "method": method, "params": params or []}
    ).encode()


def post(port: int, payload: bytes, *, close: bool = False) -> bytes:
    head = (
        f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n"
    )
    if close:
        head += "Connection: close\r\n"
    return head.encode() + b"\r\n" + payload


class Raw:
    """A raw TCP or unix client: exactly the bytes the node sends, and how it ended."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""  # read past the last HTTP response (pipelined answers)
        sock.settimeout(2.0)

    @classmethod
    def tcp(cls, node: MockNode) -> Raw:
        port = int(node.http_url.rsplit(":", 1)[1])
        return cls(socket.create_connection(("127.0.0.1", port)))

    @classmethod
    def ipc(cls, node: MockNode) -> Raw:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        assert node.ipc_path is not None
        sock.connect(node.ipc_path)
        return cls(sock)

    @property
    def port(self) -> int:
        return int(self.sock.getpeername()[1])

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_until_end(self, *, limit: float = 2.0) -> tuple[bytes, str]:
        """Everything until EOF (``"eof"``), a reset (``"reset"``) or ``limit`` seconds of
        silence (``"open"``)."""
        data = b""
        self.sock.settimeout(limit)
        while True:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                return data, "reset"
            except TimeoutError:
                return data, "open"
            if not chunk:
                return data, "eof"
            data += chunk

    def read_exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise EOFError(f"EOF after {len(data)} of {size} bytes: {data!r}")
            data += chunk
        return data

    def read_http(self) -> tuple[bytes, bytes]:
        """One HTTP response with a Content-Length: ``(head, body)``."""
        data = self.buffer
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(data)
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(rest) < length:
            rest += self.read_exactly(length - len(rest))
        self.buffer = rest[length:]
        return head, rest[:length]

    def read_line(self) -> bytes:
        data = b""
        while not data.endswith(b"\n"):
            chunk = self.sock.recv(1)
            if not chunk:
                raise EOFError(data)
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()


def deploy_logger(w3: Web3) -> str:
    """A contract whose every call emits one log; its address."""
    sender = w3.eth.accounts[0]
    tx = w3.eth.send_transaction({"from": sender, "data": LOGGER_INIT})
    address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    assert address is not None
    return str(address)


def emit_logs(w3: Web3, address: str, count: int) -> None:
    sender = w3.eth.accounts[0]
    for _ in range(count):
        w3.eth.wait_for_transaction_receipt(
            w3.eth.send_transaction({"from": sender, "to": address, "gas": 50_000})
        )


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.start = time.monotonic()
        self.elapsed = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.monotonic() - self.start
