"""Time and state flags of the ``mocknode`` command, as a user runs it: real subprocesses
on free ports, web3.py over HTTP.

``--dump-state`` / ``--load-state`` / ``--state`` / ``--state-interval`` keep the chain
across restarts, and a node killed with SIGKILL in the middle of a periodic save leaves
the previous complete file, which loads and holds everything saved before; ``--init``
builds block 0 from a geth genesis file; ``--virtual-time`` lets ``mock_advanceTime`` mine
the interval blocks that fall due.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import HTTPProvider, Web3

from mocknode.chain.config import ChainConfig
from mocknode.persist.document import read_document
from mocknode.persist.files import read_state_file

LISTENING = re.compile(r"^Listening on http://([\d.]+):(\d+) ")
ALICE = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
BOB = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


class Node:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mocknode", "--port", "0", "--no-ipc", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = LISTENING.match(line)
            if match:
                self.w3 = Web3(HTTPProvider(f"http://127.0.0.1:{match.group(2)}"))
                return
        self.proc.kill()
        raise AssertionError(f"no Listening line: {lines} {self.proc.stderr.read()}")  # type: ignore[union-attr]

    def call(self, method: str, *params: Any) -> Any:
        response = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        assert "error" not in response, response
        return response["result"]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)
        assert self.proc.wait(timeout=30) == 0

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def nodes() -> Iterator[list[Node]]:
    """Every node a test starts is killed at the end, whatever happened."""
    started: list[Node] = []
    yield started
    for node in started:
        node.kill()


def run(nodes: list[Node], *args: str) -> Node:
    node = Node(*args)
    nodes.append(node)
    return node


def failing(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mocknode", "--port", "0", "--no-ipc", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def saved_head(path: Path) -> int:
    """The head block number of the state file at ``path``, read and checked in full."""
    restored = read_document(read_state_file(path), ChainConfig())
    return restored.canon.head.number


def test_dump_on_exit_then_load_at_start(nodes: list[Node], tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    first = run(nodes, "--dump-state", str(path))
    tx = first.w3.eth.send_transaction({"from": ALICE, "to": BOB, "value": 5})
    receipt = first.call("eth_getTransactionReceipt", tx.to_0x_hex())
    block = first.call("eth_getBlockByNumber", "0x1", True)
    assert not path.exists()  # only when it stops
    first.stop()
    assert saved_head(path) == 1

    second = run(nodes, "--load-state", str(path))
    assert second.call("eth_getTransactionReceipt", tx.to_0x_hex()) == receipt
    assert second.call("eth_getBlockByNumber", "0x1", True) == block
    second.w3.eth.send_transaction({"from": ALICE, "to": BOB, "value": 5})
    assert second.w3.eth.get_transaction_count(ALICE) == 2
    second.stop()
    assert saved_head(path) == 1  # --load-state alone writes nothing back


def test_state_keeps_the_chain_across_restarts(nodes: list[Node], tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    first = run(nodes, "--state", str(path))  # no file yet: a fresh chain
    first.call("anvil_mine", "0x2")
    hashes = [first.call("eth_getBlockByNumber", hex(n), False)["hash"] for n in (1, 2)]
    first.stop(signal.SIGINT)

    second = run(nodes, "--state", str(path))
    assert second.call("eth_blockNumber") == "0x2"
    second.call("anvil_setBalance", BOB, "0x7")
    second.call("anvil_mine", "0x1")
    second.stop()

    third = run(nodes, "--state", str(path))
    assert third.call("eth_blockNumber") == "0x3"
    assert [third.call("eth_getBlockByNumber", hex(n), False)["hash"] for n in (1, 2)] == hashes
    assert third.call("eth_getBalance", BOB, "latest") == "0x7"
    third.stop()


def test_kill_9_during_periodic_saves_loses_nothing_saved(
    nodes: list[Node], tmp_path: Path
) -> None:
    """SIGKILL while a save is being written (its temporary file is there) leaves the
    previous complete file: it loads, and holds at least what was saved before."""
    path = tmp_path / "state.json"
    big_code = {  # 4 MiB of code, so a save takes long enough to be caught mid-write
        "0x" + f"{i + 1:040x}": "0x" + (bytes([i + 1]) * (256 * 1024)).hex() for i in range(16)
    }
    killed_mid_write = 0
    for attempt in range(4):
        node = run(nodes, "--state", str(path), "--state-interval", "0.02")
        if attempt == 0:
            for address, code in big_code.items():
                node.call("anvil_setCode", address, code)
        node.call("anvil_mine", "0x1")
        target = int(node.call("eth_blockNumber"), 16)
        deadline = time.monotonic() + 60
        while not (path.exists() and saved_head(path) >= target):  # a save that holds it
            assert time.monotonic() < deadline, "no periodic save"
            time.sleep(0.05)
        saved = saved_head(path)

        caught = False
        deadline = time.monotonic() + 20
        while not caught and time.monotonic() < deadline:
            node.call("anvil_mine", "0x1")  # something new to save
            watch_until = time.monotonic() + 0.5
            while time.monotonic() < watch_until:
                if any(name.endswith(".tmp") for name in os.listdir(tmp_path)):
                    node.proc.send_signal(signal.SIGKILL)  # mid-write
                    caught = True
                    break
        node.kill()
        assert node.proc.returncode == -signal.SIGKILL
        left = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
        killed_mid_write += bool(left)  # the temporary is still there: the write was cut
        assert saved_head(path) >= saved  # loads, and lost nothing that was saved
        if killed_mid_write:
            break
    assert killed_mid_write, "never caught a save in progress"

    last = run(nodes, "--state", str(path))
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []  # cleared
    assert int(last.call("eth_blockNumber"), 16) >= saved
    assert last.call("eth_getCode", "0x" + f"{16:040x}", "latest") == big_code["0x" + f"{16:040x}"]
    last.stop()


GENESIS = {
    "config": {"chainId": 4242, "pragueTime": 0},
    "timestamp": "0x65000000",
    "gasLimit": "0x2625a00",
    "baseFeePerGas": "0x7",
    "extraData": "0x" + b"from geth".hex(),
    "difficulty": "0x0",
    "mixHash": "0x" + "00" * 32,
    "alloc": {
        "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0": {
            "balance": "0x0",
            "nonce": "0x1",
            "code": "0x6000354060005260206000f3",
            "storage": {
                "0x0000000000000000000000000000000000000000000000000000000000000001": (
                    "0x000000000000000000000000000000000000000000000000000000000000002a"
                )
            },
        },
        "0xabababababababababababababababababababab": {"balance": "12345", "nonce": "7"},
    },
}


def test_init_from_a_geth_genesis_file(nodes: list[Node], tmp_path: Path) -> None:
    genesis = tmp_path / "genesis.json"
    genesis.write_text(json.dumps(GENESIS))
    node = run(nodes, "--init", str(genesis))
    w3 = node.w3
    contract = w3.to_checksum_address("0x" + "c0" * 20)
    assert w3.eth.chain_id == 4242
    assert w3.eth.get_code(contract).to_0x_hex() == "0x6000354060005260206000f3"
    assert int.from_bytes(w3.eth.get_storage_at(contract, 1), "big") == 42
    assert w3.eth.get_transaction_count(contract) == 1
    holder = w3.to_checksum_address("0x" + "ab" * 20)
    assert (w3.eth.get_balance(holder), w3.eth.get_transaction_count(holder)) == (12345, 7)
    assert w3.eth.get_balance(ALICE) == 10_000 * 10**18  # the dev accounts stay funded
    block = w3.eth.get_block(0)
    assert (block["timestamp"], block["gasLimit"], block["baseFeePerGas"]) == (
        0x65000000,
        40_000_000,
        7,
    )
    assert bytes(block["extraData"]) == b"from geth"
    tx = w3.eth.send_transaction({"from": ALICE, "to": BOB, "value": 1})  # signed for 4242
    assert w3.eth.get_transaction(tx)["chainId"] == 4242
    node.stop()


def test_virtual_time_from_the_command_line(nodes: list[Node]) -> None:
    node = run(nodes, "--virtual-time")
    genesis = int(node.call("eth_getBlockByNumber", "0x0", False)["timestamp"], 16)
    node.call("anvil_setIntervalMining", 2)
    time.sleep(2.5)  # real time passes; the node's does not
    assert node.call("eth_blockNumber") == "0x0"
    assert node.call("evm_increaseTime", 100) == 100  # a jump: nothing mined (anvil: a number)
    assert node.call("eth_blockNumber") == "0x0"
    mined = node.call("mock_advanceTime", 10)
    assert len(mined) == 5
    stamps = [int(node.call("eth_getBlockByHash", h, False)["timestamp"], 16) for h in mined]
    assert stamps == [genesis + 102, genesis + 104, genesis + 106, genesis + 108, genesis + 110]
    node.stop()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--load-state", "{missing}"], "mocknode: [Errno 2] No such file or directory"),
        (["--load-state", "{newer}"], "reads versions up to 1: upgrade mocknode to load it"),
        (["--load-state", "{garbage}"], "not a mocknode state: not JSON"),
        (["--init", "{garbage}"], "not JSON"),
        (["--init", "{bad_genesis}"], "alloc abab"),
        (["--state-interval", "1"], "mocknode: --state-interval needs --state or --dump-state"),
        (["--state", "{missing}", "--dump-state", "{missing}"], "--state is --load-state and"),
    ],
)
def test_what_cannot_be_used_is_a_clear_error(
    tmp_path: Path, args: list[str], message: str
) -> None:
    files = {
        "missing": tmp_path / "missing.json",
        "newer": tmp_path / "newer.json",
        "garbage": tmp_path / "garbage.json",
        "bad_genesis": tmp_path / "bad_genesis.json",
    }
    files["newer"].write_text(
        json.dumps({"format": "mocknode-state", "version": 7, "written_by": "mocknode 8.0"})
    )
    files["garbage"].write_text("{")
    files["bad_genesis"].write_text(json.dumps({"alloc": {"ab" * 20: {}}}))
    proc = failing(*(arg.format(**files) for arg in args))
    assert proc.returncode == 1
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_state_interval_must_be_positive() -> None:
    proc = failing("--dump-state", "x.json", "--state-interval", "0")
    assert proc.returncode == 2
    assert "must be a positive number of seconds" in proc.stderr
