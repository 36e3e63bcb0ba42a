"""eth_sendRawTransactionSync (EIP-7966) when the send does not mine: the call waits for
the block another client mines, over every web3.py transport, and times out as geth does.

The miner is a second client (plain HTTP from a thread) calling ``evm_mine`` while the
first waits: its answer coming back at all shows the wait holds up no other connection.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from client_helpers import CHAIN_ID, DEV, DEV_KEYS, GWEI, aw, raw_error, raw_result
from eth_account import Account
from eth_utils import keccak

from mocknode import MockNode
from mocknode.rpc.methods.send_sync import go_duration, timeout_ms

KEY = DEV_KEYS[8]


def signed_raw(nonce: int) -> str:
    tx = {
        "type": 2,
        "chainId": CHAIN_ID,
        "to": DEV[9],
        "value": 1,
        "gas": 21000,
        "maxFeePerGas": 10 * GWEI,
        "maxPriorityFeePerGas": GWEI,
        "nonce": nonce,
    }
    return str(Account.sign_transaction(tx, KEY.key).raw_transaction.to_0x_hex())


def post(url: str, method: str, params: list[Any]) -> dict[str, Any]:
    body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


@pytest.fixture
def no_automine(node: MockNode) -> Iterator[None]:
    node.set_automine(False)
    try:
        yield
    finally:
        node.set_automine(True)


class Miner(threading.Thread):
    """Another client: after ``delay`` seconds, asks for the block number and mines one."""

    def __init__(self, url: str, delay: float) -> None:
        super().__init__(daemon=True)
        self.url, self.delay = url, delay
        self.answers: list[dict[str, Any]] = []
        self.mined_at = 0.0

    def run(self) -> None:
        time.sleep(self.delay)
        self.answers.append(post(self.url, "eth_blockNumber", []))
        self.mined_at = time.monotonic()
        self.answers.append(post(self.url, "evm_mine", []))


@pytest.mark.asyncio
@pytest.mark.usefixtures("no_automine")
async def test_waits_for_the_block_another_client_mines(w3: Any, node: MockNode) -> None:
    nonce = await aw(w3.eth.get_transaction_count(KEY.address))
    head = node.block_number()
    raw = signed_raw(nonce)
    miner = Miner(node.http_url, 0.4)
    started = time.monotonic()
    miner.start()
    receipt = await raw_result(w3, "eth_sendRawTransactionSync", [raw, "0x2710"])
    answered = time.monotonic()
    miner.join(10)
    # The other client was answered while this one waited, and the answer came after
    # its block, well before the 10 s timeout.
    assert miner.answers == [
        {"jsonrpc": "2.0", "id": 7, "result": hex(head)},
        {"jsonrpc": "2.0", "id": 7, "result": "0x0"},
    ]
    assert miner.mined_at - started >= 0.4
    assert answered >= miner.mined_at
    assert answered - started < 5
    assert receipt["transactionHash"] == "0x" + keccak(bytes.fromhex(raw[2:])).hex()
    assert receipt["blockNumber"] == hex(head + 1)
    assert receipt["status"] == "0x1"
    assert receipt == await raw_result(
        w3, "eth_getTransactionReceipt", [receipt["transactionHash"]]
    )


@pytest.mark.asyncio
@pytest.mark.usefixtures("no_automine")
async def test_times_out_with_geths_error(w3: Any, node: MockNode) -> None:
    nonce = await aw(w3.eth.get_transaction_count(KEY.address))
    raw = signed_raw(nonce)
    started = time.monotonic()
    assert await raw_error(w3, "eth_sendRawTransactionSync", [raw, "0x12c"]) == {
        "code": 4,
        "message": "The transaction was added to the transaction pool but wasn't processed in "
        "300ms",
        "data": "0x" + keccak(bytes.fromhex(raw[2:])).hex(),
    }
    waited = time.monotonic() - started
    assert 0.3 <= waited < 3
    # It stays in the pool, as in geth, and a later block includes it.
    assert await raw_result(w3, "txpool_status", []) == {"pending": "0x1", "queued": "0x0"}
    node.mine()
    receipt = await raw_result(
        w3, "eth_getTransactionReceipt", ["0x" + keccak(bytes.fromhex(raw[2:])).hex()]
    )
    assert receipt["status"] == "0x1"


@pytest.mark.usefixtures("no_automine")
def test_a_batch_waits_for_its_deferred_call(node: MockNode) -> None:
    """In a batch, the other calls' answers are kept and the waiting one filled in."""
    nonce = int(
        post(node.http_url, "eth_getTransactionCount", [KEY.address, "pending"])["result"], 16
    )
    raw = signed_raw(nonce)
    miner = Miner(node.http_url, 0.3)
    miner.start()
    body = json.dumps(
        [
            {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransactionSync", "params": [raw]},
            {
                "jsonrpc": "2.0",
                "method": "eth_sendRawTransactionSync",
                "params": [signed_raw(nonce + 1), "0x1"],
            },
        ]
    ).encode()
    request = urllib.request.Request(node.http_url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answers = json.loads(response.read())
    miner.join(10)
    assert [a["id"] for a in answers] == [1, 2]
    assert answers[0]["result"] == "0x7a69"
    assert answers[1]["result"]["status"] == "0x1"
    assert answers[1]["result"]["transactionHash"] == "0x" + keccak(bytes.fromhex(raw[2:])).hex()


def test_timeouts_print_as_go_durations() -> None:
    """geth's default (none or 0: 20 s) and cap (a minute), as Go prints them."""
    assert [
        go_duration(timeout_ms(t)) for t in (None, 0, 1, 500, 1500, 20_000, 60_000, 90_000)
    ] == [
        "20s",
        "20s",
        "1ms",
        "500ms",
        "1.5s",
        "20s",
        "1m0s",
        "1m0s",
    ]
