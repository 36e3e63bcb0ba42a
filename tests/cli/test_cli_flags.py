"""anvil's flags on the ``mocknode`` command: each run in a real subprocess and checked
over HTTP JSON-RPC (and the request log on its stdout)."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from cli_helpers import LISTENING, Server, spawn, start, start_json

DEV0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
DEV1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
DEV2 = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
ABANDON = " ".join(["abandon"] * 11 + ["about"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def refused(*args: str) -> subprocess.CompletedProcess[str]:
    """A run that argparse refuses (exit status 2, nothing served)."""
    return subprocess.run(
        [sys.executable, "-m", "mocknode", "--port", "0", "--no-ipc", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


def wait_mined(server: Server, tx_hash: str, timeout: float = 10) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        receipt = server.rpc("eth_getTransactionReceipt", [tx_hash])
        if receipt is not None:
            return dict(receipt)
        time.sleep(0.05)
    raise AssertionError(f"{tx_hash} not mined in {timeout} s")


def deploy(server: Server, runtime_size: int, gas: int = 3_000_000) -> dict[str, object]:
    """Deploy code of ``runtime_size`` zero bytes (initcode: RETURN(0, size))."""
    initcode = "0x61" + runtime_size.to_bytes(2, "big").hex() + "6000f3"
    tx_hash = server.rpc("eth_sendTransaction", [{"from": DEV0, "data": initcode, "gas": hex(gas)}])
    return wait_mined(server, tx_hash)


# -- server -------------------------------------------------------------------------------


def test_short_port_flag() -> None:
    port = free_port()
    with Server(spawn("-p", str(port), "--no-ipc")) as server:
        match = server.wait_for(LISTENING.match)
        assert int(match.group(2)) == port
        server.port = port
        assert server.rpc("eth_chainId") == "0x7a69"


def test_ipc_with_a_path(tmp_path: Path) -> None:
    path = tmp_path / "anvil-style.ipc"
    with start("--ipc", str(path)) as server:
        assert server.ipc_path == str(path)
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(path))
            sock.sendall(b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}')
            assert sock.recv(1000) == b'{"jsonrpc":"2.0","id":1,"result":"0x7a69"}\n'


def test_bare_ipc_serves_the_default_path(tmp_path: Path) -> None:
    """``--ipc`` alone is anvil's form for the default path (mocknode.ipc in the user's
    own directory of the temporary directory, made 0700; TMPDIR points it into this
    test's directory)."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    with start("--ipc", env=env) as server:
        private = tmp_path / f"mocknode-{os.getuid()}"
        assert server.ipc_path == str(private / "mocknode.ipc")
        assert os.path.exists(server.ipc_path)
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
        assert stat.S_IMODE(os.stat(server.ipc_path).st_mode) == 0o600


@pytest.mark.parametrize(
    ("flags", "origin", "expected"),
    [
        ((), "https://app.test", None),  # not anvil's "*": pages of this machine only
        ((), "http://localhost:3000", "http://localhost:3000"),
        ((), "http://127.0.0.1:5173", "http://127.0.0.1:5173"),
        (("--allow-origin", "*"), "https://app.test", "*"),
        (("--allow-origin", "https://app.test"), "https://app.test", "https://app.test"),
        (("--allow-origin", "https://app.test"), "https://evil.test", None),
        (("--no-cors",), "https://app.test", None),
    ],
)
def test_cors_origin(flags: tuple[str, ...], origin: str, expected: str | None) -> None:
    with start("--no-ipc", *flags) as server:
        body = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}'
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.port}/",
            data=body,
            headers={"Content-Type": "application/json", "Origin": origin},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers.get("Access-Control-Allow-Origin") == expected
            assert json.loads(response.read())["result"] == "0x7a69"


# -- accounts -------------------------------------------------------------------------------


def test_accounts_and_mnemonic_short_flags() -> None:
    with start("--no-ipc", "-a", "2", "-m", ABANDON) as server:
        assert server.rpc("eth_accounts") == [
            "0x9858effd232b4033e47d90003d41ec34ecaeda94",
            "0x6fac4d18c912343bf86fa7049364dd4e424ab9c0",
        ]
        text = "\n".join(server.lines)
        assert "(1) 0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0 (10000 ETH)" in text
        assert f"Mnemonic:          {ABANDON}" in text


# -- mining ---------------------------------------------------------------------------------


def test_block_time_mines_on_an_interval() -> None:
    with start("--no-ipc", "-b", "1") as server:
        assert server.rpc("anvil_getAutomine") is False
        assert server.rpc("anvil_getIntervalMining") == 1
        deadline = time.monotonic() + 10
        while int(server.rpc("eth_blockNumber"), 16) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # blocks come with nothing asked of the node
        assert int(server.rpc("eth_blockNumber"), 16) >= 2
        tx_hash = server.rpc("eth_sendTransaction", [{"from": DEV0, "to": DEV1}])
        assert wait_mined(server, tx_hash, timeout=5)["status"] == "0x1"


def test_mixed_mining() -> None:
    with start("--no-ipc", "--block-time", "60", "--mixed-mining") as server:
        assert server.rpc("anvil_getAutomine") is True
        assert server.rpc("anvil_getIntervalMining") == 60
        tx_hash = server.rpc("eth_sendTransaction", [{"from": DEV0, "to": DEV1}])
        assert server.rpc("eth_getTransactionReceipt", [tx_hash])["status"] == "0x1"


@pytest.mark.parametrize(
    ("order", "expected"),
    [((), ["second", "first"]), (("--order", "fifo"), ["first", "second"])],
    ids=["fees", "fifo"],
)
def test_no_mining_and_order(order: tuple[str, ...], expected: list[str]) -> None:
    with start("--no-ipc", "--no-mining", *order) as server:
        assert server.rpc("anvil_getAutomine") is False
        assert server.rpc("anvil_getIntervalMining") is None
        assert server.rpc("anvil_nodeInfo")["transactionOrder"] == (order[1] if order else "fees")
        sent = {
            "first": server.rpc(
                "eth_sendTransaction", [{"from": DEV1, "to": DEV0, "maxPriorityFeePerGas": "0x1"}]
            ),
            "second": server.rpc(
                "eth_sendTransaction",
                [{"from": DEV2, "to": DEV0, "maxPriorityFeePerGas": hex(5 * 10**9)}],
            ),
        }
        time.sleep(0.3)
        assert server.rpc("eth_blockNumber") == "0x0"  # nothing mines on its own
        server.rpc("evm_mine")
        block = server.rpc("eth_getBlockByNumber", ["0x1", False])
        assert block["transactions"] == [sent[name] for name in expected]


def test_mining_flags_refused_together() -> None:
    both = refused("--no-mining", "--block-time", "1")
    assert both.returncode == 2
    assert "not allowed with argument" in both.stderr
    alone = refused("--mixed-mining")
    assert alone.returncode == 2
    assert "--mixed-mining needs --block-time" in alone.stderr


# -- the chain's environment -------------------------------------------------------------------


def test_environment_flags() -> None:
    flags = ("--gas-limit", "12000000", "--base-fee", "7", "--gas-price", "99000")
    flags += ("--timestamp", "1000", "--chain-id", "1337", "--hardfork", "latest")
    with start("--no-ipc", *flags) as server:
        genesis = server.rpc("eth_getBlockByNumber", ["0x0", False])
        assert (genesis["gasLimit"], genesis["baseFeePerGas"], genesis["timestamp"]) == (
            hex(12_000_000),
            "0x7",
            hex(1000),
        )
        assert server.rpc("eth_chainId") == "0x539"
        assert server.rpc("eth_gasPrice") == hex(99_000)
        # A legacy transaction that names no price pays the configured one.
        tx_hash = server.rpc("eth_sendTransaction", [{"from": DEV0, "to": DEV1, "type": "0x0"}])
        assert server.rpc("eth_getTransactionByHash", [tx_hash])["gasPrice"] == hex(99_000)
        block = server.rpc("eth_getBlockByNumber", ["0x1", False])
        assert 1000 < int(block["timestamp"], 16) < 1000 + 60  # the clock runs on from 1000
        info = server.rpc("anvil_nodeInfo")
        assert info["hardFork"] == "Prague"
        assert info["environment"]["gasLimit"] == hex(12_000_000)
        assert info["environment"]["chainId"] == 1337


def test_hardforks_py_evm_does_not_run_are_refused() -> None:
    for name in ("cancun", "shanghai", "london"):
        run = refused("--hardfork", name)
        assert run.returncode == 2
        assert f"'{name}' is not supported: mocknode runs Prague only" in run.stderr


def test_code_size_limit() -> None:
    with start("--no-ipc", "--code-size-limit", "100") as server:
        assert deploy(server, 100)["status"] == "0x1"
        assert deploy(server, 101)["status"] == "0x0"  # EIP-170 at the lowered limit
        too_long = "0x" + "00" * 201  # EIP-3860: initcode up to twice the limit
        tx = {"from": DEV0, "data": too_long, "gas": hex(100_000)}
        answer = server.http("eth_sendTransaction", [tx])
        assert answer["error"] == {
            "code": -32000,
            "message": "max initcode size exceeded: code size 201, limit 200",
        }
        # Estimating it fails the same way (py-evm would raise out of the message).
        answer = server.http("eth_estimateGas", [{"from": DEV0, "data": too_long}])
        assert answer["error"]["code"] == -32000
        assert answer["error"]["message"].endswith(
            "gas: max initcode size exceeded: code size 201, limit 200"
        )


def test_code_size_limit_disabled() -> None:
    with start("--no-ipc", "--disable-code-size-limit") as server:
        assert deploy(server, 30_000, gas=12_000_000)["status"] == "0x1"  # over EIP-170's 24576
        address = deploy(server, 40_000, gas=12_000_000)["contractAddress"]
        code = server.rpc("eth_getCode", [address, "latest"])
        assert len(code) == 2 + 2 * 40_000


# -- output ------------------------------------------------------------------------------------


def test_request_log_prints_each_method_served() -> None:
    with start("--no-ipc") as server:
        seen = len(server.lines)
        server.rpc("eth_chainId")
        server.post(
            [
                {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"},
                {"jsonrpc": "2.0", "id": 2, "method": "net_version"},
            ]
        )
        server.rpc("anvil_setLoggingEnabled", [False])
        server.rpc("eth_chainId")  # not logged any more
        server.rpc("hardhat_setLoggingEnabled", [True])
        server.rpc("eth_accounts")
        assert server.printed_after(seen) == [
            "eth_chainId",
            "eth_blockNumber",
            "net_version",
            "anvil_setLoggingEnabled",
            "eth_accounts",
        ]


def test_silent_prints_only_where_it_listens() -> None:
    with start("--no-ipc", "--silent") as server:
        server.rpc("eth_chainId")
        assert server.printed_after(0) == [
            f"Listening on http://127.0.0.1:{server.port} ws://127.0.0.1:{server.port}"
        ]


def test_json_banner_and_log() -> None:
    server, banner = start_json("--no-ipc", "-a", "2")
    with server:
        assert banner == {
            "available_accounts": [DEV0, DEV1],
            "private_keys": [
                "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
                "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
            ],
            "wallet": {
                "derivation_path": "m/44'/60'/0'/0/",
                "mnemonic": "test test test test test test test test test test test junk",
            },
            "base_fee": "1000000000",
            "gas_price": "2000000000",
            "gas_limit": "30000000",
            "genesis_timestamp": str(
                int(server.rpc("eth_getBlockByNumber", ["0x0", False])["timestamp"], 16)
            ),
            "chain_id": 31337,
            "http": f"http://127.0.0.1:{server.port}",
            "ws": f"ws://127.0.0.1:{server.port}",
            "ipc": None,
        }
        server.rpc("eth_chainId")
        assert server.printed_after(1) == [
            '{"method":"eth_getBlockByNumber"}',
            '{"method":"eth_chainId"}',
        ]
        assert "Listening on" not in "\n".join(server.lines)
    assert refused("--json", "--silent").returncode == 2
