"""The ``mocknode`` command as a user runs it: a real subprocess on free ports."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import Server, start
from websockets.sync.client import connect as ws_connect


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = start("--ipc-path", str(tmp_path / "node.ipc"))
    yield srv
    srv.stop()


def test_banner_lists_dev_accounts_and_keys(server: Server) -> None:
    end = next(i for i, line in enumerate(server.lines) if line.startswith("Listening on"))
    banner = server.lines[: end + 1]
    text = "\n".join(banner)
    # Checksummed, as anvil prints them.
    assert "(0) 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 (10000 ETH)" in text
    assert "(0) 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" in text
    assert "(9) 0xa0Ee7A142d267C1f36714E4a8F75612F20a79720 (10000 ETH)" in text
    assert "Mnemonic:          test test test test test test test test test test test junk" in text
    assert "Derivation path:   m/44'/60'/0'/0/" in text
    assert "Chain ID: 31337" in text
    assert sum(1 for line in server.lines if line.startswith("Listening on")) == 1
    assert banner[-1].startswith("Listening on")


def test_all_three_transports_then_sigterm(server: Server, tmp_path: Path) -> None:
    assert server.ipc_path == str(tmp_path / "node.ipc")
    assert server.http("eth_chainId") == {"jsonrpc": "2.0", "id": 1, "result": "0x7a69"}

    with ws_connect(f"ws://127.0.0.1:{server.port}/") as ws:
        ws.send('{"jsonrpc":"2.0","id":7,"method":"eth_blockNumber","params":[]}')
        assert json.loads(ws.recv(timeout=5)) == {"jsonrpc": "2.0", "id": 7, "result": "0x0"}

    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(server.ipc_path)
        sock.sendall(
            b'{"jsonrpc":"2.0","id":1,"method":"net_version"}{"jsonrpc":"2.0","id":2,"method":"eth_accounts"}'
        )
        data = b""
        while data.count(b"\n") < 2:
            data += sock.recv(65536)
    first, second = data.split(b"\n")[:2]
    assert first == b'{"jsonrpc":"2.0","id":1,"result":"31337"}'
    assert json.loads(second)["result"][0] == "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
    assert os.stat(server.ipc_path).st_mode & 0o777 == 0o600

    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=5) == 0
    assert time.monotonic() - started < 1.0
    assert not os.path.exists(server.ipc_path)


def test_ctrl_c_stops_cleanly(server: Server) -> None:
    assert server.ipc_path is not None
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(timeout=5) == 0
    assert not os.path.exists(server.ipc_path)


def test_flags_change_the_chain(tmp_path: Path) -> None:
    srv = start("--no-ipc", "--chain-id", "1337", "--accounts", "3", "--balance", "1.5")
    try:
        assert srv.ipc_path is None
        assert srv.http("eth_chainId")["result"] == "0x539"  # type: ignore[index]
        accounts = srv.http("eth_accounts")["result"]  # type: ignore[index]
        assert len(accounts) == 3
        balance = srv.http("eth_getBalance", [accounts[2], "latest"])["result"]  # type: ignore[index]
        assert int(balance, 16) == 15 * 10**17
    finally:
        srv.stop()


def test_stale_socket_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "stale.ipc"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # the file stays, nobody listens: what a crashed node leaves
    srv = start("--ipc-path", str(path))
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(path))
            sock.sendall(b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}')
            assert sock.recv(1000) == b'{"jsonrpc":"2.0","id":1,"result":"0x7a69"}\n'
    finally:
        srv.stop()


def test_regular_file_at_ipc_path_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("precious")
    proc = subprocess.run(
        [sys.executable, "-m", "mocknode", "--port", "0", "--ipc-path", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1
    assert str(path) in proc.stderr
    assert "Traceback" not in proc.stderr
    assert path.read_text() == "precious"
