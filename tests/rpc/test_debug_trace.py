"""debug_trace* over real sockets with web3.py: geth's shapes, exact values, errors.

Small hand-written programs (installed with anvil_setCode) pin the struct logs step by
step, with the gas worked out by hand in each test; the Solidity fixtures in
``fixtures/contracts/Tracing.sol`` open every kind of frame for the callTracer,
prestateTracer and 4byteTracer. Every test runs on a snapshot it reverts afterwards.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak
from web3 import AsyncWeb3, HTTPProvider, IPCProvider, Web3, WebSocketProvider

from mocknode import MockNode

ARTIFACTS = Path(__file__).resolve().parents[2] / "fixtures" / "artifacts"
DEV0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
DEV1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
PROGRAM = "0x" + "5a" * 19 + "01"  # where the hand-written programs are installed

# SSTORE 0x2a into slot 0, read it back, return it as a word.
STORE_LOAD_RETURN = bytes.fromhex("602a6000556000546000526020" + "6000f3")
# Clear slot 0 (refund 4800 when it held a value), then STOP.
CLEAR = bytes.fromhex("6000600055" + "00")
JUMP_INTO_NOTHING = bytes.fromhex("600156")  # PUSH1 1, JUMP: no JUMPDEST at 1
ADD_ON_EMPTY = bytes.fromhex("01")
SPIN = bytes.fromhex("5b600056")  # JUMPDEST, PUSH1 0, JUMP: forever


@pytest.fixture(autouse=True)
def isolated(node: MockNode) -> Iterator[None]:
    snap = node.snapshot()
    try:
        yield
    finally:
        assert node.revert(snap)


@pytest.fixture
def w3(node: MockNode) -> Web3:
    return Web3(HTTPProvider(node.http_url, request_kwargs={"timeout": 30}))


def rpc(w3: Web3, method: str, *params: Any) -> Any:
    response = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    assert "error" not in response, response
    return response["result"]


def rpc_error(w3: Web3, method: str, *params: Any) -> dict[str, Any]:
    response = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    assert "result" not in response, response
    return dict(response["error"])


def install(w3: Web3, code: bytes, address: str = PROGRAM) -> None:
    rpc(w3, "anvil_setCode", address, "0x" + code.hex())


def send(w3: Web3, to: str | None, data: str = "0x", gas: int = 100_000, value: int = 0) -> str:
    tx: dict[str, Any] = {"from": DEV0, "data": data, "gas": gas, "value": value}
    if to is not None:
        tx["to"] = Web3.to_checksum_address(to)
    tx_hash = w3.eth.send_transaction(tx)  # type: ignore[arg-type]
    w3.eth.wait_for_transaction_receipt(tx_hash)
    return tx_hash.to_0x_hex()


def artifact(name: str) -> dict[str, Any]:
    return dict(json.loads((ARTIFACTS / f"{name}.json").read_text()))


def deploy_caller(w3: Web3) -> Any:
    spec = artifact("TraceCaller")
    factory = w3.eth.contract(abi=spec["abi"], bytecode=spec["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor().transact({"from": DEV0}))
    return w3.eth.contract(address=receipt["contractAddress"], abi=spec["abi"])


def word(value: int) -> str:
    return f"{value:064x}"


# -- the struct logger ------------------------------------------------------------------


def test_struct_logs_of_a_hand_written_program_step_by_step(w3: Web3) -> None:
    install(w3, STORE_LOAD_RETURN)
    tx_hash = send(w3, PROGRAM)
    # 100000 - 21000 intrinsic; SSTORE of a cold, zero slot: 20000 + 2100; warm SLOAD 100;
    # MSTORE 3 + 3 for the first memory word.
    stored = {word(0): word(0x2A)}
    expected = [
        {"pc": 0, "op": "PUSH1", "gas": 79000, "gasCost": 3, "depth": 1, "stack": []},
        {"pc": 2, "op": "PUSH1", "gas": 78997, "gasCost": 3, "depth": 1, "stack": ["0x2a"]},
        {
            "pc": 4,
            "op": "SSTORE",
            "gas": 78994,
            "gasCost": 22100,
            "depth": 1,
            "stack": ["0x2a", "0x0"],
            "storage": stored,
        },
        {"pc": 5, "op": "PUSH1", "gas": 56894, "gasCost": 3, "depth": 1, "stack": []},
        {
            "pc": 7,
            "op": "SLOAD",
            "gas": 56891,
            "gasCost": 100,
            "depth": 1,
            "stack": ["0x0"],
            "storage": stored,
        },
        {"pc": 8, "op": "PUSH1", "gas": 56791, "gasCost": 3, "depth": 1, "stack": ["0x2a"]},
        {
            "pc": 10,
            "op": "MSTORE",
            "gas": 56788,
            "gasCost": 6,
            "depth": 1,
            "stack": ["0x2a", "0x0"],
        },
        {"pc": 11, "op": "PUSH1", "gas": 56782, "gasCost": 3, "depth": 1, "stack": []},
        {"pc": 13, "op": "PUSH1", "gas": 56779, "gasCost": 3, "depth": 1, "stack": ["0x20"]},
        {
            "pc": 15,
            "op": "RETURN",
            "gas": 56776,
            "gasCost": 0,
            "depth": 1,
            "stack": ["0x20", "0x0"],
        },
    ]
    result = rpc(w3, "debug_traceTransaction", tx_hash)
    assert list(result) == ["gas", "failed", "returnValue", "structLogs"]
    assert result == {
        "gas": 43224,
        "failed": False,
        "returnValue": "0x" + word(0x2A),
        "structLogs": expected,
    }
    assert list(result["structLogs"][2]) == [
        "pc",
        "op",
        "gas",
        "gasCost",
        "depth",
        "stack",
        "storage",
    ]
    assert w3.eth.get_transaction_receipt(tx_hash)["gasUsed"] == 43224


def test_struct_log_switches(w3: Web3) -> None:
    install(w3, STORE_LOAD_RETURN)
    tx_hash = send(w3, PROGRAM)
    config = {
        "enableMemory": True,
        "disableStack": True,
        "disableStorage": True,
        "enableReturnData": True,
    }
    logs = rpc(w3, "debug_traceTransaction", tx_hash, config)["structLogs"]
    assert logs[4] == {"pc": 7, "op": "SLOAD", "gas": 56891, "gasCost": 100, "depth": 1}
    # Memory appears once MSTORE has grown it, as 64-digit words without 0x.
    assert "memory" not in logs[6]
    assert logs[7]["memory"] == [word(0x2A)]
    assert logs[9] == {
        "pc": 15,
        "op": "RETURN",
        "gas": 56776,
        "gasCost": 0,
        "depth": 1,
        "memory": [word(0x2A)],
    }
    # limit counts the encoded bytes of the steps: the step that crosses it is the last.
    first = json.dumps(logs[0] | {"stack": []}, separators=(",", ":"))
    limited = rpc(w3, "debug_traceTransaction", tx_hash, {"limit": len(first)})
    assert [s["pc"] for s in limited["structLogs"]] == [0, 2]
    assert limited["gas"] == 43224


def test_refund_counter_and_return_data(w3: Web3) -> None:
    install(w3, CLEAR)
    rpc(w3, "anvil_setStorageAt", PROGRAM, "0x" + word(0), "0x" + word(7))
    tx_hash = send(w3, PROGRAM)
    result = rpc(w3, "debug_traceTransaction", tx_hash, {"disableStorage": True})
    # Clearing a cold slot: 2900 + 2100, refund 4800 (EIP-3529); receipt: 26006 - 4800.
    assert result["structLogs"] == [
        {"pc": 0, "op": "PUSH1", "gas": 79000, "gasCost": 3, "depth": 1, "stack": []},
        {"pc": 2, "op": "PUSH1", "gas": 78997, "gasCost": 3, "depth": 1, "stack": ["0x0"]},
        {
            "pc": 4,
            "op": "SSTORE",
            "gas": 78994,
            "gasCost": 5000,
            "depth": 1,
            "stack": ["0x0", "0x0"],
        },
        {
            "pc": 5,
            "op": "STOP",
            "gas": 73994,
            "gasCost": 0,
            "depth": 1,
            "stack": [],
            "refund": 4800,
        },
    ]
    assert result["gas"] == 21206 == w3.eth.get_transaction_receipt(tx_hash)["gasUsed"]


def test_failures_in_struct_logs(w3: Web3) -> None:
    install(w3, JUMP_INTO_NOTHING)
    bad_jump = send(w3, PROGRAM, gas=50_000)
    result = rpc(w3, "debug_traceTransaction", bad_jump)
    # geth logs the JUMP before it fails: no error on the step, the trace failed.
    assert result == {
        "gas": 50000,
        "failed": True,
        "returnValue": "0x",
        "structLogs": [
            {"pc": 0, "op": "PUSH1", "gas": 29000, "gasCost": 3, "depth": 1, "stack": []},
            {"pc": 2, "op": "JUMP", "gas": 28997, "gasCost": 8, "depth": 1, "stack": ["0x1"]},
        ],
    }
    install(w3, ADD_ON_EMPTY)
    underflow = send(w3, PROGRAM, gas=30_000)
    assert rpc(w3, "debug_traceTransaction", underflow)["structLogs"] == [
        {
            "pc": 0,
            "op": "ADD",
            "gas": 9000,
            "gasCost": 3,
            "depth": 1,
            "error": "stack underflow (0 <=> 2)",
            "stack": [],
        }
    ]
    install(w3, STORE_LOAD_RETURN)
    out_of_gas = send(w3, PROGRAM, gas=21_005)
    assert rpc(w3, "debug_traceTransaction", out_of_gas)["structLogs"] == [
        {"pc": 0, "op": "PUSH1", "gas": 5, "gasCost": 3, "depth": 1, "stack": []},
        {
            "pc": 2,
            "op": "PUSH1",
            "gas": 2,
            "gasCost": 3,
            "depth": 1,
            "error": "out of gas",
            "stack": ["0x2a"],
        },
    ]


def test_reverted_transaction_keeps_its_revert_data(w3: Web3) -> None:
    caller = deploy_caller(w3)
    tx_hash = send(w3, caller.address, caller.encode_abi("fail"))
    result = rpc(w3, "debug_traceTransaction", tx_hash)
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 0
    assert result["failed"] is True
    assert result["gas"] == receipt["gasUsed"]
    assert result["returnValue"].startswith("0x08c379a0")
    assert result["structLogs"][-1]["op"] == "REVERT"


def test_struct_logs_agree_with_execution_across_frames(w3: Web3) -> None:
    caller = deploy_caller(w3)
    tx_hash = send(w3, caller.address, caller.encode_abi("run", [5]), gas=300_000)
    result = rpc(w3, "debug_traceTransaction", tx_hash)
    logs = result["structLogs"]
    assert result["gas"] == w3.eth.get_transaction_receipt(tx_hash)["gasUsed"]
    # Intrinsic gas: 21000, 16 for each of the selector's 4 non-zero bytes, and for the
    # argument word 31 zero bytes at 4 and one non-zero byte at 16.
    assert logs[0]["gas"] == 300_000 - (21000 + 16 * 4 + 31 * 4 + 16)
    assert {s["depth"] for s in logs} == {1, 2}
    # Within a frame, each step's gas is the previous step's less its cost, except after
    # a call returns (the callee's unused gas comes back).
    calls = {"CALL", "STATICCALL", "DELEGATECALL"}
    for before, after in itertools.pairwise(logs):
        if before["depth"] == after["depth"] == 1 and before["op"] not in calls:
            assert after["gas"] == before["gas"] - before["gasCost"]
    # A CALL's cost includes what it hands the callee, whose first step starts with it.
    for i, step in enumerate(logs):
        if step["op"] in calls and logs[i + 1]["depth"] == 2:
            callee_gas = logs[i + 1]["gas"]
            assert step["gasCost"] - callee_gas in (100, 2600)  # warm or cold access
    assert [s["op"] for s in logs if s["op"] in calls] == [
        "CALL",
        "STATICCALL",
        "STATICCALL",
        "DELEGATECALL",
    ]


# -- callTracer -------------------------------------------------------------------------


def test_call_tracer_on_a_transfer(w3: Web3) -> None:
    tx_hash = send(w3, DEV1, gas=21_000, value=5)
    frame = rpc(w3, "debug_traceTransaction", tx_hash, {"tracer": "callTracer"})
    assert frame == {
        "from": DEV0.lower(),
        "gas": "0x5208",
        "gasUsed": "0x5208",
        "to": DEV1.lower(),
        "input": "0x",
        "value": "0x5",
        "type": "CALL",
    }
    assert list(frame) == ["from", "gas", "gasUsed", "to", "input", "value", "type"]


def test_call_tracer_frames_and_logs(w3: Web3) -> None:
    caller = deploy_caller(w3)
    callee = caller.functions.callee().call().lower()
    me = caller.address.lower()
    tx_hash = send(w3, caller.address, caller.encode_abi("run", [5]), gas=300_000)
    config = {"tracer": "callTracer", "tracerConfig": {"withLog": True}}
    top = rpc(w3, "debug_traceTransaction", tx_hash, config)
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    assert list(top) == [
        "from",
        "gas",
        "gasUsed",
        "to",
        "input",
        "output",
        "calls",
        "logs",
        "value",
        "type",
    ]
    assert top["from"] == DEV0.lower()
    assert top["to"] == me
    assert top["gas"] == hex(300_000)
    assert top["gasUsed"] == hex(receipt["gasUsed"])
    assert top["output"] == "0x" + word(10 + 5)
    assert top["logs"] == [
        {
            "address": me,
            "topics": ["0x" + keccak(text="Before(uint256)").hex()],
            "data": "0x" + word(5),
            "position": "0x0",
        }
    ]
    store, peek, boom, delegated = top["calls"]
    seen = "0x" + keccak(text="Seen(address,uint256)").hex()
    assert store["type"] == "CALL"
    assert store["from"] == me
    assert store["to"] == callee
    assert store["input"] == "0x6057361d" + word(5)
    assert store["output"] == "0x" + word(10)
    assert store["value"] == "0x0"
    assert store["logs"] == [
        {
            "address": callee,
            "topics": [seen, "0x" + word(int(me, 16))],
            "data": "0x" + word(5),
            "position": "0x0",
        }
    ]
    assert peek["type"] == "STATICCALL"
    assert "value" not in peek
    assert peek["output"] == "0x" + word(5)
    assert list(boom) == [
        "from",
        "gas",
        "gasUsed",
        "to",
        "input",
        "output",
        "error",
        "revertReason",
        "type",
    ]
    assert boom["error"] == "execution reverted"
    assert boom["revertReason"] == "callee: boom"
    # DELEGATECALL: from the caller, to the code's address, storage (and logs) the caller's.
    assert delegated["type"] == "DELEGATECALL"
    assert delegated["to"] == callee
    assert delegated["logs"][0]["address"] == me
    for frame in (store, peek, boom, delegated):
        assert int(frame["gasUsed"], 16) < int(frame["gas"], 16)

    only_top = rpc(
        w3,
        "debug_traceTransaction",
        tx_hash,
        {"tracer": "callTracer", "tracerConfig": {"onlyTopCall": True, "withLog": True}},
    )
    assert "calls" not in only_top
    assert only_top["logs"] == top["logs"]
    plain = rpc(w3, "debug_traceTransaction", tx_hash, {"tracer": "callTracer"})
    assert "logs" not in plain
    assert all("logs" not in c for c in plain["calls"])


def test_call_tracer_create_create2_selfdestruct(w3: Web3) -> None:
    spec = artifact("TraceCaller")
    deploy_hash = send(w3, None, spec["bytecode"], gas=1_000_000)
    deploy = rpc(w3, "debug_traceTransaction", deploy_hash, {"tracer": "callTracer"})
    receipt = w3.eth.get_transaction_receipt(deploy_hash)
    assert deploy["type"] == "CREATE"
    assert deploy["to"] == receipt["contractAddress"].lower()
    assert deploy["input"] == spec["bytecode"]
    assert deploy["output"] == w3.eth.get_code(receipt["contractAddress"]).to_0x_hex()
    (inner,) = deploy["calls"]
    assert inner["type"] == "CREATE"
    assert inner["input"] == artifact("TraceCallee")["bytecode"]
    assert inner["output"] == artifact("TraceCallee")["deployedBytecode"]

    caller = w3.eth.contract(address=receipt["contractAddress"], abi=spec["abi"])
    salt = b"\x01" * 32
    tx_hash = send(
        w3, caller.address, caller.encode_abi("spawnAndKill", [salt, DEV1]), gas=300_000, value=1000
    )
    top = rpc(w3, "debug_traceTransaction", tx_hash, {"tracer": "callTracer"})
    child_init = artifact("TraceChild")["bytecode"]
    child = (
        "0x"
        + keccak(b"\xff" + bytes.fromhex(caller.address[2:]) + salt + keccak(hexstr=child_init))[
            12:
        ].hex()
    )
    create2, kill = top["calls"]
    assert create2["type"] == "CREATE2"
    assert create2["to"] == child
    assert create2["value"] == "0x3e8"
    assert create2["output"] == artifact("TraceChild")["deployedBytecode"]
    assert kill["type"] == "CALL"
    assert kill["to"] == child
    assert kill["calls"] == [
        {
            "from": child,
            "gas": "0x0",
            "gasUsed": "0x0",
            "to": DEV1.lower(),
            "input": "0x",
            "value": "0x3e8",
            "type": "SELFDESTRUCT",
        }
    ]


# -- prestateTracer and 4byteTracer -------------------------------------------------------


def test_prestate_tracer(w3: Web3) -> None:
    install(w3, STORE_LOAD_RETURN)
    rpc(w3, "anvil_setStorageAt", PROGRAM, "0x" + word(0), "0x" + word(7))
    send(w3, DEV1, gas=21_000)  # so that the sender's nonce is not 0 (nonce 0 is left out)
    balance = w3.eth.get_balance(DEV0)
    nonce = w3.eth.get_transaction_count(DEV0)
    tx_hash = send(w3, PROGRAM)
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    block = w3.eth.get_block(receipt["blockNumber"])
    coinbase = block["miner"].lower()
    coinbase_before = w3.eth.get_balance(block["miner"], receipt["blockNumber"] - 1)
    pre = rpc(w3, "debug_traceTransaction", tx_hash, {"tracer": "prestateTracer"})
    program = {
        "balance": "0x0",
        "code": "0x" + STORE_LOAD_RETURN.hex(),
        "codeHash": "0x" + keccak(STORE_LOAD_RETURN).hex(),
        "storage": {"0x" + word(0): "0x" + word(7)},
    }
    expected = {
        coinbase: {"balance": hex(coinbase_before)},
        PROGRAM: program,
        DEV0.lower(): {"balance": hex(balance), "nonce": nonce},
    }
    assert pre == dict(sorted(expected.items()))

    diff = rpc(
        w3,
        "debug_traceTransaction",
        tx_hash,
        {"tracer": "prestateTracer", "tracerConfig": {"diffMode": True}},
    )
    assert list(diff) == ["post", "pre"]
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    tip = receipt["gasUsed"] * (receipt["effectiveGasPrice"] - block["baseFeePerGas"])
    assert diff["post"] == dict(
        sorted(
            {
                coinbase: {"balance": hex(coinbase_before + tip)},
                PROGRAM: {"storage": {"0x" + word(0): "0x" + word(0x2A)}},
                DEV0.lower(): {"balance": hex(balance - fee), "nonce": nonce + 1},
            }.items()
        )
    )
    assert diff["pre"][PROGRAM] == program
    assert diff["pre"][DEV0.lower()] == {"balance": hex(balance), "nonce": nonce}


def test_four_byte_tracer(w3: Web3) -> None:
    caller = deploy_caller(w3)
    tx_hash = send(w3, caller.address, caller.encode_abi("run", [5]), gas=300_000)
    counts = rpc(w3, "debug_traceTransaction", tx_hash, {"tracer": "4byteTracer"})
    assert counts == {
        "0x59e02dd7-0": 1,  # peek()
        "0x6057361d-32": 2,  # store(uint256), called and delegated
        "0xa169ce09-0": 1,  # boom()
        "0xa444f5e9-32": 1,  # run(uint256)
    }
    assert list(counts) == sorted(counts)


# -- blocks, calls, transports ------------------------------------------------------------


def test_trace_block_replays_earlier_transactions(node: MockNode, w3: Web3) -> None:
    install(w3, STORE_LOAD_RETURN)
    install(
        w3, bytes.fromhex("60005460005260206000f3"), "0x" + "5a" * 19 + "02"
    )  # SLOAD 0 of its own
    node.set_automine(False)
    try:
        first = w3.eth.send_transaction(
            {"from": DEV0, "to": Web3.to_checksum_address(PROGRAM), "gas": 100_000}
        )
        second = w3.eth.send_transaction(
            {"from": DEV0, "to": Web3.to_checksum_address(PROGRAM), "gas": 100_000}
        )
        rpc(w3, "evm_mine")
    finally:
        node.set_automine(True)
    block = w3.eth.get_block("latest")
    assert len(block["transactions"]) == 2
    by_number = rpc(w3, "debug_traceBlockByNumber", hex(block["number"]), {"tracer": "callTracer"})
    by_hash = rpc(w3, "debug_traceBlockByHash", block["hash"].to_0x_hex(), {"tracer": "callTracer"})
    assert by_number == by_hash
    assert [entry["txHash"] for entry in by_number] == [first.to_0x_hex(), second.to_0x_hex()]
    assert [list(entry) for entry in by_number] == [["txHash", "result"]] * 2
    # The second run of the program finds slot 0 already set: a warm-free, dirty-free
    # SSTORE of the same value costs 2100 (cold) + 100.
    logs = rpc(w3, "debug_traceTransaction", second.to_0x_hex())["structLogs"]
    assert logs[2]["op"] == "SSTORE"
    assert logs[2]["gasCost"] == 2200
    assert rpc(w3, "debug_traceBlockByNumber", "latest")[1]["result"]["structLogs"] == logs


def test_trace_sees_dev_edits_made_before_the_block(w3: Web3) -> None:
    install(w3, bytes.fromhex("60005460005260206000f3"))
    rpc(w3, "anvil_setStorageAt", PROGRAM, "0x" + word(0), "0x" + word(99))
    tx_hash = send(w3, PROGRAM)
    rpc(w3, "anvil_setStorageAt", PROGRAM, "0x" + word(0), "0x" + word(5))  # after: unseen
    result = rpc(w3, "debug_traceTransaction", tx_hash)
    assert result["returnValue"] == "0x" + word(99)
    assert result["structLogs"][1]["storage"] == {word(0): word(99)}


def test_trace_call(w3: Web3) -> None:
    install(w3, STORE_LOAD_RETURN)
    call = {"from": DEV0, "to": PROGRAM, "gas": hex(100_000)}
    result = rpc(w3, "debug_traceCall", call, "latest")
    assert result["gas"] == 43224
    assert result["returnValue"] == "0x" + word(0x2A)
    assert [s["op"] for s in result["structLogs"]][:3] == ["PUSH1", "PUSH1", "SSTORE"]
    assert rpc(w3, "eth_getStorageAt", PROGRAM, "0x0", "latest") == "0x" + word(0)  # nothing kept
    frame = rpc(w3, "debug_traceCall", {"to": PROGRAM}, "latest", {"tracer": "callTracer"})
    assert frame == {
        "from": "0x" + "00" * 20,
        "gas": hex(50_000_000),
        "gasUsed": hex(43224),
        "to": PROGRAM,
        "input": "0x",
        "output": "0x" + word(0x2A),
        "value": "0x0",
        "type": "CALL",
    }
    caller = deploy_caller(w3)
    failed = rpc(
        w3,
        "debug_traceCall",
        {"to": caller.address, "data": caller.encode_abi("fail")},
        "latest",
        {"tracer": "callTracer"},
    )
    assert failed["error"] == "execution reverted"
    assert failed["revertReason"] == "caller: failed"
    # An empty override is no override (tests/rpc/test_debug_trace_overrides.py has the rest).
    assert (
        rpc(
            w3,
            "debug_traceCall",
            {"to": PROGRAM},
            "latest",
            {"stateOverrides": {}, "tracer": "4byteTracer"},
        )
        == {}
    )


def test_errors(w3: Web3) -> None:
    missing = "0x" + "ab" * 32
    assert rpc_error(w3, "debug_traceTransaction", missing) == {
        "code": -32000,
        "message": "transaction not found",
    }
    assert rpc_error(w3, "debug_traceBlockByNumber", "0x0") == {
        "code": -32000,
        "message": "genesis is not traceable",
    }
    assert rpc_error(w3, "debug_traceBlockByNumber", "0x3e8") == {
        "code": -32000,
        "message": "block #1000 not found",
    }
    assert rpc_error(w3, "debug_traceBlockByHash", missing) == {
        "code": -32000,
        "message": f"block {missing} not found",
    }
    tx_hash = send(w3, DEV1, gas=21_000)
    assert rpc_error(w3, "debug_traceTransaction", tx_hash, {"tracer": "jsTracer"})["message"] == (
        "tracer not found: jsTracer (mocknode runs no JavaScript tracers)"
    )
    assert rpc_error(w3, "debug_traceTransaction", tx_hash, {"enableMemory": "yes"}) == {
        "code": -32602,
        "message": "invalid argument 1: json: cannot unmarshal string into Go struct field "
        "TraceConfig.enableMemory of type bool",
    }
    assert rpc_error(w3, "debug_traceTransaction", tx_hash, {"timeout": "soon"}) == {
        "code": -32000,
        "message": 'time: invalid duration "soon"',
    }
    bad_config = {"tracer": "callTracer", "tracerConfig": {"onlyTopCall": 1}}
    assert rpc_error(w3, "debug_traceTransaction", tx_hash, bad_config) == {
        "code": -32000,
        "message": "json: cannot unmarshal number into Go struct field "
        "callTracerConfig.onlyTopCall of type bool",
    }
    assert rpc_error(w3, "debug_traceTransaction")["code"] == -32602


def test_timeout_stops_a_long_trace(w3: Web3) -> None:
    install(w3, SPIN)
    call = {"from": DEV0, "to": PROGRAM, "gas": hex(30_000_000)}
    error = rpc_error(
        w3, "debug_traceCall", call, "latest", {"timeout": "200ms", "disableStack": True}
    )
    assert error == {"code": -32000, "message": "execution timeout"}


def test_rpc_modules_lists_debug(w3: Web3) -> None:
    assert rpc(w3, "rpc_modules")["debug"] == "1.0"


@pytest.mark.asyncio
@pytest.mark.parametrize("transport", ["ws", "ipc"])
async def test_other_transports(node: MockNode, transport: str) -> None:
    w3 = Web3(HTTPProvider(node.http_url))
    install(w3, STORE_LOAD_RETURN)
    tx_hash = send(w3, PROGRAM)
    if transport == "ipc":
        assert node.ipc_path is not None
        ipc = Web3(IPCProvider(node.ipc_path, timeout=10))
        response = ipc.provider.make_request(
            "debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}]
        )  # type: ignore[arg-type]
        result = response["result"]
    else:
        async with AsyncWeb3(WebSocketProvider(node.ws_url, request_timeout=10)) as aw3:
            response = await aw3.provider.make_request(
                "debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}]
            )  # type: ignore[arg-type]
            result = response["result"]
    assert result["gasUsed"] == hex(43224)
    assert result["output"] == "0x" + word(0x2A)


def test_web3_geth_debug_reads_every_tracer(w3: Web3) -> None:
    """web3.py's own ``w3.geth.debug.trace_transaction`` (its result formatters) over
    our answers."""
    install(w3, STORE_LOAD_RETURN)
    tx_hash = send(w3, PROGRAM)
    logs = w3.geth.debug.trace_transaction(tx_hash, {"enableMemory": True})
    assert logs["gas"] == 43224
    assert logs["failed"] is False
    assert [step["op"] for step in logs["structLogs"]][2:5] == ["SSTORE", "PUSH1", "SLOAD"]
    frame = w3.geth.debug.trace_transaction(tx_hash, {"tracer": "callTracer"})
    assert frame["gasUsed"] == 43224
    assert frame["to"].lower() == PROGRAM
    assert frame["type"] == "CALL"
    pre = w3.geth.debug.trace_transaction(tx_hash, {"tracer": "prestateTracer"})
    assert {address.lower() for address in pre} >= {PROGRAM, DEV0.lower()}
    assert w3.geth.debug.trace_transaction(tx_hash, {"tracer": "4byteTracer"}) == {}


@pytest.mark.asyncio
async def test_async_web3_over_websocket(node: MockNode) -> None:
    sync = Web3(HTTPProvider(node.http_url))
    install(sync, STORE_LOAD_RETURN)
    tx_hash = send(sync, PROGRAM)
    async with AsyncWeb3(WebSocketProvider(node.ws_url, request_timeout=10)) as aw3:
        frame = await aw3.geth.debug.trace_transaction(tx_hash, {"tracer": "callTracer"})
        block = await aw3.eth.get_block("latest")
        by_number = await aw3.provider.make_request(
            "debug_traceBlockByNumber", [hex(block["number"]), {"tracer": "callTracer"}]
        )
    assert frame["gasUsed"] == 43224
    assert by_number["result"][0]["txHash"] == tx_hash
    assert int(by_number["result"][0]["result"]["gasUsed"], 16) == 43224


def test_trace_the_pending_block(node: MockNode, w3: Web3) -> None:
    install(w3, STORE_LOAD_RETURN)
    node.set_automine(False)
    try:
        tx_hash = w3.eth.send_transaction(
            {"from": DEV0, "to": Web3.to_checksum_address(PROGRAM), "gas": 100_000}
        )
        (entry,) = rpc(w3, "debug_traceBlockByNumber", "pending", {"tracer": "callTracer"})
        assert entry["txHash"] == tx_hash.to_0x_hex()
        assert entry["result"]["gasUsed"] == hex(43224)
        # Not mined: a pooled transaction is not traceable by hash (geth: not found).
        assert rpc_error(w3, "debug_traceTransaction", tx_hash.to_0x_hex())["message"] == (
            "transaction not found"
        )
    finally:
        node.set_automine(True)


def test_return_data_of_the_last_call(w3: Web3) -> None:
    caller = deploy_caller(w3)
    tx_hash = send(w3, caller.address, caller.encode_abi("run", [5]), gas=300_000)
    logs = rpc(w3, "debug_traceTransaction", tx_hash, {"enableReturnData": True})["structLogs"]
    first_call = next(i for i, s in enumerate(logs) if s["op"] == "CALL")
    back = next(i for i in range(first_call + 1, len(logs)) if logs[i]["depth"] == 1)
    assert "returnData" not in logs[first_call]  # no call has returned yet
    assert logs[back]["returnData"] == "0x" + word(10)  # store(5) answered 10
    plain = rpc(w3, "debug_traceTransaction", tx_hash)["structLogs"]
    assert all("returnData" not in step for step in plain)
