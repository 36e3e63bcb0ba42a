"""debug_traceCall with TraceCallConfig's ``stateOverrides``, ``blockOverrides`` and
``txIndex`` over web3.py (HTTP, WebSocket, IPC): exact tracer output, geth 1.16's errors.

Gas figures are worked out by hand in each test (a call without ``gas`` runs with the
50M cap, as geth's --rpc.gascap default).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from web3 import AsyncWeb3, HTTPProvider, IPCProvider, Web3, WebSocketProvider

from mocknode import MockNode

DEV0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
DEV1 = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
TARGET = "0x" + "7e" * 19 + "01"  # nothing lives here but what an override puts
GAS_CAP = 50_000_000

# SSTORE 0x2a into slot 0, read it back, return it as a word (43224 gas as a transaction).
STORE_LOAD_RETURN = "0x602a6000556000546000526020" + "6000f3"
# SLOAD slot 0, return it as a word.
LOAD_RETURN = "0x600054600052602060" + "00f3"
# NUMBER, TIMESTAMP, COINBASE, BASEFEE into memory words 0..3; return the 128 bytes.
BLOCK_FIELDS = "0x" + "43600052" + "42602052" + "41604052" + "48606052" + "60806000f3"


def word(value: int) -> str:
    return f"{value:064x}"


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


async def request(node: MockNode, transport: str, method: str, params: list[Any]) -> Any:
    """One JSON-RPC request over ``transport``, the whole response."""
    if transport == "http":
        return Web3(HTTPProvider(node.http_url)).provider.make_request(method, params)  # type: ignore[arg-type]
    if transport == "ipc":
        assert node.ipc_path is not None
        return Web3(IPCProvider(node.ipc_path, timeout=10)).provider.make_request(method, params)  # type: ignore[arg-type]
    async with AsyncWeb3(WebSocketProvider(node.ws_url, request_timeout=10)) as aw3:
        return await aw3.provider.make_request(method, params)  # type: ignore[arg-type]


def rpc(w3: Web3, method: str, *params: Any) -> Any:
    response = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    assert "error" not in response, response
    return response["result"]


def rpc_error(w3: Web3, method: str, *params: Any) -> dict[str, Any]:
    response = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    assert "result" not in response, response
    return dict(response["error"])


TRANSPORTS = pytest.mark.parametrize("transport", ["http", "ws", "ipc"])


@pytest.mark.asyncio
@TRANSPORTS
async def test_call_tracer_on_code_from_a_code_override(node: MockNode, transport: str) -> None:
    # 21000 + SSTORE of a cold zero slot 22100 + SLOAD warm 100 + MSTORE 6 + 4 PUSH1 12
    # + 2 more PUSH1 6 = 43224, as the same program mined.
    config = {"tracer": "callTracer", "stateOverrides": {TARGET: {"code": STORE_LOAD_RETURN}}}
    response = await request(
        node, transport, "debug_traceCall", [{"from": DEV0, "to": TARGET}, "latest", config]
    )
    frame = response["result"]
    assert frame == {
        "from": DEV0,
        "gas": hex(GAS_CAP),
        "gasUsed": hex(43224),
        "to": TARGET,
        "input": "0x",
        "output": "0x" + word(0x2A),
        "value": "0x0",
        "type": "CALL",
    }
    assert list(frame) == ["from", "gas", "gasUsed", "to", "input", "output", "value", "type"]
    # Nothing was kept: the address has no code.
    plain = await request(node, transport, "eth_getCode", [TARGET, "latest"])
    assert plain["result"] == "0x"


@pytest.mark.asyncio
@TRANSPORTS
async def test_struct_logs_read_a_state_diff_slot(node: MockNode, transport: str) -> None:
    config = {
        "stateOverrides": {
            TARGET: {"code": LOAD_RETURN, "stateDiff": {"0x" + word(0): "0x" + word(7)}}
        }
    }
    response = await request(
        node, transport, "debug_traceCall", [{"from": DEV0, "to": TARGET}, "latest", config]
    )
    start = GAS_CAP - 21000
    # PUSH1 3; SLOAD of a cold slot 2100; PUSH1 3; MSTORE 3 + 3 for the first word; PUSH1 3 x2.
    slot = {word(0): word(7)}
    assert response["result"] == {
        "gas": 21000 + 3 + 2100 + 3 + 6 + 3 + 3,
        "failed": False,
        "returnValue": "0x" + word(7),
        "structLogs": [
            {"pc": 0, "op": "PUSH1", "gas": start, "gasCost": 3, "depth": 1, "stack": []},
            {
                "pc": 2,
                "op": "SLOAD",
                "gas": start - 3,
                "gasCost": 2100,
                "depth": 1,
                "stack": ["0x0"],
                "storage": slot,
            },
            {
                "pc": 3,
                "op": "PUSH1",
                "gas": start - 2103,
                "gasCost": 3,
                "depth": 1,
                "stack": ["0x7"],
            },
            {
                "pc": 5,
                "op": "MSTORE",
                "gas": start - 2106,
                "gasCost": 6,
                "depth": 1,
                "stack": ["0x7", "0x0"],
            },
            {"pc": 6, "op": "PUSH1", "gas": start - 2112, "gasCost": 3, "depth": 1, "stack": []},
            {
                "pc": 8,
                "op": "PUSH1",
                "gas": start - 2115,
                "gasCost": 3,
                "depth": 1,
                "stack": ["0x20"],
            },
            {
                "pc": 10,
                "op": "RETURN",
                "gas": start - 2118,
                "gasCost": 0,
                "depth": 1,
                "stack": ["0x20", "0x0"],
            },
        ],
    }


def test_state_replaces_storage_and_balance_shows_in_the_prestate(w3: Web3) -> None:
    rpc(w3, "anvil_setCode", TARGET, LOAD_RETURN)
    rpc(w3, "anvil_setStorageAt", TARGET, "0x0", "0x" + word(5))
    call = {"from": DEV0, "to": TARGET}
    plain = rpc(w3, "debug_traceCall", call, "latest", {"tracer": "callTracer"})
    assert plain["output"] == "0x" + word(5)
    # ``state`` replaces the whole storage: slot 0 reads zero.
    replaced = rpc(
        w3,
        "debug_traceCall",
        call,
        "latest",
        {"tracer": "callTracer", "stateOverrides": {TARGET: {"state": {}}}},
    )
    assert replaced["output"] == "0x" + word(0)
    # The prestate is the overridden state.
    pre = rpc(
        w3,
        "debug_traceCall",
        call,
        "latest",
        {
            "tracer": "prestateTracer",
            "stateOverrides": {TARGET: {"balance": "0x1234", "nonce": "0x9"}},
        },
    )
    assert pre[TARGET] == {
        "balance": "0x1234",
        "nonce": 9,
        "code": LOAD_RETURN,
        "codeHash": pre[TARGET]["codeHash"],
        "storage": {"0x" + word(0): "0x" + word(5)},
    }


def test_block_overrides_change_the_block_context(w3: Web3) -> None:
    head = w3.eth.get_block("latest")
    fee_recipient = "0x" + "c0" * 20
    config = {
        "tracer": "callTracer",
        "stateOverrides": {TARGET: {"code": BLOCK_FIELDS}},
        "blockOverrides": {
            "number": "0x99",
            "time": "0x12345678",
            "feeRecipient": fee_recipient,
            "baseFeePerGas": "0x7",
        },
    }
    frame = rpc(
        w3, "debug_traceCall", {"from": DEV0, "to": TARGET, "gasPrice": "0x7"}, "latest", config
    )
    assert frame["output"] == "0x" + word(0x99) + word(0x12345678) + word(
        int(fee_recipient, 16)
    ) + word(7)
    # Without overrides: the block's own fields; a zero price zeroes BASEFEE (geth's NoBaseFee).
    config.pop("blockOverrides")
    frame = rpc(w3, "debug_traceCall", {"from": DEV0, "to": TARGET}, "latest", config)
    assert frame["output"][2 : 2 + 128] == word(head["number"]) + word(head["timestamp"])
    assert frame["output"][-64:] == word(0)


def test_blockhash_when_the_number_is_overridden(w3: Web3) -> None:
    rpc(w3, "evm_mine")
    rpc(w3, "evm_mine")
    head = w3.eth.get_block("latest")
    n = head["number"]

    def blockhash_of(asked: int, number: int) -> str:
        code = "0x" + f"7f{word(asked)}" + "40600052602060" + "00f3"  # PUSH32 n BLOCKHASH ...
        config = {
            "tracer": "callTracer",
            "stateOverrides": {TARGET: {"code": code}},
            "blockOverrides": {"number": hex(number)},
        }
        return str(rpc(w3, "debug_traceCall", {"to": TARGET}, hex(n), config)["output"])

    # geth #32175: overridden to the next number, the block itself is the parent.
    assert blockhash_of(n, n + 1) == head["hash"].to_0x_hex()
    assert blockhash_of(n - 1, n + 1) == head["parentHash"].to_0x_hex()
    # Further on, geth answers from the block's own header: its ancestors only.
    assert blockhash_of(n, n + 5) == "0x" + word(0)
    assert blockhash_of(n - 1, n + 5) == head["parentHash"].to_0x_hex()


def test_tx_index_runs_on_the_state_inside_the_block(node: MockNode, w3: Web3) -> None:
    receiver = "0x" + "ab" * 20
    node.set_automine(False)
    try:
        for value in (5, 7):
            w3.eth.send_transaction(
                {
                    "from": Web3.to_checksum_address(DEV0),
                    "to": Web3.to_checksum_address(receiver),
                    "value": value,
                    "gas": 21000,
                }
            )  # type: ignore[typeddict-item]
        rpc(w3, "evm_mine")
    finally:
        node.set_automine(True)
    block = w3.eth.get_block("latest")
    assert len(block["transactions"]) == 2
    call = {"from": DEV1, "to": receiver}

    def receiver_balance(config: dict[str, Any]) -> Any:
        pre = rpc(
            w3,
            "debug_traceCall",
            call,
            hex(block["number"]),
            {"tracer": "prestateTracer", **config},
        )
        return pre.get(receiver, {}).get("balance")

    assert receiver_balance({"txIndex": "0x0"}) == "0x0"
    assert receiver_balance({"txIndex": "0x1"}) == "0x5"
    assert receiver_balance({}) == "0xc"
    # txIndex and a state override together: the override wins.
    assert (
        receiver_balance({"txIndex": "0x1", "stateOverrides": {receiver: {"balance": "0x63"}}})
        == "0x63"
    )
    error = rpc_error(w3, "debug_traceCall", call, hex(block["number"]), {"txIndex": "0x2"})
    assert error == {
        "code": -32000,
        "message": f"transaction index 2 out of range for block {block['hash'].to_0x_hex()}",
    }
    error = rpc_error(w3, "debug_traceCall", call, "0x0", {"txIndex": "0x0"})
    assert error == {"code": -32000, "message": "no transaction in genesis"}


def test_a_moved_precompile(w3: Web3) -> None:
    identity = "0x" + "00" * 19 + "04"
    config = {
        "tracer": "callTracer",
        "stateOverrides": {identity: {"movePrecompileToAddress": TARGET}},
    }
    moved = rpc(w3, "debug_traceCall", {"to": TARGET, "data": "0xc0ffee"}, "latest", config)
    assert moved["output"] == "0xc0ffee"
    gone = rpc(w3, "debug_traceCall", {"to": identity, "data": "0xc0ffee"}, "latest", config)
    assert "output" not in gone
    # No code there now: the intrinsic gas, at EIP-7623's calldata floor (10 per token,
    # 4 tokens a non-zero byte) above the standard 16 a byte.
    assert gone["gasUsed"] == hex(21000 + 10 * 4 * 3)


def test_errors(w3: Web3) -> None:
    call = {"to": TARGET}

    def error(config: Any, block: str = "latest") -> dict[str, Any]:
        return rpc_error(w3, "debug_traceCall", call, block, config)

    assert error({"stateOverrides": {TARGET: {"balance": 1}}}) == {
        "code": -32602,
        "message": "invalid argument 2: json: cannot unmarshal non-string into Go struct field "
        "OverrideAccount.stateOverrides.balance of type *hexutil.Big",
    }
    assert error({"stateOverrides": 5}) == {
        "code": -32602,
        "message": "invalid argument 2: json: cannot unmarshal number into Go struct field "
        "TraceCallConfig.stateOverrides of type override.StateOverride",
    }
    assert error({"blockOverrides": {"number": 5}}) == {
        "code": -32602,
        "message": "invalid argument 2: json: cannot unmarshal non-string into Go struct field "
        "BlockOverrides.blockOverrides.Number of type *hexutil.Big",
    }
    assert error({"txIndex": 1}) == {
        "code": -32602,
        "message": "invalid argument 2: json: cannot unmarshal non-string into Go struct field "
        "TraceCallConfig.txIndex of type hexutil.Uint",
    }
    assert error({"stateOverrides": {"0x12": {}}}) == {
        "code": -32602,
        "message": "invalid argument 2: hex string has length 2, want 40 for common.Address",
    }
    both = {TARGET: {"state": {}, "stateDiff": {}}}
    assert error({"stateOverrides": both}) == {
        "code": -32000,
        "message": f"account {Web3.to_checksum_address(TARGET)} has both 'state' and 'stateDiff'",
    }
    assert error({"blockOverrides": {"beaconRoot": "0x" + word(1)}}) == {
        "code": -32000,
        "message": 'block override "beaconRoot" is not supported for this RPC method',
    }
    not_a_precompile = {TARGET: {"movePrecompileToAddress": "0x" + "11" * 20}}
    assert error({"stateOverrides": not_a_precompile}) == {
        "code": -32000,
        "message": f"account {Web3.to_checksum_address(TARGET)} is not a precompile",
    }
    assert error({}, "pending") == {
        "code": -32000,
        "message": "tracing on top of pending is not supported",
    }
    # Nothing of a refused override stayed behind.
    assert rpc(w3, "eth_getCode", TARGET, "latest") == "0x"
