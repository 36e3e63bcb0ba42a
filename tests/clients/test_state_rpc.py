"""State and time over JSON-RPC through web3.py on real sockets: ``anvil_dumpState``,
``anvil_loadState``, their ``hardhat_`` names, and ``mock_advanceTime``.

A chain built over JSON-RPC is dumped from one node and loaded into a fresh one; every
block, transaction, receipt, log, historical balance, proof and pooled transaction then
reads the same over JSON-RPC, and both nodes mine the same next block. These tests run
their own nodes (a load forgets snapshots, and the session node reverts by snapshot).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest
from client_helpers import DEV
from dev_helpers import LOGGER_RUNTIME, call, deploy, error, topic
from web3 import AsyncWeb3, HTTPProvider, IPCProvider, Web3, WebSocketProvider

from mocknode import ChainConfig, FixedClock, MockNode, NodeConfig

WHALE = "0x" + "77" * 20
EDITED = "0x" + "ed" * 20


def fixed(**options: Any) -> NodeConfig:
    """A node on a fixed clock, so two nodes stamp the same next block alike."""
    return NodeConfig(port=0, ipc_path=None, chain=ChainConfig(clock=FixedClock()), **options)


@pytest.fixture
def pair() -> Iterator[tuple[Web3, Web3]]:
    with MockNode(fixed()) as source, MockNode(fixed()) as target:
        yield (
            Web3(HTTPProvider(source.http_url, request_kwargs={"timeout": 30})),
            Web3(HTTPProvider(target.http_url, request_kwargs={"timeout": 30})),
        )


def build(w3: Web3) -> list[str]:
    """A chain with contracts, logs, dev edits, an impersonated sender and a pool; the
    hashes of every transaction sent (mined or pending)."""
    logger = deploy(w3, LOGGER_RUNTIME, DEV[0])
    sent = [
        call(w3, "eth_sendTransaction", [{"from": DEV[1], "to": logger, "data": topic(n)}])
        for n in range(3)
    ]
    call(w3, "anvil_setBalance", [EDITED, "0x7b"])
    call(w3, "anvil_setStorageAt", [logger, "0x5", topic(9)])
    call(w3, "anvil_impersonateAccount", [WHALE])
    call(w3, "anvil_setBalance", [WHALE, hex(10**20)])
    sent.append(call(w3, "eth_sendTransaction", [{"from": WHALE, "to": DEV[2], "value": "0x1"}]))
    call(w3, "evm_increaseTime", [100])
    call(w3, "anvil_mine", ["0x3"])
    call(w3, "evm_setAutomine", [False])
    sent += [
        call(w3, "eth_sendTransaction", [{"from": DEV[k], "to": DEV[3], "value": hex(k)}])
        for k in (0, 1, 0)
    ]
    call(w3, "anvil_setBalance", [EDITED, "0x1c8"])  # after the head
    return sent


def reads(w3: Web3, hashes: list[str]) -> dict[str, Any]:
    """Everything a client can read of the chain, as raw JSON-RPC results."""
    head = int(call(w3, "eth_blockNumber", []), 16)
    middle = hex(head // 2)
    return {
        "blocks": [call(w3, "eth_getBlockByNumber", [hex(n), True]) for n in range(head + 1)],
        "txs": [call(w3, "eth_getTransactionByHash", [h]) for h in hashes],
        "receipts": [call(w3, "eth_getTransactionReceipt", [h]) for h in hashes],
        "logs": call(w3, "eth_getLogs", [{"fromBlock": "0x0", "toBlock": "latest"}]),
        "balances": [
            call(w3, "eth_getBalance", [who, hex(n)])
            for who in (EDITED, WHALE, DEV[0])
            for n in range(head + 1)
        ],
        "latest_edit": call(w3, "eth_getBalance", [EDITED, "latest"]),
        "proof": call(w3, "eth_getProof", [DEV[1], ["0x0"], middle]),
        "pending_nonce": call(w3, "eth_getTransactionCount", [DEV[0], "pending"]),
    }


def test_dump_and_load_round_trip_over_json_rpc(pair: tuple[Web3, Web3]) -> None:
    source, target = pair
    hashes = build(source)
    dumped = call(source, "anvil_dumpState", [])
    document = json.loads(gzip.decompress(bytes.fromhex(dumped[2:])))  # anvil's shape
    assert (document["format"], document["version"]) == ("mocknode-state", 1)

    assert call(target, "anvil_loadState", [dumped]) is True
    before = reads(source, hashes)
    assert reads(target, hashes) == before
    assert sum(r is None for r in before["receipts"]) == 3  # three still pending
    assert len(before["logs"]) == 3

    # Both mine the same next block from the same pool (mining mode is each node's own).
    call(target, "evm_setAutomine", [False])
    for w3 in (source, target):
        call(w3, "evm_mine", [])
    assert call(source, "eth_getBlockByNumber", ["latest", True]) == call(
        target, "eth_getBlockByNumber", ["latest", True]
    )
    assert len(call(source, "eth_getBlockByNumber", ["latest", False])["transactions"]) == 3


def test_hardhat_names_and_the_optional_flag_answer_the_same(pair: tuple[Web3, Web3]) -> None:
    source, target = pair
    call(source, "anvil_mine", ["0x2"])
    dumped = call(source, "anvil_dumpState", [])
    assert call(source, "hardhat_dumpState", []) == dumped  # gzip without a timestamp
    assert call(source, "anvil_dumpState", [True]) == dumped  # history is always kept
    assert call(source, "anvil_dumpState", [False]) == dumped
    assert call(target, "hardhat_loadState", [dumped]) is True
    assert call(target, "eth_blockNumber", []) == "0x2"
    plain = gzip.decompress(bytes.fromhex(dumped[2:]))
    assert call(target, "anvil_loadState", ["0x" + plain.hex()]) is True  # unzipped too


def test_load_refuses_what_it_cannot_read_and_changes_nothing(pair: tuple[Web3, Web3]) -> None:
    source, target = pair
    call(target, "anvil_mine", ["0x4"])
    document = json.loads(gzip.decompress(bytes.fromhex(call(source, "anvil_dumpState", [])[2:])))
    document["version"] = 2
    document["written_by"] = "mocknode 9.9.9"
    newer = "0x" + gzip.compress(json.dumps(document).encode()).hex()
    assert error(target, "anvil_loadState", [newer])["message"].startswith(
        "invalid argument 0: state version 2 was written by mocknode 9.9.9; this mocknode ("
    )
    assert error(target, "anvil_loadState", [newer])["message"].endswith(
        "reads versions up to 1: upgrade mocknode to load it"
    )
    assert error(target, "anvil_loadState", ["0x1234"]) == {
        "code": -32602,
        "message": "invalid argument 0: not a mocknode state: not JSON (Expecting value: "
        "line 1 column 1 (char 0))",
    }
    anvil_shaped = {"block": {}, "accounts": {}, "best_block_number": "0x0"}
    assert (
        "an anvil state dump"
        in error(target, "anvil_loadState", ["0x" + json.dumps(anvil_shaped).encode().hex()])[
            "message"
        ]
    )
    assert error(target, "anvil_loadState", ["zz"])["code"] == -32602
    assert call(target, "eth_blockNumber", []) == "0x4"


@pytest.mark.asyncio
@pytest.mark.parametrize("transport", ["http", "websocket", "ipc"])
async def test_every_method_over_each_transport(transport: str, tmp_path: Any) -> None:
    """``anvil_dumpState`` from a virtual-time node, ``anvil_loadState`` into another,
    and ``mock_advanceTime`` on both, each call over ``transport``."""

    async def on(node: MockNode, method: str, *params: Any) -> Any:
        if transport == "websocket":
            async with AsyncWeb3(WebSocketProvider(node.ws_url)) as aw3:
                response = await aw3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        else:
            provider = (
                HTTPProvider(node.http_url)
                if transport == "http"
                else IPCProvider(node.ipc_path, timeout=10)
            )
            response = provider.make_request(method, list(params))  # type: ignore[arg-type]
        assert "error" not in response, response
        return response["result"]

    def config(name: str) -> NodeConfig:
        return NodeConfig(port=0, ipc_path=str(tmp_path / name), virtual_time=True)

    with MockNode(config("a.ipc")) as source, MockNode(config("b.ipc")) as target:
        source.set_interval_mining(12)
        mined = await on(source, "mock_advanceTime", 36)
        assert len(mined) == 3
        dumped = await on(source, "anvil_dumpState")
        assert await on(target, "anvil_loadState", dumped) is True
        assert await on(target, "eth_getBlockByNumber", "latest", False) == await on(
            source, "eth_getBlockByNumber", "latest", False
        )
        # The loaded node's clock took the dumped one's time; its interval is its own.
        assert await on(target, "mock_advanceTime", 12) == []
        target.set_interval_mining(12)
        later = await on(target, "mock_advanceTime", 12)
        assert later == await on(source, "mock_advanceTime", 12)  # the same next block
