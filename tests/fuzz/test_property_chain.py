"""A state machine over the chain, driven over JSON-RPC: transfers, deploys, calls, mines,
snapshots, reverts, reorgs and time travel, with the chain's invariants checked after
every step.

Invariants (checked on the node's answers, not on a model of them):

- **Ether is conserved.** For every address that ever held or received ether (dev accounts,
  recipients, deployed contracts, every block's coinbase), the balances at the head plus the
  base fees burnt by the canonical blocks equal the same addresses' balances at genesis.
  There are no block rewards after the merge; tips go to the coinbase, which is counted.
- **Nonces are consecutive.** Each sender's transactions in the canonical chain carry
  nonces 0, 1, 2 ... in block order, and ``eth_getTransactionCount`` is their count.
- **A revert is exact.** After ``evm_revert`` the head's number, hash and state root are
  the ones seen when the snapshot was taken.
- **Blocks chain.** Each block's ``parentHash`` is the hash of the block before it, and
  timestamps never go back.
- **Logs agree.** The logs a ``logs`` subscription (over IPC) delivered, with its
  ``removed`` notices applied, are exactly ``eth_getLogs`` over the canonical chain; a
  delivered log that is no longer canonical must come from a block taken back by a silent
  ``evm_revert`` (reorgs must say ``removed``).
- **Calls change nothing.** ``eth_call`` leaves the head's state root as it was.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fuzz_budget import LONG, fuzz_settings
from fuzz_node import RpcClient, SubprocessNode
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

DEV = [
    "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
    "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
    "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
    "0x90f79bf6eb2c4f870365e785982e1f101e93b906",
]
RECIPIENTS = ["0x" + f"{i:02x}" * 20 for i in (0x11, 0x22, 0x33)]

# A contract that keeps any ether sent to it and logs its calldata with the caller as
# topic: runtime CALLDATACOPY(0, 0, CALLDATASIZE); LOG1(0, CALLDATASIZE, CALLER); STOP.
RUNTIME = "36600060003733366000a100"
INITCODE = "0x600c600c600039600c6000f3" + RUNTIME


class LogStream:
    """An IPC connection holding one ``logs`` subscription; a thread collects every
    notification in arrival order."""

    def __init__(self, ipc_path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(ipc_path)
        self.sock.settimeout(10)
        self.sock.sendall(
            b'{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["logs",{}]}\n'
        )
        self._buffer = b""
        reply = self._next()
        assert "result" in reply, reply
        self.sub_id = reply["result"]
        self.sock.settimeout(None)
        self.items: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _next(self) -> dict[str, Any]:
        decoder = json.JSONDecoder()
        while True:
            text = self._buffer.decode().lstrip()
            if text:
                try:
                    obj, end = decoder.raw_decode(text)
                except ValueError:
                    pass
                else:
                    self._buffer = text[end:].encode()
                    assert isinstance(obj, dict)
                    return obj
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("IPC closed")
            self._buffer += chunk

    def _run(self) -> None:
        try:
            while True:
                message = self._next()
                assert message.get("method") == "eth_subscription", message
                assert message["params"]["subscription"] == self.sub_id
                with self.lock:
                    self.items.append(message["params"]["result"])
        except (OSError, EOFError):
            return

    def net(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Delivered logs with ``removed`` notices applied, keyed by (block hash, index)."""
        current: dict[tuple[str, str], dict[str, Any]] = {}
        with self.lock:
            items = list(self.items)
        for item in items:
            k = (item["blockHash"], item["logIndex"])
            if item.get("removed"):
                assert k in current, f"removed a log never delivered: {item}"
                del current[k]
            else:
                current[k] = item
        return current

    def close(self) -> None:
        self.sock.close()


def log_key(log: dict[str, Any]) -> tuple[str, str]:
    return (log["blockHash"], log["logIndex"])


def log_body(log: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        log[f]
        for f in ("address", "topics", "data", "blockNumber", "transactionHash", "transactionIndex")
    )


class ChainMachine(RuleBasedStateMachine):
    client: RpcClient
    ipc_path: str

    contracts = Bundle("contracts")

    def __init__(self) -> None:
        super().__init__()
        self.rpc = self.client
        self.rpc.call("anvil_reset")
        self.rpc.call("evm_setAutomine", True)
        self.stream = LogStream(self.ipc_path)
        self.tracked: set[str] = set(DEV) | set(RECIPIENTS)
        self.snapshots: list[tuple[str, dict[str, Any]]] = []
        self.reverted_hashes: set[str] = set()
        self.steps = 0

    # -- helpers -------------------------------------------------------------------------

    def head(self) -> dict[str, Any]:
        block = self.rpc.call("eth_getBlockByNumber", "latest", False)
        assert isinstance(block, dict)
        return block

    def send(self, tx: dict[str, Any]) -> dict[str, Any]:
        tx_hash = self.rpc.call("eth_sendTransaction", tx)
        receipt = self.rpc.call("eth_getTransactionReceipt", tx_hash)
        assert receipt is not None, f"automine: {tx_hash} not mined"
        return dict(receipt)

    def canonical(self) -> list[dict[str, Any]]:
        number = int(self.rpc.call("eth_blockNumber"), 16)
        return [self.rpc.call("eth_getBlockByNumber", hex(n), True) for n in range(number + 1)]

    # -- rules ---------------------------------------------------------------------------

    @initialize()
    def start(self) -> None:
        assert self.rpc.call("eth_blockNumber") == "0x0"

    @rule(
        sender=st.sampled_from(DEV),
        to=st.sampled_from(DEV + RECIPIENTS),
        value=st.integers(0, 10**18),
    )
    def transfer(self, sender: str, to: str, value: int) -> None:
        receipt = self.send({"from": sender, "to": to, "value": hex(value)})
        assert receipt["status"] == "0x1"

    @rule(target=contracts, sender=st.sampled_from(DEV), value=st.integers(0, 10**15))
    def deploy(self, sender: str, value: int) -> str:
        receipt = self.send({"from": sender, "data": INITCODE, "value": hex(value)})
        assert receipt["status"] == "0x1"
        address = str(receipt["contractAddress"]).lower()
        self.tracked.add(address)
        assert self.rpc.call("eth_getCode", address, "latest") == "0x" + RUNTIME
        return address

    @rule(
        contract=contracts,
        sender=st.sampled_from(DEV),
        payload=st.binary(max_size=64),
        value=st.integers(0, 10**15),
    )
    def call_with_log(self, contract: str, sender: str, payload: bytes, value: int) -> None:
        # The contract may have been reverted or reorged away: then it is a plain transfer.
        # Its status is not checked: after anvil_reorg the orphaned deploy waits in the pool
        # (mocknode re-pools orphans; anvil forgets them), the gas is estimated on the head
        # without it, and automine then mines the deploy first, so the call may run out of
        # gas. The invariants still hold either way.
        self.send(
            {"from": sender, "to": contract, "data": "0x" + payload.hex(), "value": hex(value)}
        )

    @rule(contract=contracts, payload=st.binary(max_size=32))
    def eth_call_changes_nothing(self, contract: str, payload: bytes) -> None:
        before = self.head()
        assert (
            self.rpc.call("eth_call", {"to": contract, "data": "0x" + payload.hex()}, "latest")
            == "0x"
        )
        after = self.head()
        assert (after["hash"], after["stateRoot"]) == (before["hash"], before["stateRoot"])

    @rule(blocks=st.integers(1, 3))
    def mine(self, blocks: int) -> None:
        before = int(self.rpc.call("eth_blockNumber"), 16)
        self.rpc.call("anvil_mine", hex(blocks))
        assert int(self.rpc.call("eth_blockNumber"), 16) == before + blocks

    @rule(seconds=st.integers(0, 10**6))
    def time_travel(self, seconds: int) -> None:
        before = int(self.head()["timestamp"], 16)
        self.rpc.call("evm_increaseTime", hex(seconds))
        self.rpc.call("evm_mine")
        # The clock moved on by ``seconds``, but a head stamped ahead of the clock (see
        # next_timestamp) stays the floor: the new block is only later than it.
        assert int(self.head()["timestamp"], 16) > before

    @rule(ahead=st.integers(1, 1000))
    def next_timestamp(self, ahead: int) -> None:
        stamp = int(self.head()["timestamp"], 16) + ahead
        self.rpc.call("evm_setNextBlockTimestamp", hex(stamp))
        self.rpc.call("evm_mine")
        assert int(self.head()["timestamp"], 16) == stamp

    @rule()
    def snapshot(self) -> None:
        snap = self.rpc.call("evm_snapshot")
        self.snapshots.append((snap, self.head()))

    @precondition(lambda self: bool(self.snapshots))
    @rule(data=st.data())
    def revert(self, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(self.snapshots) - 1))
        snap, at = self.snapshots[index]
        number = int(self.rpc.call("eth_blockNumber"), 16)
        for n in range(int(at["number"], 16) + 1, number + 1):
            self.reverted_hashes.add(self.rpc.call("eth_getBlockByNumber", hex(n), False)["hash"])
        assert self.rpc.call("evm_revert", snap) is True
        now = self.head()
        assert (now["number"], now["hash"], now["stateRoot"]) == (
            at["number"],
            at["hash"],
            at["stateRoot"],
        )
        del self.snapshots[index + 1 :]

    @precondition(lambda self: self.rpc.call("eth_blockNumber") != "0x0")
    @rule(data=st.data(), value=st.integers(0, 10**15))
    def reorg(self, data: st.DataObject, value: int) -> None:
        number = int(self.rpc.call("eth_blockNumber"), 16)
        depth = data.draw(st.integers(1, min(number, 3)))
        sender = data.draw(st.sampled_from(DEV))
        to = data.draw(st.sampled_from(RECIPIENTS))
        offset = data.draw(st.integers(0, depth - 1))
        self.rpc.call(
            "anvil_reorg", depth, [[{"from": sender, "to": to, "value": hex(value)}, offset]]
        )
        assert int(self.rpc.call("eth_blockNumber"), 16) == number
        # Snapshots above the common block name blocks that are gone: forget them.
        base = number - depth
        self.snapshots = [(s, b) for s, b in self.snapshots if int(b["number"], 16) <= base]

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def chain_holds(self) -> None:
        blocks = self.canonical()
        burnt = 0
        nonces: dict[str, list[int]] = {}
        for parent, block in itertools.pairwise(blocks):
            assert block["parentHash"] == parent["hash"], (parent["number"], block["number"])
            assert int(block["timestamp"], 16) >= int(parent["timestamp"], 16)
        for block in blocks:
            self.tracked.add(block["miner"].lower())
            burnt += int(block.get("baseFeePerGas", "0x0"), 16) * int(block["gasUsed"], 16)
            for tx in block["transactions"]:
                nonces.setdefault(tx["from"].lower(), []).append(int(tx["nonce"], 16))
                if tx.get("to"):
                    self.tracked.add(tx["to"].lower())
        for sender, seen in nonces.items():
            assert seen == list(range(len(seen))), (sender, seen)
            assert int(self.rpc.call("eth_getTransactionCount", sender, "latest"), 16) == len(seen)
        for receipt in self.rpc.call("eth_getBlockReceipts", "latest") or []:
            if receipt.get("contractAddress"):
                self.tracked.add(receipt["contractAddress"].lower())
        now = sum(int(self.rpc.call("eth_getBalance", a, "latest"), 16) for a in self.tracked)
        genesis = sum(int(self.rpc.call("eth_getBalance", a, "0x0"), 16) for a in self.tracked)
        assert now + burnt == genesis, (now, burnt, genesis)

    @invariant()
    def logs_agree(self) -> None:
        queried = self.rpc.call("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest"})
        want = {log_key(log): log_body(log) for log in queried}
        deadline = time.monotonic() + 10
        while True:
            net = self.stream.net()
            got = {k: log_body(v) for k, v in net.items() if k in want}
            if got == want or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert got == want, f"subscription delivered {got}, eth_getLogs answers {want}"
        stale = [v for k, v in net.items() if k not in want]
        for log in stale:
            assert log["blockHash"] in self.reverted_hashes, (
                f"a reorged-away log never removed: {log}"
            )

    def teardown(self) -> None:
        self.stream.close()


@pytest.fixture(scope="module")
def chain_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SubprocessNode]:
    node = SubprocessNode(tmp_path_factory.mktemp("machine") / "node.ipc")
    try:
        yield node
    finally:
        node.stop()


def test_chain_state_machine(chain_node: SubprocessNode) -> None:
    client = RpcClient(chain_node.port, timeout=30)
    ChainMachine.client = client
    ChainMachine.ipc_path = chain_node.ipc_path
    try:
        run_state_machine_as_test(
            ChainMachine,
            settings=fuzz_settings(
                ci_examples=5, long_examples=200, stateful_step_count=20 if not LONG else 40
            ),
        )
    finally:
        client.close()
