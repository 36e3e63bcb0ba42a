"""Safe defaults of a node, over real sockets (issue 11, point 5), and the JSON-RPC
limits that are node settings (batch limits, subscriptions per connection, filter
expiry).

Every default is checked on both HTTP parsers (the fast path and h11), since the fast
path must refuse nothing itself and leave every refusal to h11's side.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import time
from collections.abc import Iterator
from typing import Any

import pytest
import trio
from web3 import HTTPProvider, IPCProvider, Web3

from mocknode import MockNode
from mocknode.io.ipc import IpcPathError, serve_ipc
from mocknode.io.tcp import with_bound_name
from mocknode.node import NodeConfig, default_ipc_path
from mocknode.wire.http import HttpOptions

BODY = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}'
CHAIN_ID = b'{"jsonrpc":"2.0","id":1,"result":"0x7a69"}'
FORBIDDEN_HOST = (
    b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"X-Content-Type-Options: nosniff\r\nContent-Length: 23\r\n\r\ninvalid host specified\n"
)
FORBIDDEN_ORIGIN = (
    b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"X-Content-Type-Options: nosniff\r\nSec-Websocket-Version: 13\r\nConnection: close\r\n"
    b"Content-Length: 10\r\n\r\nForbidden\n"
)
UPGRADE = (
    b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
)


@pytest.fixture(params=[True, False], ids=["fast", "h11"])
def fast_paths(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def node(fast_paths: bool) -> Iterator[MockNode]:
    with MockNode(NodeConfig(port=0, ipc_path=None, fast_paths=fast_paths)) as running:
        yield running


def _port(node: MockNode) -> int:
    return int(node.http_url.rsplit(":", 1)[1])


def _exchange(port: int, request: bytes, host: str = "127.0.0.1") -> bytes:
    """Send one request; read until the answer is whole (by Content-Length) or EOF."""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while True:
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                length = [
                    int(line.split(b":")[1])
                    for line in head.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                ]
                if length and len(body) >= length[0]:
                    return data
                if b" 101 " in head.split(b"\r\n")[0]:
                    return head
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk


def _post(host: bytes, extra: bytes = b"") -> bytes:
    return (
        (b"POST / HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: application/json\r\n" + extra)
        + b"Content-Length: %d\r\n\r\n" % len(BODY)
        + BODY
    )


# -- Host allow-list (geth's --http.vhosts) ------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        b"localhost",
        b"localhost:8545",
        b"LOCALHOST:1",
        b"127.0.0.1:8545",
        b"[::1]:8545",
        b"[::1]",
        b"10.1.2.3",
    ],
)
def test_local_names_and_ip_addresses_are_served(node: MockNode, host: bytes) -> None:
    answer = _exchange(_port(node), _post(host))
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(CHAIN_ID)


@pytest.mark.parametrize("host", [b"evil.example", b"evil.example:8545", b"localhost.evil"])
def test_other_host_names_get_geths_403(node: MockNode, host: bytes) -> None:
    """DNS rebinding: a page of evil.example resolved to 127.0.0.1 sends its own name."""
    assert _exchange(_port(node), _post(host)) == FORBIDDEN_HOST


def test_allowed_hosts_extend_and_star_allows_any() -> None:
    opts = HttpOptions(allowed_hosts=("localhost", "devbox"))
    with MockNode(NodeConfig(port=0, ipc_path=None, http=opts)) as running:
        assert _exchange(_port(running), _post(b"devbox:8545")).endswith(CHAIN_ID)
        assert _exchange(_port(running), _post(b"other")) == FORBIDDEN_HOST
    with MockNode(NodeConfig(port=0, ipc_path=None, http=HttpOptions(allowed_hosts=("*",)))) as n:
        assert _exchange(_port(n), _post(b"evil.example")).endswith(CHAIN_ID)


def test_the_bound_name_is_allowed() -> None:
    assert with_bound_name(HttpOptions(), "DevBox").allowed_hosts == ("localhost", "devbox")
    assert with_bound_name(HttpOptions(), "0.0.0.0").allowed_hosts == ("localhost",)
    with MockNode(NodeConfig(host="localhost", port=0, ipc_path=None)) as running:
        assert _exchange(_port(running), _post(b"localhost")).endswith(CHAIN_ID)


def test_address_literals_and_names_are_bound_alike() -> None:
    """An IP address literal reaches getaddrinfo as bytes (no IDNA codec to load, issue
    12) and a name as text: either way the node listens where it was told."""
    with MockNode(NodeConfig(host="::1", port=0, ipc_path=None)) as running:
        assert running.http_url.startswith("http://[::1]:")
        assert _exchange(_port(running), _post(b"[::1]"), "::1").endswith(CHAIN_ID)
    with MockNode(NodeConfig(host="127.0.0.1", port=0, ipc_path=None)) as running:
        assert _exchange(_port(running), _post(b"127.0.0.1")).endswith(CHAIN_ID)


def test_web3_http_clients_are_served_by_default(node: MockNode) -> None:
    assert Web3(HTTPProvider(node.http_url)).eth.chain_id == 31337


# -- CORS and WebSocket origins -------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (b"http://localhost:3000", True),
        (b"http://127.0.0.1:5173", True),
        (b"http://localhost", True),
        (b"https://localhost:3000", False),  # another scheme is another origin
        (b"https://evil.example", False),
        (b"null", False),
    ],
)
def test_cors_answers_local_pages_only(node: MockNode, origin: bytes, allowed: bool) -> None:
    answer = _exchange(_port(node), _post(b"localhost", b"Origin: " + origin + b"\r\n"))
    assert answer.endswith(CHAIN_ID)
    head = answer.split(b"\r\n\r\n")[0].split(b"\r\n")
    if allowed:
        assert b"Access-Control-Allow-Origin: " + origin in head
    else:
        assert not any(line.startswith(b"Access-Control-Allow-Origin") for line in head)
    assert b"Vary: Origin" in head


def test_cors_star_allows_any_page() -> None:
    opts = HttpOptions(cors_origins=("*",))
    with MockNode(NodeConfig(port=0, ipc_path=None, http=opts)) as running:
        answer = _exchange(_port(running), _post(b"localhost", b"Origin: https://x.example\r\n"))
        assert b"\r\nAccess-Control-Allow-Origin: *\r\n" in answer


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        (None, 101),  # no Origin: not a browser
        (b"http://localhost:5173", 101),
        (b"http://127.0.0.1", 101),
        (b"https://evil.example", 403),
        (b"http://localhost.evil.example", 403),
    ],
)
def test_websocket_upgrades_from_foreign_pages_are_refused(
    node: MockNode, origin: bytes | None, status: int
) -> None:
    request = UPGRADE + (b"Origin: " + origin + b"\r\n" if origin else b"") + b"\r\n"
    answer = _exchange(_port(node), request)
    if status == 101:
        assert answer.startswith(b"HTTP/1.1 101 ")
    else:
        assert answer == FORBIDDEN_ORIGIN


def test_websocket_origins_are_configurable() -> None:
    opts = HttpOptions(ws_origins=("https://app.example",))
    with MockNode(NodeConfig(port=0, ipc_path=None, http=opts)) as running:
        good = _exchange(_port(running), UPGRADE + b"Origin: https://app.example\r\n\r\n")
        assert good.startswith(b"HTTP/1.1 101 ")
        local = _exchange(_port(running), UPGRADE + b"Origin: http://localhost\r\n\r\n")
        assert local == FORBIDDEN_ORIGIN


# -- IPC: a private directory, a 0600 socket --------------------------------------------------


def test_default_ipc_path_is_in_a_private_directory(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    path = default_ipc_path()
    assert path == str(tmp_path / f"mocknode-{os.getuid()}" / "mocknode.ipc")
    with MockNode(NodeConfig(port=0, ipc_path=path)) as running:
        directory = os.path.dirname(path)
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        provider = IPCProvider(path)
        try:
            assert Web3(provider).eth.chain_id == 31337
        finally:
            persistent = provider._socket  # web3's sync IPC provider has no close()
            assert persistent is not None
            assert persistent.sock is not None
            persistent.sock.close()
        assert running.ipc_path == path


def test_ipc_refuses_a_directory_others_can_write(tmp_path: Any) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # world-writable, not sticky: anyone could swap the socket

    async def main() -> None:
        with pytest.raises(IpcPathError, match="writable by other users"):
            await serve_ipc(lambda info, push: None, str(shared / "n.ipc"))  # type: ignore[arg-type,return-value]

    trio.run(main)
    assert not (shared / "n.ipc").exists()


# -- no host files over the network ---------------------------------------------------------


@pytest.mark.parametrize(
    "method",
    [
        "admin_exportChain",
        "admin_importChain",
        "debug_writeBlockProfile",
        "debug_writeMemProfile",
        "debug_startCPUProfile",
        "debug_standardTraceBlockToFile",
        "hardhat_dumpState_toFile",
    ],
)
def test_no_method_reads_or_writes_host_files(node: MockNode, method: str) -> None:
    """The state methods carry their data in the call (anvil_dumpState answers the
    bytes, anvil_loadState takes them); nothing that names a host path is served."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": ["/tmp/x"]}).encode()
    request = (
        b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    ) + body
    answer = json.loads(_exchange(_port(node), request).split(b"\r\n\r\n", 1)[1])
    assert answer["error"]["code"] == -32601


def test_state_methods_touch_no_file(node: MockNode, tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    w3 = Web3(HTTPProvider(node.http_url))
    dumped = w3.provider.make_request("anvil_dumpState", [])["result"]  # type: ignore[arg-type]
    assert dumped.startswith("0x1f8b")  # gzip bytes, in the answer
    assert w3.provider.make_request("anvil_loadState", [dumped])["result"] is True  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


# -- JSON-RPC limits set on the node ----------------------------------------------------------


def _batch(n: int) -> bytes:
    return json.dumps(
        [{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(n)]
    ).encode()


def test_batch_limits_come_from_the_config() -> None:
    config = NodeConfig(port=0, ipc_path=None, batch_limit=3, batch_response_limit=10)
    with MockNode(config) as running:
        too_many = _exchange(
            _port(running),
            b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(_batch(4)) + _batch(4),
        )
        assert too_many.endswith(
            b'[{"jsonrpc":"2.0","id":0,"error":{"code":-32600,"message":"batch too large"}}]'
        )
        three = _exchange(
            _port(running),
            b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(_batch(3)) + _batch(3),
        )
        answers = json.loads(three.split(b"\r\n\r\n", 1)[1])
        # two results of 8 bytes pass the 10-byte bound: the third gets geth's error
        assert [a.get("result") for a in answers[:2]] == ["0x7a69", "0x7a69"]
        assert answers[2]["error"] == {"code": -32003, "message": "response too large"}


def test_subscriptions_per_connection_are_capped(tmp_path: Any) -> None:
    path = str(tmp_path / "s.ipc")
    with MockNode(NodeConfig(port=0, ipc_path=path, max_subscriptions=2)) as running:
        assert running.ipc_path == path
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(path)
            sock.settimeout(10)
            answers = []
            for i in range(3):
                call = {
                    "jsonrpc": "2.0",
                    "id": i,
                    "method": "eth_subscribe",
                    "params": ["newHeads"],
                }
                sock.sendall(json.dumps(call).encode() + b"\n")
                line = b""
                while not line.endswith(b"\n"):
                    line += sock.recv(65536)
                answers.append(json.loads(line))
        assert [("result" in a) for a in answers] == [True, True, False]
        assert answers[2]["error"] == {
            "code": -32000,
            "message": "too many subscriptions on this connection (max 2)",
        }


def test_filters_expire_when_not_polled() -> None:
    config = NodeConfig(port=0, ipc_path=None, filter_timeout=0.6)
    with MockNode(config) as running:
        w3 = Web3(HTTPProvider(running.http_url))
        kept = w3.eth.filter("latest")
        dropped = w3.eth.filter("latest")
        for _ in range(4):  # polled every 0.3 s: kept alive past the timeout
            time.sleep(0.3)
            assert kept.get_new_entries() == []
        answer = w3.provider.make_request("eth_getFilterChanges", [dropped.filter_id])  # type: ignore[arg-type]
        assert answer["error"] == {"code": -32000, "message": "filter not found"}
        assert kept.get_new_entries() == []


# -- sizes -------------------------------------------------------------------------------------


def test_body_head_and_message_sizes_are_configurable(tmp_path: Any, fast_paths: bool) -> None:
    opts = HttpOptions(max_body=100, max_header_bytes=300, max_ws_message=64)
    path = str(tmp_path / "z.ipc")
    config = NodeConfig(port=0, ipc_path=path, http=opts, fast_paths=fast_paths)
    with MockNode(config) as running:
        port = _port(running)
        big = b"[" + b" " * 150 + BODY + b"]"
        request = (
            b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(big)
        ) + big
        answer = _exchange(port, request)
        assert answer.startswith(b"HTTP/1.1 413 Request Entity Too Large\r\n")
        assert answer.endswith(b"content length too large (199>100)\n")
        head = _post(b"localhost", b"X-Padding: " + b"p" * 400 + b"\r\n")
        assert _exchange(port, head).startswith(b"HTTP/1.1 431 Request Header Fields Too Large")
        # IPC: a message growing past the bound closes the connection, unanswered.
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(path)
            sock.settimeout(10)
            sock.sendall(b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","pad":"' + b"x" * 100)
            assert sock.recv(65536) == b""

    async def websocket() -> int:
        from io_helpers import WsClient

        ws = await WsClient.connect(port)
        await ws.send_text('{"pad":"' + "x" * 100 + '"}')
        return await ws.expect_close()

    with MockNode(config) as running:
        port = _port(running)
        assert trio.run(websocket) == 1009
