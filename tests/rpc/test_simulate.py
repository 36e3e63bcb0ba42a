"""eth_simulateV1 through web3.py's providers (HTTP and IPC) and raw HTTP: multi-block
simulations with block and state overrides, ``traceTransfers``, ``validation``,
``returnFullTransactions``, geth's result shape and error codes, and a chain that never
sees any of it."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from overrides_helpers import (
    BASEFEE,
    COINBASE,
    DEV0,
    DEV1,
    NUMBER,
    OTHER,
    POOR,
    TARGET,
    TIMESTAMP,
    chain_fingerprint,
    error,
    result,
    w3,
    word,
)
from web3 import Web3

from mocknode import MockNode

__all__ = ["w3"]

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
ETH = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
BLOCK_KEYS = [
    "baseFeePerGas",
    "blobGasUsed",
    "calls",
    "difficulty",
    "excessBlobGas",
    "extraData",
    "gasLimit",
    "gasUsed",
    "hash",
    "logsBloom",
    "miner",
    "mixHash",
    "nonce",
    "number",
    "parentBeaconBlockRoot",
    "parentHash",
    "receiptsRoot",
    "requestsHash",
    "sha3Uncles",
    "size",
    "stateRoot",
    "timestamp",
    "transactions",
    "transactionsRoot",
    "uncles",
    "withdrawals",
    "withdrawalsRoot",
]
LOG_KEYS = [
    "address",
    "topics",
    "data",
    "blockNumber",
    "transactionHash",
    "transactionIndex",
    "blockHash",
    "blockTimestamp",
    "logIndex",
    "removed",
]


def topic(address: str) -> str:
    return "0x" + "00" * 12 + address[2:].lower()


def simulate(w3: Web3, opts: dict[str, Any], block: str = "latest") -> list[dict[str, Any]]:
    answer: Any = w3.provider.make_request("eth_simulateV1", [opts, block])  # type: ignore[arg-type]
    assert "error" not in answer, answer
    out: list[dict[str, Any]] = answer["result"]
    return out


def test_blocks_calls_and_shapes(w3: Web3, node: MockNode) -> None:
    before = chain_fingerprint(node, [DEV0, DEV1, TARGET])
    head = int(result(node, "eth_blockNumber", []), 16)
    stamp = int(result(node, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    opts = {
        "blockStateCalls": [
            {
                "stateOverrides": {TARGET: {"code": NUMBER}},
                "calls": [
                    {"from": DEV0, "to": DEV1, "value": hex(5)},
                    {"from": DEV0, "to": TARGET},
                ],
            },
            {
                "blockOverrides": {"number": hex(head + 3), "time": hex(stamp + 100)},
                "stateOverrides": {TARGET: {"code": TIMESTAMP}},
                "calls": [{"from": DEV0, "to": TARGET}],
            },
        ]
    }
    blocks = simulate(w3, opts)
    assert [int(b["number"], 16) for b in blocks] == [head + 1, head + 2, head + 3]
    assert [int(b["timestamp"], 16) for b in blocks] == [stamp + 12, stamp + 24, stamp + 100]
    for block in blocks:
        assert list(block) == BLOCK_KEYS
    assert blocks[0]["parentHash"] == before["head"]["hash"]
    assert blocks[1]["parentHash"] == blocks[0]["hash"]
    assert blocks[2]["parentHash"] == blocks[1]["hash"]
    assert blocks[1]["calls"] == []
    assert blocks[1]["transactions"] == []
    transfer, number = blocks[0]["calls"]
    assert transfer == {"returnData": "0x", "logs": [], "gasUsed": hex(21000), "status": "0x1"}
    assert list(number) == ["returnData", "logs", "gasUsed", "status"]
    assert number["returnData"] == word(head + 1)
    assert blocks[2]["calls"][0]["returnData"] == word(stamp + 100)
    # Without validation the base fee is 0 and the calls pay nothing.
    assert blocks[0]["baseFeePerGas"] == "0x0"
    assert int(blocks[0]["gasUsed"], 16) == 21000 + int(number["gasUsed"], 16)
    assert len(blocks[0]["transactions"]) == 2
    assert chain_fingerprint(node, [DEV0, DEV1, TARGET]) == before


def test_state_carries_over_between_calls_and_blocks(w3: Web3, node: MockNode) -> None:
    balance_of_poor = "0x73" + POOR[2:] + "31" + "60005260206000f3"
    opts = {
        "blockStateCalls": [
            {
                "stateOverrides": {TARGET: {"code": balance_of_poor}},
                "calls": [
                    {"from": DEV0, "to": POOR, "value": hex(7)},
                    {"from": DEV0, "to": POOR, "value": hex(8)},
                    {"from": DEV1, "to": TARGET},
                ],
            },
            {
                "calls": [
                    {"from": DEV1, "to": TARGET},
                    {"from": POOR, "to": OTHER, "value": hex(15)},
                ]
            },
            {"calls": [{"from": DEV1, "to": TARGET}]},
        ]
    }
    first, second, third = simulate(w3, opts)
    assert first["calls"][2]["returnData"] == word(15)
    assert second["calls"][0]["returnData"] == word(15)
    assert second["calls"][1]["status"] == "0x1"  # POOR spends what it was sent
    assert third["calls"][0]["returnData"] == word(0)
    assert result(node, "eth_getBalance", [POOR, "latest"]) == "0x0"


def test_trace_transfers_logs_erc7528_transfers(w3: Web3, node: MockNode) -> None:
    # TARGET forwards 3 wei to OTHER, then logs LOG0 with no data.
    forward = "0x600060006000600060037" + "3" + OTHER[2:] + "5af150" + "6000" + "6000a0" + "00"
    opts = {
        "blockStateCalls": [
            {
                "stateOverrides": {TARGET: {"code": forward}},
                "calls": [{"from": DEV0, "to": TARGET, "value": hex(10)}],
            }
        ],
        "traceTransfers": True,
    }
    [block] = simulate(w3, opts)
    [call] = block["calls"]
    logs = call["logs"]
    assert [list(log) for log in logs] == [LOG_KEYS] * 3
    outer, inner, own = logs
    assert outer["address"] == ETH
    assert inner["address"] == ETH
    assert outer["topics"] == [TRANSFER_TOPIC, topic(DEV0), topic(TARGET)]
    assert outer["data"] == word(10)
    assert inner["topics"] == [TRANSFER_TOPIC, topic(TARGET), topic(OTHER)]
    assert inner["data"] == word(3)
    assert own["address"] == TARGET.lower()
    assert own["topics"] == []
    assert [log["logIndex"] for log in logs] == ["0x0", "0x1", "0x2"]
    for log in logs:
        assert log["blockHash"] == block["hash"]
        assert log["blockNumber"] == block["number"]
        assert log["transactionHash"] == block["transactions"][0]
        assert log["transactionIndex"] == "0x0"
        assert log["removed"] is False
    # Without traceTransfers, only the contract's own log.
    opts["traceTransfers"] = False
    [block] = simulate(w3, opts)
    assert [log["address"] for log in block["calls"][0]["logs"]] == [TARGET.lower()]


def test_a_reverted_frame_drops_its_transfer_log(w3: Web3) -> None:
    # TARGET sends 3 wei to OTHER, whose code reverts; TARGET itself succeeds.
    forward = "0x600060006000600060037" + "3" + OTHER[2:] + "5af150" + "00"
    state = {TARGET: {"code": forward}, OTHER: {"code": "0x60006000fd"}}
    opts = {
        "blockStateCalls": [
            {"stateOverrides": state, "calls": [{"from": DEV0, "to": TARGET, "value": hex(10)}]}
        ],
        "traceTransfers": True,
    }
    [block] = simulate(w3, opts)
    [call] = block["calls"]
    assert call["status"] == "0x1"
    assert [log["topics"][2] for log in call["logs"]] == [topic(TARGET)]


def test_reverts_and_vm_errors_per_call(w3: Web3) -> None:
    reason = "0x08c379a0" + encode(["string"], ["nope"]).hex()
    size = (len(reason) - 2) // 2
    # Store the revert payload with CODECOPY from the code's tail, then REVERT.
    prefix_len = 15
    code = (
        "0x61"
        + size.to_bytes(2, "big").hex()
        + "61"
        + prefix_len.to_bytes(2, "big").hex()
        + "600039"
        + "61"
        + size.to_bytes(2, "big").hex()
        + "6000fd"
    )
    assert (len(code) - 2) // 2 == prefix_len
    code += reason[2:]
    opts = {
        "blockStateCalls": [
            {
                "stateOverrides": {TARGET: {"code": code}, OTHER: {"code": "0xfe"}},
                "calls": [
                    {"from": DEV0, "to": TARGET},
                    {"from": DEV0, "to": OTHER, "gas": "0x7530"},
                ],
            }
        ]
    }
    [block] = simulate(w3, opts)
    reverted, invalid = block["calls"]
    assert reverted["status"] == "0x0"
    assert reverted["returnData"] == reason
    assert reverted["error"] == {
        "message": "execution reverted: nope",
        "code": -32000,
        "data": reason,
    }
    assert list(reverted) == ["returnData", "logs", "gasUsed", "status", "error"]
    assert invalid["status"] == "0x0"
    assert invalid["gasUsed"] == "0x7530"
    assert invalid["error"] == {"message": "invalid opcode: INVALID", "code": -32015}


def test_full_transactions(w3: Web3) -> None:
    opts = {
        "blockStateCalls": [
            {"calls": [{"from": DEV1, "to": OTHER, "value": "0x1", "input": "0x1234"}]}
        ],
        "returnFullTransactions": True,
    }
    [block] = simulate(w3, opts)
    [tx] = block["transactions"]
    assert tx["from"] == DEV1.lower() or Web3.to_checksum_address(tx["from"]) == DEV1
    assert tx["to"] == OTHER.lower()
    assert tx["input"] == "0x1234"
    assert tx["type"] == "0x2"
    assert tx["blockHash"] == block["hash"]
    assert tx["transactionIndex"] == "0x0"
    opts["returnFullTransactions"] = False
    [hashes] = simulate(w3, opts)
    assert hashes["transactions"] == [tx["hash"]]


def test_validation(node: MockNode) -> None:
    base_fee = int(result(node, "eth_getBlockByNumber", ["latest", False])["baseFeePerGas"], 16)
    state: dict[str, Any] = {TARGET: {"code": BASEFEE}}

    def sim(calls: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        opts = {
            "blockStateCalls": [{"stateOverrides": state, "calls": calls, **extra}],
            "validation": True,
        }
        return {"params": [opts, "latest"]}

    fee = hex(10 * base_fee)
    ok = sim([{"from": DEV0, "to": TARGET, "maxFeePerGas": fee, "maxPriorityFeePerGas": "0x0"}])
    [block] = result(node, "eth_simulateV1", ok["params"])
    assert int(block["baseFeePerGas"], 16) > 0  # EIP-1559 from the head, not 0
    assert block["calls"][0]["returnData"] == word(int(block["baseFeePerGas"], 16))
    # The sender's nonce, overridden to 5: 6 is too high, 4 too low.
    state[DEV0] = {"nonce": "0x5"}
    high = sim([{"from": DEV0, "to": TARGET, "nonce": "0x6", "maxFeePerGas": fee}])
    assert error(node, "eth_simulateV1", high["params"]) == {
        "code": -38011,
        "message": f"nonce too high: address {DEV0}, tx: 6 state: 5",
    }
    low = sim([{"from": DEV0, "to": TARGET, "nonce": "0x4", "maxFeePerGas": fee}])
    assert error(node, "eth_simulateV1", low["params"]) == {
        "code": -38010,
        "message": f"nonce too low: address {DEV0}, tx: 4 state: 5",
    }
    # Without validation nonces are not checked.
    opts = {
        "blockStateCalls": [
            {"stateOverrides": state, "calls": [{"from": DEV0, "to": TARGET, "nonce": "0x9"}]}
        ]
    }
    [block] = result(node, "eth_simulateV1", [opts, "latest"])
    assert block["calls"][0]["status"] == "0x1"
    del state[DEV0]
    cheap = sim([{"from": DEV0, "to": TARGET, "maxFeePerGas": "0x1"}])
    answer = error(node, "eth_simulateV1", cheap["params"])
    assert answer["code"] == -32602
    assert answer["message"].startswith(f"max fee per gas less than block base fee: address {DEV0}")
    broke = sim([{"from": POOR, "to": TARGET, "maxFeePerGas": fee, "gas": "0x5208"}])
    want = 21000 * 10 * base_fee
    assert error(node, "eth_simulateV1", broke["params"]) == {
        "code": -38014,
        "message": "insufficient funds for gas * price + value: address "
        f"{Web3.to_checksum_address(POOR)} have 0 want {want}",
    }


def test_fee_recipient_and_precompile_moves(w3: Web3) -> None:
    identity = "0x0000000000000000000000000000000000000004"
    opts = {
        "blockStateCalls": [
            {
                "blockOverrides": {"feeRecipient": OTHER},
                "stateOverrides": {identity: {"movePrecompileToAddress": TARGET}},
                "calls": [
                    {"from": DEV0, "to": TARGET, "input": "0xabcd"},
                    {"from": DEV0, "to": identity, "input": "0xabcd"},
                ],
            },
            {"stateOverrides": {POOR: {"code": COINBASE}}, "calls": [{"from": DEV0, "to": POOR}]},
        ]
    }
    first, second = simulate(w3, opts)
    assert first["miner"] == OTHER.lower()
    assert [c["returnData"] for c in first["calls"]] == ["0xabcd", "0x"]
    # The next block inherits the fee recipient (geth makes each header from the last).
    assert second["miner"] == OTHER.lower()
    assert second["calls"][0]["returnData"] == word(int(OTHER, 16))


@pytest.mark.parametrize(
    ("opts", "code", "message"),
    [
        ({"blockStateCalls": []}, -32602, "empty input"),
        (None, -32602, "empty input"),
        ({"blockStateCalls": [{}] * 257}, -38026, "too many blocks"),
        (
            {"blockStateCalls": [{"blockOverrides": {"number": "0x1000000"}}]},
            -38026,
            "too many blocks",
        ),
        (
            {"blockStateCalls": [{"calls": [{"gas": "0x1c9c381"}]}]},
            -38015,
            "block gas limit reached: 0 >= 30000000",
        ),
        (
            {"blockStateCalls": [{"calls": [{"to": TARGET, "gas": "0x5207"}]}]},
            -38013,
            "intrinsic gas too low: have 20999, want 21000",
        ),
        (
            {"blockStateCalls": [{"calls": [{"gasPrice": "0x1", "maxFeePerGas": "0x1"}]}]},
            -32000,
            "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified",
        ),
        (
            {"blockStateCalls": [{"stateOverrides": {TARGET: {"state": {}, "stateDiff": {}}}}]},
            -32000,
            "account 0x1111111111111111111111111111111111111111 has both 'state' and 'stateDiff'",
        ),
    ],
)
def test_errors(node: MockNode, opts: Any, code: int, message: str) -> None:
    assert error(node, "eth_simulateV1", [opts, "latest"]) == {"code": code, "message": message}


def test_block_order_errors(node: MockNode) -> None:
    head = int(result(node, "eth_blockNumber", []), 16)
    stamp = int(result(node, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    opts = {"blockStateCalls": [{"blockOverrides": {"number": hex(head)}}]}
    assert error(node, "eth_simulateV1", [opts, "latest"]) == {
        "code": -38020,
        "message": f"block numbers must be in order: {head} <= {head}",
    }
    opts = {"blockStateCalls": [{"blockOverrides": {"time": hex(stamp)}}]}
    assert error(node, "eth_simulateV1", [opts, "latest"]) == {
        "code": -38021,
        "message": f"block timestamps must be in order: {stamp} <= {stamp}",
    }


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        ("0x1", "json: cannot unmarshal string into Go value of type ethapi.simOpts"),
        (
            {"blockStateCalls": {}},
            "json: cannot unmarshal object into Go struct field simOpts.blockStateCalls of type "
            "[]ethapi.simBlock",
        ),
        (
            {"blockStateCalls": [], "validation": "yes"},
            "json: cannot unmarshal string into Go struct field simOpts.validation of type bool",
        ),
    ],
)
def test_bad_params(node: MockNode, opts: Any, message: str) -> None:
    assert error(node, "eth_simulateV1", [opts]) == {
        "code": -32602,
        "message": f"invalid argument 0: {message}",
    }


def test_on_an_older_block(node: MockNode) -> None:
    [block] = result(
        node, "eth_simulateV1", [{"blockStateCalls": [{"calls": [{"to": TARGET}]}]}, "0x0"]
    )
    assert block["number"] == "0x1"
    assert block["parentHash"] == result(node, "eth_getBlockByNumber", ["0x0", False])["hash"]


def test_transient_storage_is_per_call(w3: Web3) -> None:
    # TLOAD(0) is returned, then TSTORE(0, 5): the next call starts with it cleared again.
    code = "0x60005c" + "600052" + "600560005d" + "60206000f3"
    calls = [{"from": DEV0, "to": TARGET}, {"from": DEV0, "to": TARGET}]
    opts = {"blockStateCalls": [{"stateOverrides": {TARGET: {"code": code}}, "calls": calls}]}
    [block] = simulate(w3, opts)
    assert [c["returnData"] for c in block["calls"]] == [word(0), word(0)]
