"""Foundry's ``cast`` (npm ``@foundry-rs/cast-linux-amd64``, pinned in interop/package.json)
against a ``mocknode`` process over HTTP, WebSocket and IPC.

Each transport gets a fresh node, and the same session: a default ``cast send`` (EIP-1559,
fees from ``eth_feeHistory``), an unlocked send, a deploy, a call that emits an event,
then the reads (receipt, logs, tx, block, balance, nonce, code, storage, call, estimate,
chain id, gas price, base fee), ``cast rpc`` with dev methods (numbers as JSON numbers and
as hex), and ``cast run``, which replays a mined transaction on a fork of the node at
the block before it. What cast prints as JSON is compared with what the node answers to
the same question over plain HTTP; the rest with exact values.

Without ``scripts/test``'s npm install (interop/node_modules) this test fails and says
so, rather than passing without having run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

ROOT = Path(__file__).resolve().parents[2]
CAST = ROOT / "interop" / "node_modules" / "@foundry-rs" / "cast-linux-amd64" / "bin" / "cast"
GREETER = json.loads((ROOT / "fixtures" / "artifacts" / "Greeter.json").read_text())

KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
A0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
A1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
A5 = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
ETHER = 10**18
GREETER_AT = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"  # A0's third creation (nonce 2)
GREETING_CHANGED = "0x" + keccak(text="GreetingChanged(address,string)").hex()


@dataclass
class Node:
    http_url: str
    rpc_url: str  # what cast is given: http://, ws:// or the IPC path

    def call(self, method: str, *params: Any) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        request = urllib.request.Request(
            self.http_url, body.encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=20) as response:
            answer = json.loads(response.read())
        assert "error" not in answer, answer
        return answer["result"]

    def cast(self, command: str, *args: str, ok: bool = True) -> str:
        result = subprocess.run(
            [str(CAST), command, "--rpc-url", self.rpc_url, *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if ok:
            assert result.returncode == 0, (command, args, result.stdout, result.stderr)
            return result.stdout.strip()
        assert result.returncode != 0, (command, args, result.stdout)
        return result.stderr.strip()

    def cast_json(self, command: str, *args: str) -> Any:
        return json.loads(self.cast(command, "--json", *args))


@pytest.fixture(params=["http", "ws", "ipc"])
def node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Node]:
    if not CAST.is_file() or shutil.which("node") is None:
        pytest.fail("cast is required (interop/node_modules): run scripts/test to set up")
    ipc = tmp_path / "node.ipc"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mocknode", "--port", "0", "--ipc-path", str(ipc), "--silent"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    drain: threading.Thread | None = None
    try:
        assert proc.stdout is not None
        line = ""
        for line in proc.stdout:
            if line.startswith("Listening on"):
                break
        http_url, ws_url = line.split()[2:4]
        stdout = proc.stdout
        drain = threading.Thread(target=lambda: stdout.read(), daemon=True)
        drain.start()
        rpc_url = {"http": http_url, "ws": ws_url, "ipc": str(ipc)}[request.param]
        yield Node(http_url, rpc_url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if drain is not None:
            drain.join(timeout=10)


def calldata(signature: str, text: str) -> str:
    return "0x" + (keccak(text=signature)[:4] + encode(["string"], [text])).hex()


def same_receipt(node: Node, printed: dict[str, Any]) -> dict[str, Any]:
    """cast's ``--json`` receipt holds what the node answers (cast orders keys its way)."""
    assert printed == node.call("eth_getTransactionReceipt", printed["transactionHash"])
    return printed


def test_cast_sends_deploys_and_reads(node: Node) -> None:
    assert node.cast("chain-id") == "31337"
    assert node.cast("block-number") == "0"

    # Default send: EIP-1559 fees from eth_feeHistory, signed by cast.
    sent = same_receipt(
        node, node.cast_json("send", "--private-key", KEY0, A1, "--value", "1ether")
    )
    assert (sent["status"], sent["type"], sent["gasUsed"], sent["blockNumber"]) == (
        "0x1",
        "0x2",
        "0x5208",
        "0x1",
    )
    assert (sent["from"], sent["to"]) == (A0.lower(), A1.lower())
    tx = node.cast_json("tx", sent["transactionHash"])
    assert tx == node.call("eth_getTransactionByHash", sent["transactionHash"])
    assert tx["value"] == hex(ETHER)

    # Unlocked: eth_sendTransaction from a dev account.
    unlocked = same_receipt(
        node, node.cast_json("send", "--unlocked", "--from", A0, A1, "--value", "1")
    )
    assert (unlocked["status"], unlocked["blockNumber"], unlocked["from"]) == (
        "0x1",
        "0x2",
        A0.lower(),
    )

    # Deploy (constructor argument ABI-encoded by cast), then a call that emits an event.
    deployed = same_receipt(
        node,
        node.cast_json(
            "send",
            "--private-key",
            KEY0,
            "--create",
            GREETER["bytecode"],
            "constructor(string)",
            "Hello",
        ),
    )
    assert deployed["contractAddress"] == GREETER_AT.lower()
    assert node.cast("code", GREETER_AT) == GREETER["deployedBytecode"]
    assert node.cast("call", GREETER_AT, "greet()(string)") == '"Hello"'
    greeted = same_receipt(
        node,
        node.cast_json("send", "--unlocked", "--from", A0, GREETER_AT, "setGreeting(string)", "Hi"),
    )
    [log] = greeted["logs"]
    assert log["topics"] == [GREETING_CHANGED, "0x" + "00" * 12 + A0[2:].lower()]
    assert node.cast("receipt", greeted["transactionHash"], "status") == "true"
    assert node.cast("receipt", greeted["transactionHash"], "gasUsed") == str(
        int(greeted["gasUsed"], 16)
    )
    logs = node.cast_json(
        "logs",
        "--from-block",
        "0",
        "--address",
        GREETER_AT,
        "GreetingChanged(address indexed,string)",
    )
    assert logs == node.call(
        "eth_getLogs", {"fromBlock": "0x0", "address": GREETER_AT, "topics": [GREETING_CHANGED]}
    )
    assert logs == [log]

    # Reads.
    assert node.cast("balance", A1) == str(10_000 * ETHER + ETHER + 1)
    assert node.cast("balance", A1, "--ether") == "10001.000000000000000001"
    assert node.cast("nonce", A0) == "4"
    # Slot 0: the short string "Hi" (bytes, then length * 2); slot 1: counter 0.
    assert node.cast("storage", GREETER_AT, "0") == "0x" + b"Hi".hex() + "00" * 29 + "04"
    assert node.cast("storage", GREETER_AT, "1") == "0x" + "00" * 32
    assert node.cast("call", GREETER_AT, "greet()(string)") == '"Hi"'
    estimate = node.call(
        "eth_estimateGas",
        {"from": A0, "to": GREETER_AT, "data": calldata("setGreeting(string)", "Yo")},
    )
    assert node.cast("estimate", "--from", A0, GREETER_AT, "setGreeting(string)", "Yo") == str(
        int(estimate, 16)
    )
    assert node.cast("gas-price") == str(int(node.call("eth_gasPrice"), 16))
    latest = node.call("eth_getBlockByNumber", "latest", False)
    assert node.cast("basefee") == str(int(latest["baseFeePerGas"], 16))
    assert node.cast_json("block", "latest") == latest
    assert node.cast("block", "latest", "--field", "number") == "4"
    reverted = node.cast("call", GREETER_AT, "fail()", ok=False)
    assert "error code 3: execution reverted: Greeter: always fails" in reverted

    # Dev methods through cast rpc: JSON numbers and hex quantities.
    assert node.cast("rpc", "anvil_mine", "2") == "null"
    assert node.cast("rpc", "anvil_mine", "0x2", "0x1") == "null"
    assert node.cast("block-number") == "8"
    snapshot = node.cast("rpc", "evm_snapshot")
    assert snapshot == '"0x0"'
    assert node.cast("rpc", "anvil_setBalance", A5, "1000") == "null"
    assert node.cast("balance", A5) == "1000"
    assert node.cast("rpc", "anvil_setBalance", A5, "0x3e8a") == "null"
    assert node.cast("balance", A5) == str(0x3E8A)
    assert node.cast("rpc", "evm_mine") == '"0x0"'
    assert node.cast("rpc", "evm_revert", json.loads(snapshot)) == "true"
    assert node.cast("block-number") == "8"
    assert node.cast("balance", A5) == str(10_000 * ETHER)

    # cast run: replays the event-emitting transaction on a fork at the block before it.
    replay = node.cast("run", greeted["transactionHash"])
    assert "emit topic 0: " + GREETING_CHANGED in replay
    assert replay.endswith(
        f"Transaction successfully executed.\nGas used: {int(greeted['gasUsed'], 16)}"
    )


def test_cast_reverts(node: Node) -> None:
    """Reverts as cast reports them: geth's code 3 with the reason and data, -32000 for
    an empty revert; a send that would revert is refused at its estimate, nothing mined."""
    deployed = node.cast_json(
        "send", "--private-key", KEY0, "--create", GREETER["bytecode"], "constructor(string)", "x"
    )
    greeter = to_checksum_address(deployed["contractAddress"])
    custom = node.cast("call", greeter, "failCustom(uint256)", "7", ok=False)
    assert "server returned an error response: error code 3: execution reverted" in custom
    assert node.cast("call", greeter, "failEmpty()", ok=False).endswith(
        "server returned an error response: error code -32000: execution reverted"
    )
    sent = node.cast("send", "--unlocked", "--from", A0, greeter, "fail()", ok=False)
    assert "error code 3: execution reverted: Greeter: always fails" in sent
    assert node.cast("block-number") == "1"


def test_cast_access_list(node: Node) -> None:
    """cast access-list: eth_createAccessList as geth answers it. The call writes the
    Greeter's slot 0 (a short string): geth leaves the recipient out as a bare address
    but keeps its slots, so the list holds the contract with that slot."""
    deployed = node.cast_json(
        "send", "--private-key", KEY0, "--create", GREETER["bytecode"], "constructor(string)", "x"
    )
    greeter = to_checksum_address(deployed["contractAddress"])
    expected = node.call(
        "eth_createAccessList",
        {"from": A0, "to": greeter, "data": calldata("setGreeting(string)", "Yo")},
        "latest",
    )
    assert list(expected) == ["accessList", "gasUsed"]
    assert expected["accessList"] == [
        {"address": greeter.lower(), "storageKeys": ["0x" + "00" * 32]}
    ]
    printed = node.cast_json("access-list", "--from", A0, greeter, "setGreeting(string)", "Yo")
    assert printed == expected
