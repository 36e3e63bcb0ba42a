"""One lean JSON-RPC client, the same for every socket peer, so the client's cost is equal.

Transports move pre-encoded request bytes and return raw reply bytes: HTTP/1.1 keep-alive
(``http.client``), WebSocket text frames (``websockets.sync``) and a raw unix socket for
IPC (replies end with ``\\n`` on both mocknode and anvil; a reply without one is still
accepted once it parses as JSON). :class:`SocketRpc` adds encoding and error checks;
:meth:`SocketRpc.op` builds the thunk timed in the loops: send fixed bytes, check the
reply for an error member, nothing else.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

IO_TIMEOUT_S = 120.0  # one request; mining 500 blocks on a long anvil chain takes a while


class RpcError(Exception):
    """The node answered with a JSON-RPC error (or something that is not a reply)."""


class Transport(Protocol):
    def send(self, body: bytes) -> bytes: ...

    def close(self) -> None: ...


class HttpTransport:
    """HTTP/1.1 POSTs over one keep-alive connection."""

    def __init__(self, host: str, port: int) -> None:
        self._conn = http.client.HTTPConnection(host, port, timeout=IO_TIMEOUT_S)
        self._headers = {"Content-Type": "application/json"}

    def send(self, body: bytes) -> bytes:
        conn = self._conn
        conn.request("POST", "/", body, self._headers)
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RpcError(f"HTTP {response.status}: {data[:200]!r}")
        return data

    def close(self) -> None:
        self._conn.close()


class WsTransport:
    """One WebSocket; each request is a text frame, each reply the next frame."""

    def __init__(self, url: str) -> None:
        self._stack = contextlib.ExitStack()
        self._ws: ClientConnection = self._stack.enter_context(
            ws_connect(
                url,
                compression=None,
                max_size=None,
                proxy=None,
                ping_interval=None,  # no keep-alive pings between timed requests
                open_timeout=10,
                close_timeout=1,
            )
        )

    def send(self, body: bytes) -> bytes:
        self._ws.send(body, text=True)
        return self._ws.recv(timeout=IO_TIMEOUT_S, decode=False)

    def close(self) -> None:
        self._stack.close()


class IpcTransport:
    """A geth-style IPC socket: JSON in, newline-terminated JSON out."""

    def __init__(self, path: str) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(IO_TIMEOUT_S)
        self._sock.connect(path)
        self._buffer = b""

    def send(self, body: bytes) -> bytes:
        self._sock.sendall(body)
        buffer = self._buffer
        while True:
            end = buffer.find(b"\n")
            if end >= 0:
                self._buffer = buffer[end + 1 :]
                return buffer[:end]
            if buffer.endswith((b"}", b"]")) and _parses(buffer):  # a peer without newlines
                self._buffer = b""
                return buffer
            chunk = self._sock.recv(1 << 16)
            if not chunk:
                raise RpcError("IPC connection closed by the node")
            buffer += chunk

    def close(self) -> None:
        self._sock.close()


def _parses(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


class Rpc(Protocol):
    """What workloads use: the socket client and the in-process eth-tester one alike."""

    def call(self, method: str, params: Sequence[Any]) -> Any: ...

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]: ...

    def op(self, method: str, params: Sequence[Any]) -> Callable[[], object]: ...

    def batch_op(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> Callable[[], object]: ...

    def close(self) -> None: ...


def encode(method: str, params: Sequence[Any], request_id: int = 1) -> bytes:
    return json.dumps(
        {"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)},
        separators=(",", ":"),
    ).encode()


def _result(reply: Any) -> Any:
    if not isinstance(reply, dict):
        raise RpcError(f"not a JSON-RPC reply: {reply!r:.200}")
    if "error" in reply:
        raise RpcError(str(reply["error"]))
    return reply["result"]


class SocketRpc:
    """JSON-RPC over one transport."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def call(self, method: str, params: Sequence[Any]) -> Any:
        return _result(json.loads(self.transport.send(encode(method, params))))

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        body = b"[" + b",".join(encode(m, p, i) for i, (m, p) in enumerate(calls)) + b"]"
        replies = json.loads(self.transport.send(body))
        if not isinstance(replies, list) or len(replies) != len(calls):
            raise RpcError(f"bad batch reply: {replies!r:.200}")
        by_id = {reply.get("id"): reply for reply in replies}
        return [_result(by_id.get(i)) for i in range(len(calls))]

    def op(self, method: str, params: Sequence[Any]) -> Callable[[], object]:
        return self.raw_op(encode(method, params))

    def batch_op(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> Callable[[], object]:
        return self.raw_op(
            b"[" + b",".join(encode(m, p, i) for i, (m, p) in enumerate(calls)) + b"]"
        )

    def raw_op(self, body: bytes) -> Callable[[], object]:
        send = self.transport.send

        def run() -> bytes:
            reply = send(body)
            if b'"error"' in reply:
                raise RpcError(reply[:300].decode(errors="replace"))
            return reply

        return run

    def close(self) -> None:
        self.transport.close()


class InProcessRpc:
    """eth-tester through web3's ``EthereumTesterProvider``: its own request function with
    the provider's formatting middleware and none of web3's, hex in and (mostly) hex out."""

    def __init__(self, request: Callable[[str, Any], Any]) -> None:
        self._request = request

    def call(self, method: str, params: Sequence[Any]) -> Any:
        return _result(self._request(method, list(params)))

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        return [self.call(m, p) for m, p in calls]  # no batches in-process: one by one

    def op(self, method: str, params: Sequence[Any]) -> Callable[[], object]:
        request, args = self._request, list(params)

        def run() -> object:
            reply = request(method, args)
            if "error" in reply:
                raise RpcError(str(reply["error"]))
            return reply

        return run

    def batch_op(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> Callable[[], object]:
        ops = [self.op(m, p) for m, p in calls]

        def run() -> object:
            return [op() for op in ops]

        return run

    def close(self) -> None:
        pass
