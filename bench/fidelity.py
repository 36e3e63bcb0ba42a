"""``python -m bench.fidelity`` (``scripts/fidelity``): one scripted session against mocknode
and anvil, and every difference between their answers.

Both nodes start fresh with the same dev accounts (the ``test ... junk`` mnemonic, chain id
31337, 1 gwei genesis base fee) and get the same calls in the same order: transfers,
deploys, events, reverts, fees and the pending block, signing and typed data, raw
transaction reads, headers, the pool, ``eth_getAccount``, state and block overrides of
``eth_call`` / ``eth_estimateGas``, ``eth_createAccessList``, ``eth_simulateV1``, the
tracers of ``debug_traceTransaction`` / ``debug_traceCall`` / ``debug_traceBlockByNumber``
(struct logs, callTracer, prestateTracer and its diffMode, 4byteTracer), dev methods with
numbers and hex, and bad params on each. Calls that name something a node made (a
transaction hash, a block hash, a contract address) take it from that node's own earlier
answers.

Each pair of answers is walked together and every difference is reported with its
path: result against error, error code, error message, object key sets (missing, extra),
key order, the encoding of a value (a hex quantity, hex data, a number, null...), and a
different value where the value is deterministic. Values that must differ between two
chains (hashes of blocks, timestamps, state roots) are normalised away: only their
encoding is compared. A session's own differences of value that follow from an earlier
one (a block number, a balance after different fees) are reported as values; the
encodings and shapes are the point. Each difference that stays is matched to its reason
(:data:`EXPLAINED`, the list in docs/eth-namespace.md); the summary counts those that
match none, and the exit status is 1 when there are any.

``--mocknode-only`` runs the session against mocknode alone and reports only calls that
got no JSON-RPC answer at all (what the test in ``tests/bench`` runs in CI, where anvil
is not installed); ``--short`` runs a subset.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils import keccak, to_checksum_address

from bench.peers import ProcessPeer, start_anvil, start_mocknode

ROOT = Path(__file__).resolve().parent.parent
GREETER = json.loads((ROOT / "fixtures" / "artifacts" / "Greeter.json").read_text())
ANVIL_NPM = ROOT / ".bench" / "npm" / "node_modules" / "@foundry-rs"

A0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
A1 = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
A5 = "0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc"
KEY3 = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"
A3 = "0x90f79bf6eb2c4f870365e785982e1f101e93b906"
UNKNOWN = "0x" + "5a" * 20
GWEI = 10**9

# Keys whose values differ between two chains by nature: compared by encoding only.
NORMALISED = frozenset(
    {
        "hash",
        "blockHash",
        "parentHash",
        "timestamp",
        "blockTimestamp",
        "stateRoot",
        "receiptsRoot",
        "transactionsRoot",
        "mixHash",
        "prevRandao",
        "parentBeaconBlockRoot",
        "requestsHash",
        "withdrawalsRoot",
        "size",
        "logsBloom",
        "extraData",
    }
)

# Hand-written programs the override steps install at TARGET (nothing lives there).
TARGET = "0x" + "7e" * 19 + "01"
IDENTITY = "0x" + "00" * 19 + "04"
SLOT0 = "0x" + "00" * 32
WORD7 = "0x" + "00" * 31 + "07"
LOAD_RETURN = "0x600054600052602060" + "00f3"  # SLOAD slot 0, return it
STORE_LOAD_RETURN = "0x602a6000556000546000526020" + "6000f3"  # SSTORE 0x2a, SLOAD, return
# NUMBER, TIMESTAMP, COINBASE into memory words 0..2; return the 96 bytes.
BLOCK_FIELDS = "0x" + "43600052" + "42602052" + "41604052" + "60606000f3"

Params = list[Any]
ParamsFor = Callable[["Session"], Params]


@dataclass
class Step:
    """One call: ``params`` may be a function of the node's session (its earlier answers);
    ``keep`` names the answer for later steps."""

    name: str
    method: str
    params: Params | ParamsFor
    keep: str | None = None


@dataclass
class Session:
    """One node's run: what it answered, by step name and by ``keep`` name."""

    peer: ProcessPeer
    kept: dict[str, Any] = field(default_factory=dict)
    pooling: bool = False  # automine is off: sends stay in the pool

    def call(self, method: str, params: Params) -> dict[str, Any]:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        transport = self.peer.rpc("http").transport  # type: ignore[attr-defined]
        answer: dict[str, Any] = json.loads(transport.send(body.encode()))
        return answer

    def result(self, name: str) -> Any:
        return self.kept[name]


def calldata(signature: str, types: list[str] | None = None, args: list[Any] | None = None) -> str:
    from eth_abi import encode

    return "0x" + (keccak(text=signature)[:4] + encode(types or [], args or [])).hex()


def raw_transfer(nonce: int, value: int) -> str:
    tx = {
        "type": 2,
        "chainId": 31337,
        "to": to_checksum_address(A1),
        "value": value,
        "gas": 21000,
        "maxFeePerGas": 20 * GWEI,
        "maxPriorityFeePerGas": GWEI,
        "nonce": nonce,
    }
    signed = Account.sign_transaction(tx, KEY3)
    return "0x" + bytes(signed.raw_transaction).hex()


TYPED_DATA = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "chainId", "type": "uint256"},
        ],
        "Person": [{"name": "name", "type": "string"}, {"name": "wallets", "type": "address[]"}],
        "Mail": [
            {"name": "from", "type": "Person"},
            {"name": "to", "type": "Person[]"},
            {"name": "contents", "type": "string"},
        ],
    },
    "primaryType": "Mail",
    "domain": {"name": "Mail", "chainId": 31337},
    "message": {
        "from": {"name": "Cow", "wallets": [A0]},
        "to": [{"name": "Bob", "wallets": [A1, A5]}],
        "contents": "Hello, Bob!",
    },
}


def greeter(session: Session) -> str:
    """The Greeter this node deployed (from its receipt)."""
    return str(session.result("r3")["contractAddress"])


def _deploy_data() -> str:
    from eth_abi import encode

    return GREETER["bytecode"] + encode(["string"], ["Hello"]).hex()


def _tx(name: str) -> ParamsFor:
    return lambda s: [s.result(name)]


STEPS: list[Step] = [
    # -- identity and accounts
    Step("chainId", "eth_chainId", []),
    Step("net_version", "net_version", []),
    Step("accounts", "eth_accounts", []),
    Step("blockNumber", "eth_blockNumber", []),
    Step("balance", "eth_getBalance", [A0, "latest"]),
    Step("syncing", "eth_syncing", []),
    Step("mining", "eth_mining", []),
    Step("coinbase", "eth_coinbase", []),
    # -- transfers
    Step("send", "eth_sendTransaction", [{"from": A0, "to": A1, "value": "0x1"}], "t1"),
    Step("tx", "eth_getTransactionByHash", _tx("t1")),
    Step("receipt", "eth_getTransactionReceipt", _tx("t1")),
    Step("sendRaw", "eth_sendRawTransaction", [raw_transfer(0, 5)], "t2"),
    Step("receiptRaw", "eth_getTransactionReceipt", _tx("t2")),
    Step("rawTx", "eth_getRawTransactionByHash", _tx("t2")),
    Step("rawTxByIndex", "eth_getRawTransactionByBlockNumberAndIndex", ["0x2", "0x0"]),
    Step("txBySenderNonce", "eth_getTransactionBySenderAndNonce", [A3, "0x0"]),
    # -- deploy, call, events, reverts
    Step("deploy", "eth_sendTransaction", [{"from": A0, "data": _deploy_data()}], "t3"),
    Step("deployReceipt", "eth_getTransactionReceipt", _tx("t3"), "r3"),
    Step("code", "eth_getCode", lambda s: [greeter(s), "latest"]),
    Step("storage", "eth_getStorageAt", lambda s: [greeter(s), "0x0", "latest"]),
    Step(
        "call",
        "eth_call",
        lambda s: [{"to": greeter(s), "data": calldata("greet()")}, "latest"],
    ),
    Step(
        "setGreeting",
        "eth_sendTransaction",
        lambda s: [
            {
                "from": A0,
                "to": greeter(s),
                "data": calldata("setGreeting(string)", ["string"], ["Hi"]),
            }
        ],
        "t4",
    ),
    Step("eventReceipt", "eth_getTransactionReceipt", _tx("t4")),
    Step("logs", "eth_getLogs", lambda s: [{"fromBlock": "0x0", "address": greeter(s)}]),
    Step(
        "revertString",
        "eth_call",
        lambda s: [{"to": greeter(s), "data": calldata("fail()")}, "latest"],
    ),
    Step(
        "revertCustom",
        "eth_call",
        lambda s: [{"to": greeter(s), "data": calldata("failCustom(uint256)", ["uint256"], [7])}],
    ),
    Step(
        "revertEmpty", "eth_call", lambda s: [{"to": greeter(s), "data": calldata("failEmpty()")}]
    ),
    Step(
        "revertPanic", "eth_call", lambda s: [{"to": greeter(s), "data": calldata("failPanic()")}]
    ),
    Step(
        "estimateRevert",
        "eth_estimateGas",
        lambda s: [{"from": A0, "to": greeter(s), "data": calldata("fail()")}],
    ),
    Step(
        "sendRevert",
        "eth_sendTransaction",
        lambda s: [{"from": A0, "to": greeter(s), "data": calldata("fail()"), "gas": "0x30000"}],
        "t5",
    ),
    Step("revertedReceipt", "eth_getTransactionReceipt", _tx("t5")),
    Step(
        "estimate",
        "eth_estimateGas",
        lambda s: [
            {
                "from": A0,
                "to": greeter(s),
                "data": calldata("setGreeting(string)", ["string"], ["Yo"]),
            }
        ],
    ),
    # -- overrides, access lists, simulation (geth 1.16's internal/ethapi)
    Step(
        "callStateOverride",
        "eth_call",
        [{"to": TARGET}, "latest", {TARGET: {"code": LOAD_RETURN, "stateDiff": {SLOT0: WORD7}}}],
    ),
    Step(
        "callStateReplace",
        "eth_call",
        lambda s: [
            {"to": greeter(s), "data": calldata("greet()")},
            "latest",
            {greeter(s): {"state": {}, "balance": "0x10"}},
        ],
    ),
    Step(
        "callBlockOverride",
        "eth_call",
        [
            {"to": TARGET},
            "latest",
            {TARGET: {"code": BLOCK_FIELDS}},
            {"number": "0x99", "time": "0x12345678", "feeRecipient": A5},
        ],
    ),
    Step(
        "callMovedPrecompile",
        "eth_call",
        [
            {"to": TARGET, "data": "0xc0ffee"},
            "latest",
            {IDENTITY: {"movePrecompileToAddress": TARGET}},
        ],
    ),
    Step(
        "estimateStateOverride",
        "eth_estimateGas",
        [{"from": A0, "to": TARGET}, "latest", {TARGET: {"code": STORE_LOAD_RETURN}}],
    ),
    Step(
        "estimateBlockOverride",
        "eth_estimateGas",
        [
            {"from": A0, "to": TARGET},
            "latest",
            {TARGET: {"code": BLOCK_FIELDS}},
            {"number": "0x99"},
        ],
    ),
    Step(
        "accessList",
        "eth_createAccessList",
        lambda s: [
            {
                "from": A0,
                "to": greeter(s),
                "data": calldata("setGreeting(string)", ["string"], ["Al"]),
            },
            "latest",
        ],
    ),
    Step("accessListTransfer", "eth_createAccessList", [{"from": A0, "to": A1, "value": "0x1"}]),
    Step(
        "accessListRevert",
        "eth_createAccessList",
        lambda s: [{"from": A0, "to": greeter(s), "data": calldata("fail()")}, "latest"],
    ),
    Step(
        "simulate",
        "eth_simulateV1",
        lambda s: [
            {
                "blockStateCalls": [
                    {
                        "calls": [
                            {"from": A0, "to": A1, "value": "0x1"},
                            {"from": A0, "to": greeter(s), "data": calldata("greet()")},
                        ]
                    }
                ]
            },
            "latest",
        ],
    ),
    Step(
        "simulateOverrides",
        "eth_simulateV1",
        [
            {
                "blockStateCalls": [
                    {
                        "blockOverrides": {"number": "0x50", "time": "0x70000000"},
                        "stateOverrides": {TARGET: {"code": LOAD_RETURN, "state": {SLOT0: WORD7}}},
                        "calls": [{"from": A0, "to": TARGET}],
                    }
                ],
                "traceTransfers": True,
                "validation": False,
                "returnFullTransactions": True,
            },
            "latest",
        ],
    ),
    # -- tracing (geth 1.16's eth/tracers)
    Step("traceTx", "debug_traceTransaction", _tx("t4")),
    Step(
        "traceTxMemory",
        "debug_traceTransaction",
        lambda s: [s.result("t4"), {"enableMemory": True, "disableStack": True}],
    ),
    Step(
        "traceTxCall",
        "debug_traceTransaction",
        lambda s: [s.result("t4"), {"tracer": "callTracer"}],
    ),
    Step(
        "traceTxCallLogs",
        "debug_traceTransaction",
        lambda s: [s.result("t4"), {"tracer": "callTracer", "tracerConfig": {"withLog": True}}],
    ),
    Step(
        "traceTxPrestate",
        "debug_traceTransaction",
        lambda s: [s.result("t4"), {"tracer": "prestateTracer"}],
    ),
    Step(
        "traceTxPrestateDiff",
        "debug_traceTransaction",
        lambda s: [
            s.result("t4"),
            {"tracer": "prestateTracer", "tracerConfig": {"diffMode": True}},
        ],
    ),
    Step(
        "traceTx4byte",
        "debug_traceTransaction",
        lambda s: [s.result("t4"), {"tracer": "4byteTracer"}],
    ),
    Step(
        "traceRevertedCall",
        "debug_traceTransaction",
        lambda s: [s.result("t5"), {"tracer": "callTracer"}],
    ),
    Step(
        "traceCall",
        "debug_traceCall",
        lambda s: [{"from": A0, "to": greeter(s), "data": calldata("greet()")}, "latest"],
    ),
    Step(
        "traceCallTracer",
        "debug_traceCall",
        lambda s: [
            {"from": A0, "to": greeter(s), "data": calldata("greet()")},
            "latest",
            {"tracer": "callTracer"},
        ],
    ),
    Step(
        "traceCallOverride",
        "debug_traceCall",
        [
            {"from": A0, "to": TARGET},
            "latest",
            {"tracer": "callTracer", "stateOverrides": {TARGET: {"code": STORE_LOAD_RETURN}}},
        ],
    ),
    Step(
        "traceCallStateDiff",
        "debug_traceCall",
        [
            {"from": A0, "to": TARGET},
            "latest",
            {"stateOverrides": {TARGET: {"code": LOAD_RETURN, "stateDiff": {SLOT0: WORD7}}}},
        ],
    ),
    Step(
        "traceCallBlockOverride",
        "debug_traceCall",
        [
            {"from": A0, "to": TARGET},
            "latest",
            {
                "tracer": "callTracer",
                "stateOverrides": {TARGET: {"code": BLOCK_FIELDS}},
                "blockOverrides": {"number": "0x99", "time": "0x12345678", "feeRecipient": A5},
            },
        ],
    ),
    Step("traceBlock", "debug_traceBlockByNumber", ["0x1", {"tracer": "callTracer"}]),
    # -- blocks and headers
    Step("blockLatest", "eth_getBlockByNumber", ["latest", False]),
    Step("blockFull", "eth_getBlockByNumber", ["0x1", True]),
    Step("blockPending", "eth_getBlockByNumber", ["pending", False]),
    Step("headerByNumber", "eth_getHeaderByNumber", ["0x1"]),
    Step("blockTxCount", "eth_getBlockTransactionCountByNumber", ["0x1"]),
    Step("uncle", "eth_getUncleByBlockNumberAndIndex", ["0x1", "0x0"]),
    Step("uncleCount", "eth_getUncleCountByBlockNumber", ["0x1"]),
    Step("account", "eth_getAccount", [A0, "latest"]),
    Step("accountInfo", "eth_getAccountInfo", [A1, "latest"]),
    Step("proof", "eth_getProof", [A1, [], "latest"]),
    # -- fees
    Step("gasPrice", "eth_gasPrice", []),
    Step("maxPriorityFee", "eth_maxPriorityFeePerGas", []),
    Step("blobBaseFee", "eth_blobBaseFee", []),
    Step("feeHistory", "eth_feeHistory", [4, "latest", [25, 75]]),
    Step("feeHistoryHex", "eth_feeHistory", ["0x2", "latest", []]),
    Step("feeHistoryPending", "eth_feeHistory", ["0x2", "pending", [50]]),
    # -- signing
    Step("sign", "eth_sign", [A0, "0xdeadbeef"]),
    Step("personalSign", "personal_sign", ["0xdeadbeef", A0]),
    Step("signTypedData", "eth_signTypedData_v4", [A0, TYPED_DATA]),
    Step("signUnknown", "eth_sign", [UNKNOWN, "0x00"]),
    Step(
        "signTransaction",
        "eth_signTransaction",
        [
            {
                "from": A0,
                "to": A1,
                "gas": "0x5208",
                "maxFeePerGas": "0x4a817c800",
                "maxPriorityFeePerGas": "0x3b9aca00",
                "nonce": "0x10",
                "value": "0x1",
            }
        ],
    ),
    # -- the pool
    Step("noMining", "evm_setAutomine", [False]),
    Step("pooled", "eth_sendRawTransaction", [raw_transfer(1, 6)], "t6"),
    Step("queued", "eth_sendRawTransaction", [raw_transfer(3, 7)]),
    Step("txpoolStatus", "txpool_status", []),
    Step("txpoolContent", "txpool_content", []),
    Step("txpoolInspect", "txpool_inspect", []),
    Step("pendingTx", "eth_getTransactionByHash", _tx("t6")),
    Step("pendingNonce", "eth_getTransactionCount", [A3, "pending"]),
    Step("mine", "evm_mine", []),
    Step("automine", "evm_setAutomine", [True]),
    # -- dev methods, numbers and hex
    Step("snapshot", "evm_snapshot", [], "snap"),
    Step("setBalanceNumber", "anvil_setBalance", [A5, 1000]),
    Step("setBalanceHex", "anvil_setBalance", [A5, "0x3e8"]),
    Step("balanceSet", "eth_getBalance", [A5, "latest"]),
    Step("mineTwo", "anvil_mine", [2]),
    Step("mineHex", "anvil_mine", ["0x2", "0x1"]),
    Step("revert", "evm_revert", lambda s: [s.result("snap")]),
    Step("increaseTime", "evm_increaseTime", [60]),
    # -- bad params
    Step("badAddress", "eth_getBalance", ["0xzz", "latest"]),
    Step("shortAddress", "eth_getBalance", ["0x1234", "latest"]),
    Step("noParams", "eth_getBalance", []),
    Step("missingBool", "eth_getBlockByNumber", ["latest"]),
    Step("stringBool", "eth_getBlockByNumber", ["0x1", "true"]),
    Step("badTag", "eth_getBlockByNumber", ["newest", False]),
    Step("badHash", "eth_getTransactionByHash", ["0x1234"]),
    Step("badRaw", "eth_sendRawTransaction", ["0x00"]),
    Step("tooManyArgs", "eth_blockNumber", [1]),
    Step("unknownMethod", "eth_doesNotExist", []),
    Step("badQuantity", "eth_getBlockByNumber", ["0x01", False]),
    Step("emptyCall", "eth_call", []),
    Step("lowNonce", "eth_sendRawTransaction", [raw_transfer(0, 5)]),
    Step("badOverrideBalance", "eth_call", [{"to": TARGET}, "latest", {TARGET: {"balance": 1}}]),
    Step("badOverrideAddress", "eth_call", [{"to": TARGET}, "latest", {"0x12": {}}]),
    Step(
        "badOverrideBoth",
        "eth_call",
        [{"to": TARGET}, "latest", {TARGET: {"state": {}, "stateDiff": {}}}],
    ),
    Step("badOverrideType", "eth_estimateGas", [{"to": TARGET}, "latest", 5]),
    Step("badBlockOverride", "eth_call", [{"to": TARGET}, "latest", {}, {"number": 5}]),
    Step("badAccessList", "eth_createAccessList", [{"to": "0x12"}]),
    Step("badSimulate", "eth_simulateV1", [{"blockStateCalls": 5}, "latest"]),
    Step("emptySimulate", "eth_simulateV1", [{"blockStateCalls": []}, "latest"]),
    Step("badTraceHash", "debug_traceTransaction", ["0x" + "ab" * 32]),
    Step("badTracer", "debug_traceCall", [{"to": A1}, "latest", {"tracer": "noSuchTracer"}]),
    Step("badTraceConfig", "debug_traceCall", [{"to": A1}, "latest", {"tracer": 5}]),
    Step("badTxIndex", "debug_traceCall", [{"to": A1}, "latest", {"txIndex": 1}]),
    Step("traceCallPending", "debug_traceCall", [{"to": A1}, "pending"]),
]

# The --short session: what the CI test runs (every kind of step, and the steps they need).
SHORT = frozenset(
    {
        "accounts",
        "automine",
        "badAddress",
        "balance",
        "balanceSet",
        "blockLatest",
        "blockNumber",
        "blockPending",
        "call",
        "callStateOverride",
        "accessList",
        "simulate",
        "traceTxCall",
        "traceCallOverride",
        "badOverrideBalance",
        "chainId",
        "deploy",
        "deployReceipt",
        "eventReceipt",
        "feeHistory",
        "feeHistoryPending",
        "gasPrice",
        "mine",
        "noMining",
        "pooled",
        "queued",
        "receipt",
        "revertString",
        "revertedReceipt",
        "send",
        "sendRaw",
        "sendRevert",
        "setBalanceHex",
        "setBalanceNumber",
        "setGreeting",
        "sign",
        "signTransaction",
        "tx",
        "txpoolStatus",
        "unknownMethod",
    }
)


# -- comparison -----------------------------------------------------------------------------

_QUANTITY = re.compile(r"0x(0|[1-9a-f][0-9a-f]*)")
_DATA = re.compile(r"0x([0-9a-fA-F]{2})*")


def encoding(value: Any) -> str:
    """What kind of JSON value this is, as a client decoding it sees it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if _QUANTITY.fullmatch(value) and (len(value) % 2 == 1 or value == "0x0"):
        return "quantity"
    if _DATA.fullmatch(value):
        return f"data{(len(value) - 2) // 2}" if len(value) in (42, 66) else "data"
    if _QUANTITY.fullmatch(value):
        return "quantity"
    return "string"


def _compatible(a: str, b: str) -> bool:
    """An even-length quantity (``0x10``) is also data: the same encoding on both sides."""
    pair = {a, b}
    return a == b or pair in ({"quantity", "data"},)


def diff(path: str, mine: Any, theirs: Any, *, values: bool = True) -> Iterator[str]:
    """Every difference between two JSON values, one line each, ``path`` first."""
    kind_mine, kind_theirs = encoding(mine), encoding(theirs)
    if not _compatible(kind_mine, kind_theirs):
        yield f"{path}: encoding {kind_mine} vs {kind_theirs} ({_short(mine)} vs {_short(theirs)})"
        return
    if isinstance(mine, dict):
        missing = [k for k in theirs if k not in mine]
        extra = [k for k in mine if k not in theirs]
        if missing:
            yield f"{path}: keys only anvil has: {', '.join(missing)}"
        if extra:
            yield f"{path}: keys only mocknode has: {', '.join(extra)}"
        common_mine = [k for k in mine if k in theirs]
        common_theirs = [k for k in theirs if k in mine]
        if common_mine != common_theirs:
            yield f"{path}: key order {common_mine} vs {common_theirs}"
        for key in common_mine:
            sub = f"{path}.{key}"
            yield from diff(sub, mine[key], theirs[key], values=values and key not in NORMALISED)
        return
    if isinstance(mine, list):
        if len(mine) != len(theirs):
            yield f"{path}: {len(mine)} items vs {len(theirs)}"
        for index, (a, b) in enumerate(zip(mine, theirs, strict=False)):
            yield from diff(f"{path}[{index}]", a, b, values=values)
        return
    if values and mine != theirs:
        yield f"{path}: value {_short(mine)} vs {_short(theirs)}"


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _outcome(response: dict[str, Any]) -> str:
    if "error" in response:
        return "error " + _short(response["error"])
    return "result " + _short(response.get("result"))


def compare(step: Step, mine: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """The differences between two JSON-RPC responses to one call."""
    lines: list[str] = []
    if ("error" in mine) != ("error" in theirs):
        return [f"{step.name} {step.method}: {_outcome(mine)} vs {_outcome(theirs)}"]
    if "error" in mine:
        for key in ("code", "message"):
            if mine["error"].get(key) != theirs["error"].get(key):
                lines.append(
                    f"{step.name} {step.method}: error {key} "
                    f"{_short(mine['error'].get(key))} vs {_short(theirs['error'].get(key))}"
                )
        if ("data" in mine["error"]) != ("data" in theirs["error"]):
            lines.append(
                f"{step.name} {step.method}: error data "
                f"{_short(mine['error'].get('data'))} vs {_short(theirs['error'].get('data'))}"
            )
        return lines
    return [
        f"{step.name} {step.method}: {line}"
        for line in diff("result", mine.get("result"), theirs.get("result"))
    ]


# -- explanations ---------------------------------------------------------------------------

# Every difference that stays, matched by a pattern over its report line, with the reason
# (each is a bullet of "Differences from anvil" in docs/eth-namespace.md). A line no
# pattern matches is reported as unexplained: a bug in one node or a new difference to
# look at.
_FEE_PATHS = (
    r"\.(gasPrice|maxFeePerGas|effectiveGasPrice|baseFeePerGas(\[\d+\])?|v|r|s|yParity"
    r"|transactionHash|txHash|balance|gasUsedRatio\[\d+\]|reward\[\d+\]\[\d+\]"
    r"|accountProof\[\d+\]|transactions\[\d+\]): value "
)
_ANVIL_ONLY_KEYS = "totalDifficulty|blobGasPrice|blockTimestamp|reward|parentBeaconBlockRoot"
EXPLAINED: tuple[tuple[str, str], ...] = (
    (r": key order ", "key order: geth's struct field order (Go maps: sorted)"),
    (
        rf"^(?!trace)\S+ \S+: result(\.\S+)?: keys only anvil has: (({_ANVIL_ONLY_KEYS})(, )?)+$",
        "fields geth does not write",
    ),
    (r"^blockPending .*(hash|miner|nonce): encoding null vs", "geth's pending block"),
    (r"^feeHistoryPending ", "eth_feeHistory with pending ends at the pending block (geth)"),
    (_FEE_PATHS, "geth's default fees: fees, hashes, signatures, balances differ in value"),
    (
        r"^(send|deploy|setGreeting|sendRevert) eth_sendTransaction: result: value ",
        "geth's default fees",
    ),
    (r"^gasPrice eth_gasPrice: result: value ", "geth's default fees"),
    (r"^estimate\w* eth_estimateGas: result: value ", "geth's estimateGas search (1.5 %)"),
    (r"^revert(Custom|Empty|Panic) eth_call: error ", "geth's revert errors"),
    (r"^sign(Unknown|Transaction) ", "geth's signing answers"),
    (r"^txpool(Content|Inspect) \S+: result\.\w+: keys only ", "txpool keys checksummed (geth)"),
    (r"^(mining|headerByNumber) ", "a method only one side has"),
    (
        r"^(bad\w+|shortAddress|noParams|missingBool|stringBool|tooManyArgs|unknownMethod"
        r"|emptyCall|lowNonce|emptySimulate) \S+: (error|result|error code|error message) ",
        "geth's parameter errors (anvil: serde's, or lenient)",
    ),
    (r"^callMovedPrecompile eth_call: result: value ", "anvil ignores movePrecompileToAddress"),
    (r"^accessListRevert eth_createAccessList: result ", "geth answers a revert in result.error"),
    (
        r"^simulate\w* eth_simulateV1: result(\[0\])?(: \d+ items vs 1$|: keys only mocknode has"
        r"|\.number: value|\.calls: |\.gasUsed: value|\.transactions: )",
        "eth_simulateV1: geth's numbering, gap blocks and full headers",
    ),
    (
        r"^traceTx(Memory)? debug_traceTransaction: result\.structLogs: \d+ items vs 0$",
        "anvil keeps no steps of mined transactions",
    ),
    (
        r"^(traceTx\w*|traceRevertedCall|traceBlock) debug_trace\w+: "
        r"result(\[0\]\.result)?\.gas: value ",
        "callTracer's gas is the transaction's gas limit (geth)",
    ),
    (
        r"^traceCall\w* debug_traceCall: result(\.structLogs\[\d+\])?\.gas: value ",
        "geth's 50M RPC gas cap (anvil: the block gas limit)",
    ),
    (r"structLogs\[\d+\]: keys only anvil has: refund$", "geth omits a zero refund"),
    (r"structLogs\[\d+\]\.storage: keys only ", "geth's struct-log storage keys have no 0x"),
    (r"\.logs\[\d+\]: keys only anvil has: index$", "geth's callTracer logs have position only"),
    (r": keys only mocknode has: codeHash$", "geth 1.16's prestateTracer writes codeHash"),
    (r"^traceCallPending ", "geth refuses tracing on pending"),
)


def explain(line: str) -> str | None:
    """The reason a difference stays, or None: it is unexplained."""
    for pattern, reason in EXPLAINED:
        if re.search(pattern, line):
            return reason
    return None


# -- running --------------------------------------------------------------------------------


def run_steps(session: Session, steps: list[Step]) -> dict[str, dict[str, Any]]:
    """Every step's response, in order; a step whose input is missing (an earlier call
    failed) is answered with a local ``skipped`` marker."""
    answers: dict[str, dict[str, Any]] = {}
    for step in steps:
        try:
            params = step.params(session) if callable(step.params) else step.params
        except KeyError as missing:
            answers[step.name] = {"skipped": f"needs {missing}"}
            continue
        answer = session.call(step.method, params)
        answers[step.name] = answer
        if step.keep is not None and "result" in answer:
            session.kept[step.keep] = answer["result"]
            if step.method in SENDS and not session.pooling:
                wait_mined(session, answer["result"])
        if step.method == "evm_setAutomine":
            session.pooling = params == [False]
    return answers


SENDS = frozenset({"eth_sendTransaction", "eth_sendRawTransaction"})


def wait_mined(session: Session, tx_hash: str) -> None:
    """anvil mines an automined transaction after answering the send: wait (up to a
    second) for its receipt, so the next call sees the same chain on both nodes."""
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        if session.call("eth_getTransactionReceipt", [tx_hash]).get("result") is not None:
            return
        time.sleep(0.01)


def find_anvil() -> str | None:
    candidates = [os.environ.get("ANVIL")]
    candidates += [str(p / "bin" / "anvil") for p in sorted(ANVIL_NPM.glob("anvil-*"))]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def report(steps: list[Step], mine: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for step in steps:
        a, b = mine[step.name], theirs[step.name]
        if "skipped" in a or "skipped" in b:
            lines.append(
                f"{step.name} {step.method}: skipped ({a.get('skipped') or b.get('skipped')})"
            )
            continue
        lines.extend(compare(step, a, b))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/fidelity", description=__doc__.split("\n")[0])
    parser.add_argument("--anvil", help="anvil binary (default: .bench/npm's, or $ANVIL)")
    parser.add_argument("--mocknode-only", action="store_true", help="no anvil: check answers only")
    parser.add_argument("--short", action="store_true", help="a subset of the session")
    parser.add_argument("--json", metavar="PATH", help="write both nodes' answers here")
    args = parser.parse_args(argv)
    steps = [s for s in STEPS if s.name in SHORT] if args.short else STEPS
    with tempfile.TemporaryDirectory(prefix="fidelity-") as work:
        mocknode = start_mocknode(Path(work))
        try:
            mine = run_steps(Session(mocknode), steps)
        finally:
            mocknode.close()
        unanswered = [n for n, a in mine.items() if "result" not in a and "error" not in a]
        if args.mocknode_only:
            for name in unanswered:
                print(f"{name}: no answer: {mine[name]}")
            print(f"mocknode: {len(steps)} calls, {len(unanswered)} without an answer")
            if args.json:
                Path(args.json).write_text(json.dumps({"mocknode": mine}, indent=1))
            return 1 if unanswered else 0
        anvil_bin = args.anvil or find_anvil()
        if anvil_bin is None:
            print("fidelity: anvil not found (scripts/fidelity installs it)", file=sys.stderr)
            return 2
        anvil = start_anvil(anvil_bin, Path(work))
        try:
            theirs = run_steps(Session(anvil), steps)
        finally:
            anvil.close()
    if args.json:
        Path(args.json).write_text(json.dumps({"mocknode": mine, "anvil": theirs}, indent=1))
    lines = report(steps, mine, theirs)
    unexplained = 0
    for line in lines:
        reason = explain(line)
        unexplained += reason is None
        print(f"{line}  [{reason or 'UNEXPLAINED'}]")
    print(
        f"{len(steps)} calls, {len(lines)} differences (mocknode vs anvil), "
        f"{unexplained} unexplained"
    )
    return 1 if unexplained else 0


if __name__ == "__main__":
    raise SystemExit(main())
