"""eth_feeHistory and the pending block through web3.py, over every web3.py transport,
plus geth's error texts for bad arguments (checked on the raw bytes over HTTP)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from client_helpers import DEV, FRESH, GWEI, aw, deploy_greeter, is_async, raw, raw_result, selector
from web3._utils.fee_utils import async_fee_history_priority_fee, fee_history_priority_fee

from mocknode import MockNode

FEE_HISTORY_KEYS = [
    "oldestBlock",
    "reward",
    "baseFeePerGas",
    "gasUsedRatio",
    "baseFeePerBlobGas",
    "blobGasUsedRatio",
]


async def transfer(w3: Any, value: int, **extra: Any) -> Any:
    return await aw(
        w3.eth.send_transaction({"from": DEV[0], "to": DEV[1], "value": value, **extra})
    )


@pytest.mark.asyncio
async def test_fee_history_over_the_latest_blocks(w3: Any, start_block: int) -> None:
    await transfer(w3, 1)  # default fees: a 1 gwei tip
    await transfer(w3, 2, maxPriorityFeePerGas=3 * GWEI, maxFeePerGas=10 * GWEI)
    head = start_block + 2
    blocks = [await aw(w3.eth.get_block(n)) for n in (head - 1, head)]
    history = await aw(w3.eth.fee_history(2, "latest", [10.0, 90.0]))
    assert history["oldestBlock"] == head - 1
    assert history["reward"] == [[GWEI, GWEI], [3 * GWEI, 3 * GWEI]]
    base_fees = [b["baseFeePerGas"] for b in blocks]
    assert history["baseFeePerGas"][:2] == base_fees
    # The block after the newest: EIP-1559 from a block 0.07% full, 1/8 down almost.
    next_fee = base_fees[1] - base_fees[1] * (15_000_000 - 21_000) // 15_000_000 // 8
    assert history["baseFeePerGas"][2] == next_fee
    assert history["gasUsedRatio"] == [21_000 / 30_000_000] * 2
    assert history["baseFeePerBlobGas"] == ["0x1"] * 3  # web3.py leaves these as sent
    assert history["blobGasUsedRatio"] == [0, 0]
    # The raw answer: geth's key order, Go's float text.
    answer = await raw(w3, "eth_feeHistory", ["0x2", "latest", [10, 90]])
    assert list(answer["result"]) == FEE_HISTORY_KEYS
    assert answer["result"]["gasUsedRatio"] == [0.0007, 0.0007]
    no_rewards = await raw_result(w3, "eth_feeHistory", [2, hex(head), []])
    assert "reward" not in no_rewards
    assert no_rewards["oldestBlock"] == hex(head - 1)


@pytest.mark.asyncio
async def test_web3s_fee_fallback_reads_the_pending_history(w3: Any, start_block: int) -> None:
    # web3.py's max_priority_fee falls back to fee_history(10, "pending", [5.0]).
    await transfer(w3, 1, maxPriorityFeePerGas=GWEI + 12345)
    history = await aw(w3.eth.fee_history(10, "pending", [5.0]))
    pending = start_block + 2  # the transfer's block is the head, the pending one follows
    assert history["oldestBlock"] == max(0, pending - 9)
    count = pending - history["oldestBlock"] + 1
    assert len(history["reward"]) == len(history["gasUsedRatio"]) == count
    assert history["reward"][-1] == [0]  # the pending block is empty (automine)
    assert history["reward"][-2] == [GWEI + 12345]
    if is_async(w3):
        estimate = await async_fee_history_priority_fee(w3.eth)
    else:
        estimate = fee_history_priority_fee(w3.eth)
    assert GWEI <= estimate <= 1_500_000_000


@pytest.mark.asyncio
async def test_the_pending_block_holds_the_pool(
    w3: Any, node: MockNode, greeter_artifact: dict[str, Any]
) -> None:
    greeter, _ = await deploy_greeter(w3, greeter_artifact)
    node.set_automine(False)
    tx_hash = await transfer(w3, 5)
    increment = "0x" + selector("increment()").hex()
    bump = await aw(
        w3.eth.send_transaction(
            {"from": DEV[2], "to": greeter.address, "data": increment, "gas": 100_000}
        )
    )
    head = await aw(w3.eth.get_block("latest"))
    pending = await aw(w3.eth.get_block("pending"))
    assert pending["number"] == head["number"] + 1
    assert pending["parentHash"] == head["hash"]
    assert (pending["hash"], pending["nonce"], pending["miner"]) == (None, None, None)
    assert "parentBeaconBlockRoot" not in pending
    assert [bytes(h) for h in pending["transactions"]] == [bytes(tx_hash), bytes(bump)]
    assert pending["gasUsed"] > 21_000
    full = await aw(w3.eth.get_block("pending", True))
    assert full["transactions"][0]["blockNumber"] == pending["number"]
    assert full["transactions"][1]["transactionIndex"] == 1
    # Every method that takes a block tag reads the pending state.
    assert (
        await aw(w3.eth.get_balance(DEV[1], "pending"))
        == await aw(w3.eth.get_balance(DEV[1], "latest")) + 5
    )
    assert (
        await aw(w3.eth.get_transaction_count(DEV[0], "pending"))
        == await aw(w3.eth.get_transaction_count(DEV[0], "latest")) + 1
    )
    counter = {"to": greeter.address, "data": "0x" + selector("counter()").hex()}
    assert int.from_bytes(await aw(w3.eth.call(counter, "latest")), "big") == 0
    assert int.from_bytes(await aw(w3.eth.call(counter, "pending")), "big") == 1
    # Greeter's counter is storage slot 1.
    assert int.from_bytes(await aw(w3.eth.get_storage_at(greeter.address, 1, "latest")), "big") == 0
    assert (
        int.from_bytes(await aw(w3.eth.get_storage_at(greeter.address, 1, "pending")), "big") == 1
    )
    call = {"from": DEV[2], "to": greeter.address, "data": increment}
    assert await aw(w3.eth.estimate_gas(call, "pending")) < await aw(
        w3.eth.estimate_gas(call, "latest")
    )  # the pending counter is non-zero: a cheaper SSTORE
    assert await aw(w3.eth.get_block_transaction_count("pending")) == 2
    by_index = await aw(w3.eth.get_transaction_by_block("pending", 0))
    assert bytes(by_index["hash"]) == bytes(tx_hash)
    header = await raw_result(w3, "eth_getHeaderByNumber", ["pending"])
    assert (header["hash"], header["nonce"], header["miner"]) == (None, None, None)
    assert header["number"] == hex(pending["number"])
    assert await aw(w3.eth.get_code(FRESH, "pending")) == b""


# -- errors over HTTP, as bytes ------------------------------------------------------------


def rpc_error(node: MockNode, method: str, params: list[Any]) -> dict[str, Any]:
    payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    body = requests.post(node.http_url, json=payload, timeout=10).json()
    assert "result" not in body, body
    return dict(body["error"])


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ([2, "latest"], (-32602, "missing value for required argument 2")),
        (
            ["two", "latest", []],
            (-32602, 'invalid argument 0: invalid hex or decimal integer "two"'),
        ),
        ([2, 5, []], (-32602, "invalid argument 1: hex string without 0x prefix")),
        (
            [2, "latest", "50"],
            (
                -32602,
                "invalid argument 2: json: cannot unmarshal string into Go value of type []float64",
            ),
        ),
        ([2, "latest", [101]], (-32000, "invalid reward percentile: 101.000000")),
        (
            [2, "latest", [20, 10]],
            (-32000, "invalid reward percentile: #0:20.000000 >= #1:10.000000"),
        ),
        ([2, "0xffff", []], (-32000, "request beyond head block: requested 65535, head {head}")),
    ],
)
def test_fee_history_errors(node: MockNode, params: list[Any], error: tuple[int, str]) -> None:
    code, message = error
    message = message.format(head=node.block_number())
    assert rpc_error(node, "eth_feeHistory", params) == {"code": code, "message": message}


def test_no_blocks_is_an_empty_history(node: MockNode) -> None:
    body = requests.post(
        node.http_url,
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_feeHistory",
            "params": ["0x0", "latest", [200]],
        },
        timeout=10,
    )
    assert (
        body.content
        == b'{"jsonrpc":"2.0","id":1,"result":{"oldestBlock":"0x0","gasUsedRatio":null}}'
    )


def test_pending_logs_are_refused_as_geth_refuses_them(node: MockNode) -> None:
    assert rpc_error(node, "eth_getLogs", [{"fromBlock": "latest", "toBlock": "pending"}]) == {
        "code": -32000,
        "message": "pending logs are not supported",
    }
