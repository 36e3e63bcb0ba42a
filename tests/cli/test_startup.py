"""The CLI node with its method modules loaded on first call: every namespace is listed
and served from the first request, over each transport, and the request log names the
methods as they are served."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from cli_helpers import start

NAMESPACES = [
    "anvil",
    "debug",
    "eth",
    "evm",
    "hardhat",
    "mock",
    "net",
    "personal",
    "rpc",
    "tenderly",
    "txpool",
    "web3",
]


def ipc_call(path: str, method: str, params: list[object]) -> object:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(10)
        sock.connect(path)
        body = {"jsonrpc": "2.0", "id": 7, "method": method, "params": params}
        sock.sendall(json.dumps(body).encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
    return json.loads(data)


def test_first_requests_of_a_cli_node(tmp_path: Path) -> None:
    with start("--ipc-path", str(tmp_path / "node.ipc")) as server:
        assert server.ipc_path is not None
        count = len(server.lines)
        assert server.rpc("rpc_modules") == dict.fromkeys(NAMESPACES, "1.0")
        assert server.http("eth_nope") == {
            "jsonrpc": "2.0",
            "id": 1,
            "error": {
                "code": -32601,
                "message": "the method eth_nope does not exist/is not available",
            },
        }
        assert server.rpc("eth_blockNumber") == "0x0"
        assert ipc_call(server.ipc_path, "evm_mine", []) == {
            "jsonrpc": "2.0",
            "id": 7,
            "result": "0x0",
        }
        assert server.rpc("eth_blockNumber") == "0x1"
        assert ipc_call(server.ipc_path, "txpool_status", []) == {
            "jsonrpc": "2.0",
            "id": 7,
            "result": {"pending": "0x0", "queued": "0x0"},
        }
        proof = server.rpc("eth_getProof", ["0x" + "11" * 20, [], "latest"])
        assert proof["address"] == "0x" + "11" * 20
        assert proof["storageProof"] == []
        logged = server.printed_after(count)
        assert logged == [
            "rpc_modules",
            "eth_nope",
            "eth_blockNumber",
            "evm_mine",
            "eth_blockNumber",
            "txpool_status",
            "eth_getProof",
        ]
