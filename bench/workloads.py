"""What is timed: each workload builds, per peer, a thunk whose every call is one sample.

Set-up (deploying the token, the ~300 Transfer events, pre-signed raw transactions) happens
in ``build`` or in :class:`Fixtures`, never inside the thunk. Calldata is built by hand so
no ABI library runs in the loops. Transactions carry an explicit ``gas`` (eth-tester
requires it; the socket peers then skip estimation alike).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bench.clients import Rpc, RpcError
from bench.peers import Peer, as_int

ROOT = Path(__file__).resolve().parent.parent
TOKEN_ARTIFACT = ROOT / "fixtures" / "artifacts" / "Token.json"
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
RECEIPT_TIMEOUT_S = 30.0
LOST_AFTER_S = 0.25

Thunk = Callable[[], object]


# -- targets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """``ratio_max``: mocknode/anvil at most; ``ratio_min``: at least (throughput);
    ``abs_max``: mocknode's own median below ``limit`` seconds."""

    kind: Literal["ratio_max", "ratio_min", "abs_max"]
    limit: float

    def describe(self) -> str:
        if self.kind == "ratio_max":
            return f"<= {self.limit:g}x"
        if self.kind == "ratio_min":
            return f">= {self.limit:g}x"
        return f"< {self.limit * 1000:g} ms"

    def met(self, value: float) -> bool:
        if self.kind == "ratio_min":
            return value >= self.limit
        if self.kind == "abs_max":
            return value < self.limit
        return value <= self.limit


# -- encoding by hand ---------------------------------------------------------------------


def word(value: int) -> str:
    return f"{value:064x}"


def address_word(address: str) -> str:
    return address.lower().removeprefix("0x").rjust(64, "0")


def _abi_string(text: str) -> str:
    data = text.encode().hex()
    return word(len(text.encode())) + data.ljust((len(data) + 63) // 64 * 64, "0")


def token_deploy_data(name: str, symbol: str, supply: int) -> str:
    """Token's creation code + ABI-encoded ``(string name_, string symbol_, uint256)``."""
    bytecode = json.loads(TOKEN_ARTIFACT.read_text())["bytecode"]
    first, second = _abi_string(name), _abi_string(symbol)
    head = word(0x60) + word(0x60 + len(first) // 2) + word(supply)
    return str(bytecode) + head + first + second


def transfer_data(to: str, amount: int) -> str:
    return "0xa9059cbb" + address_word(to) + word(amount)


def balance_of_data(owner: str) -> str:
    return "0x70a08231" + address_word(owner)


# -- transactions -------------------------------------------------------------------------


class TxLost(RpcError):
    """The node answered the send with a hash, then has neither the transaction nor a receipt."""


def wait_receipt(rpc: Rpc, tx_hash: str) -> dict[str, Any]:
    """Poll until the receipt exists (anvil may answer the send before mining).

    After ``LOST_AFTER_S`` without one, checks that the node still knows the transaction:
    anvil 1.7.1 now and then drops the transaction sent right after an ``evm_revert``.
    """
    start = time.monotonic()
    checked = False
    while True:
        receipt = rpc.call("eth_getTransactionReceipt", [tx_hash])
        if receipt:
            return dict(receipt)
        waited = time.monotonic() - start
        if waited > LOST_AFTER_S and not checked:
            checked = True
            if rpc.call("eth_getTransactionByHash", [tx_hash]) is None:
                raise TxLost(f"{tx_hash} was answered, then lost")
        if waited > RECEIPT_TIMEOUT_S:
            raise RpcError(f"no receipt for {tx_hash} after {RECEIPT_TIMEOUT_S:.0f} s")


def send_and_wait(
    rpc: Rpc, tx: dict[str, Any], on_lost: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Send and wait for a successful receipt; a lost transaction is sent again (at most
    twice) when ``on_lost`` is given, which is told each time."""
    for attempt in range(3):
        try:
            receipt = wait_receipt(rpc, rpc.call("eth_sendTransaction", [tx]))
            break
        except TxLost:
            if on_lost is None or attempt == 2:
                raise
            on_lost()
    if as_int(receipt.get("status", 1)) != 1:
        raise RpcError(f"transaction failed: {receipt}")
    return receipt


def next_nonce(rpc: Rpc, sender: str) -> int:
    return as_int(rpc.call("eth_getTransactionCount", [sender, "pending"]))


def send_in_blocks(peer: Peer, txs: list[dict[str, Any]], per_block: int = 100) -> int:
    """Send ``txs`` (all from one sender), ``per_block`` to a block; returns how many.

    Socket peers: automine off, one JSON-RPC batch with explicit nonces, ``evm_mine``, per
    block (anvil handles a batch's entries concurrently; with automine on it gives several
    the same nonce or loses one). eth-tester: one by one, automine as usual.
    """
    rpc = peer.setup
    if not txs:
        return 0
    if peer.in_process:
        for tx in txs:
            wait_receipt(rpc, rpc.call("eth_sendTransaction", [tx]))
        return len(txs)
    nonce = next_nonce(rpc, txs[0]["from"])
    rpc.call("evm_setAutomine", [False])
    try:
        for start in range(0, len(txs), per_block):
            chunk = txs[start : start + per_block]
            numbered = [tx | {"nonce": hex(nonce + start + i)} for i, tx in enumerate(chunk)]
            hashes = rpc.batch([("eth_sendTransaction", [tx]) for tx in numbered])
            rpc.call("evm_mine", [])
            wait_receipt(rpc, hashes[-1])
    finally:
        rpc.call("evm_setAutomine", [True])
    return len(txs)


# -- per-peer fixtures ----------------------------------------------------------------------


@dataclass
class Fixtures:
    """Chain objects a peer's workloads share, made on first use (untimed)."""

    peer: Peer
    log_events: int = 300
    _token: str | None = None
    _deep_tx: str | None = None
    _log_token: str | None = None
    lost: int = 0  # transactions the node answered, then lost (sent again)

    def count_lost(self) -> None:
        self.lost += 1

    def _deploy(self, symbol: str) -> tuple[str, str]:
        rpc, sender = self.peer.setup, self.peer.accounts[0]
        tx = {"from": sender, "data": token_deploy_data("Bench", symbol, 10**27), "gas": "0x2dc6c0"}
        tx_hash = rpc.call("eth_sendTransaction", [tx])
        receipt = wait_receipt(rpc, tx_hash)
        return str(receipt["contractAddress"]), str(tx_hash)

    def token(self) -> str:
        if self._token is None:
            self._token, self._deep_tx = self._deploy("BNC")
        return self._token

    def deep_tx(self) -> str:
        """The first transaction the benchmark made (the token deploy): deep in history."""
        self.token()
        assert self._deep_tx is not None
        return self._deep_tx

    def log_token(self) -> str:
        """A second token with ``log_events`` Transfer events (plus its mint) and no others."""
        if self._log_token is None:
            address, _ = self._deploy("LOG")
            a0, others = self.peer.accounts[0], self.peer.accounts[1:]
            txs = [
                {
                    "from": a0,
                    "to": address,
                    "data": transfer_data(others[i % len(others)], i + 1),
                    "gas": "0x186a0",
                }
                for i in range(self.log_events)
            ]
            send_in_blocks(self.peer, txs)
            self._log_token = address
        return self._log_token

    def presigned(self, count: int) -> list[str]:
        """``count`` signed transfers from accounts[2], nonces from its current one."""
        from eth_account import Account

        sender = self.peer.accounts[2]
        nonce = as_int(self.peer.setup.call("eth_getTransactionCount", [sender, "pending"]))
        to = bytes.fromhex(self.peer.accounts[3].removeprefix("0x"))
        raws = []
        for i in range(count):
            tx = {
                "type": 2,
                "chainId": self.peer.chain_id,
                "nonce": nonce + i,
                "to": to,
                "value": 1,
                "gas": 21000,
                "maxFeePerGas": 100 * 10**9,
                "maxPriorityFeePerGas": 10**9,
            }
            signed = Account.sign_transaction(tx, self.peer.raw_key)
            raws.append("0x" + bytes(signed.raw_transaction).hex())
        return raws


@dataclass
class Ctx:
    """What a workload's ``build`` gets for one peer."""

    peer: Peer
    rpc: Rpc  # on the workload's transport
    fx: Fixtures
    max_calls: int  # upper bound of thunk calls in this phase (for pre-signed transactions)


# -- the workloads ------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    name: str
    build: Callable[[Ctx], Thunk]
    transport: str = "http"
    target: Target | None = None
    iters: int = 200  # per round and peer, full run
    budget_s: float = 0.4  # per round and peer, full run: stop early past this
    sockets_only: bool = False
    eth_tester_in_quick: bool = True  # False: too slow there for a smoke test
    late: bool = True  # run again after the chain has grown
    check: Callable[[Ctx, object], None] | None = None  # validates the first call's reply
    note: str = ""


def _block_number(ctx: Ctx) -> Thunk:
    return ctx.rpc.op("eth_blockNumber", [])


def _balance(ctx: Ctx) -> Thunk:
    return ctx.rpc.op("eth_getBalance", [ctx.peer.accounts[0], "latest"])


def _block_full(ctx: Ctx) -> Thunk:
    return ctx.rpc.op("eth_getBlockByNumber", ["latest", True])


def _deep_receipt(ctx: Ctx) -> Thunk:
    return ctx.rpc.op("eth_getTransactionReceipt", [ctx.fx.deep_tx()])


def _value_tx(ctx: Ctx) -> dict[str, Any]:
    return {
        "from": ctx.peer.accounts[0],
        "to": ctx.peer.accounts[1],
        "value": "0x1",
        "gas": "0x5208",
    }


def _value_transfer(ctx: Ctx) -> Thunk:
    rpc, tx, on_lost = ctx.rpc, _value_tx(ctx), ctx.fx.count_lost
    return lambda: send_and_wait(rpc, tx, on_lost)


def _raw_transfer(ctx: Ctx) -> Thunk:
    rpc = ctx.rpc
    raws: Iterator[str] = iter(ctx.fx.presigned(ctx.max_calls))

    def run() -> object:
        return wait_receipt(rpc, rpc.call("eth_sendRawTransaction", [next(raws)]))

    return run


def _erc20_transfer(ctx: Ctx) -> Thunk:
    rpc = ctx.rpc
    tx = {
        "from": ctx.peer.accounts[0],
        "to": ctx.fx.token(),
        "data": transfer_data(ctx.peer.accounts[1], 1),
        "gas": "0x186a0",
    }
    on_lost = ctx.fx.count_lost
    return lambda: send_and_wait(rpc, tx, on_lost)


def _erc20_balance(ctx: Ctx) -> Thunk:
    call = {"to": ctx.fx.token(), "data": balance_of_data(ctx.peer.accounts[0])}
    return ctx.rpc.op("eth_call", [call, "latest"])


def _snapshot_tx_revert(ctx: Ctx) -> Thunk:
    rpc, tx = ctx.rpc, _value_tx(ctx)
    on_lost = ctx.fx.count_lost

    def run() -> object:
        snapshot = rpc.call("evm_snapshot", [])  # anvil consumes it on revert: a new one each time
        send_and_wait(rpc, tx, on_lost)  # anvil at times loses this one: sent again, timed
        if rpc.call("evm_revert", [snapshot]) is False:  # eth-tester answers null
            raise RpcError(f"evm_revert({snapshot}) returned false")
        return snapshot

    return run


def result_of(reply: object) -> Any:
    """The result member of a thunk's reply: raw bytes off a socket, or eth-tester's dict."""
    decoded = json.loads(reply) if isinstance(reply, bytes) else reply
    if not isinstance(decoded, dict) or "result" not in decoded:
        raise RpcError(f"not a JSON-RPC result: {decoded!r:.200}")
    return decoded["result"]


def _get_logs(ctx: Ctx) -> Thunk:
    query = {"address": ctx.fx.log_token(), "fromBlock": "0x0", "toBlock": "latest"}
    return ctx.rpc.op("eth_getLogs", [query])


def _check_logs(ctx: Ctx, reply: object) -> None:
    found = len(result_of(reply))
    if found != ctx.fx.log_events + 1:
        raise RpcError(f"{ctx.peer.name}: eth_getLogs found {found} Transfer events")


def _balance_batch(ctx: Ctx) -> Thunk:
    accounts = ctx.peer.accounts
    return ctx.rpc.batch_op(
        [("eth_getBalance", [accounts[i % len(accounts)], "latest"]) for i in range(100)]
    )


def _mine_1000(ctx: Ctx) -> Thunk:
    method, params = ctx.peer.mine_request(1000)
    return ctx.rpc.op(method, params)


# The bars are issue 12's ("Performance II") where it sets one; the rest are the first
# performance issue's.
CHEAP_READ = Target("ratio_max", 1.0)  # eth_blockNumber on every transport, eth_getBalance
DEEP_READ = Target("ratio_max", 1.2)

WORKLOADS: list[Workload] = [
    Workload("eth_blockNumber http", _block_number, "http", CHEAP_READ, iters=400),
    Workload("eth_blockNumber ws", _block_number, "ws", CHEAP_READ, iters=400, sockets_only=True),
    Workload("eth_blockNumber ipc", _block_number, "ipc", CHEAP_READ, iters=400, sockets_only=True),
    Workload("eth_getBalance", _balance, target=CHEAP_READ, iters=400),
    Workload("eth_getBlockByNumber(latest, true)", _block_full, iters=300),
    Workload("receipt deep in history", _deep_receipt, target=DEEP_READ, iters=300),
    Workload(
        "ERC20 balanceOf (eth_call)", _erc20_balance, target=Target("ratio_max", 1.5), iters=300
    ),
    Workload(
        "batch of 100 eth_getBalance",
        _balance_batch,
        target=Target("ratio_max", 3),
        iters=60,
        note="eth-tester: 100 calls, no batches in-process",
    ),
    Workload(
        "eth_getLogs (~300 Transfer)",
        _get_logs,
        target=Target("ratio_max", 2),
        iters=40,
        budget_s=0.6,
        eth_tester_in_quick=False,
        check=_check_logs,
        note="eth-tester: ~25 s a call",
    ),
    Workload(
        "value transfer + receipt",
        _value_transfer,
        target=Target("ratio_max", 2),
        iters=40,
        budget_s=0.6,
    ),
    Workload("eth_sendRawTransaction + receipt", _raw_transfer, iters=40, budget_s=0.6),
    Workload(
        "ERC20 transfer + receipt",
        _erc20_transfer,
        target=Target("ratio_max", 1.2),
        iters=40,
        budget_s=0.6,
    ),
    Workload(
        "snapshot + tx + revert",
        _snapshot_tx_revert,
        target=Target("ratio_max", 1),
        iters=40,
        budget_s=0.6,
    ),
    Workload(
        "mine 1,000 empty blocks",
        _mine_1000,
        iters=1,
        budget_s=0.0,
        late=False,
        note="one anvil_mine/evm_mine call per sample",
    ),
]

# Rows measured by dedicated code (start-up, throughput, memory), named here for --only.
STARTUP_CLI = "start-up: CLI to first answer"
STARTUP_EMBEDDED_IMPORT = "start-up: embedded, import"
STARTUP_EMBEDDED = "start-up: embedded, to first answer"
THROUGHPUT = "eth_blockNumber http, 8 connections (req/s)"
MEMORY_START = "memory: RSS at start"
MEMORY_LATE = "memory: RSS after the late fill"
MEMORY_PEAK = "memory: peak RSS (VmHWM)"

SPECIAL_TARGETS: dict[str, Target] = {
    STARTUP_CLI: Target("abs_max", 0.200),
    STARTUP_EMBEDDED: Target("abs_max", 0.010),
    THROUGHPUT: Target("ratio_min", 1.0),
    MEMORY_START: Target("ratio_max", 1.5),
}
LATE_TARGET = Target("ratio_max", 1.10)  # late/early per peer, "within 10%"

ALL_NAMES = [
    STARTUP_CLI,
    STARTUP_EMBEDDED_IMPORT,
    STARTUP_EMBEDDED,
    *(w.name for w in WORKLOADS),
    THROUGHPUT,
    MEMORY_START,
    MEMORY_LATE,
    MEMORY_PEAK,
]
