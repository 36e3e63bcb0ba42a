"""The remaining reads through web3.py over every transport: raw transactions by block,
uncles, headers, accounts, transactions by sender and nonce, the pool (txpool_*,
eth_pendingTransactions), eth_sendRawTransactionSync, rpc_modules; and the
transactionReceipts and syncing subscriptions over WebSocket and IPC."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from client_helpers import (
    CHAIN_ID,
    DEV,
    DEV_KEYS,
    FRESH,
    GWEI,
    aw,
    raw_error,
    raw_result,
)
from eth_account import Account
from eth_utils import keccak
from web3 import AsyncIPCProvider, AsyncWeb3, WebSocketProvider

from mocknode import MockNode

EMPTY_CODE_HASH = "0x" + keccak(b"").hex()
EMPTY_ROOT = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
HEADER_DROPS = {"size", "transactions", "uncles", "withdrawals"}


async def transfer(w3: Any, sender: str = DEV[0], value: int = 1, **extra: Any) -> str:
    tx_hash = await aw(
        w3.eth.send_transaction({"from": sender, "to": DEV[1], "value": value, **extra})
    )
    return "0x" + bytes(tx_hash).hex()


def signed_raw(key: Any, nonce: int, value: int = 1) -> str:
    tx = {
        "type": 2,
        "chainId": CHAIN_ID,
        "to": DEV[9],
        "value": value,
        "gas": 21000,
        "maxFeePerGas": 10 * GWEI,
        "maxPriorityFeePerGas": GWEI,
        "nonce": nonce,
    }
    return str(Account.sign_transaction(tx, key.key).raw_transaction.to_0x_hex())


@pytest.mark.asyncio
async def test_raw_transactions_by_block_and_index(w3: Any, start_block: int) -> None:
    first = await transfer(w3)
    raw_first = await raw_result(w3, "eth_getRawTransactionByHash", [first])
    number = hex(start_block + 1)
    block = await aw(w3.eth.get_block(start_block + 1))
    block_hash = "0x" + bytes(block["hash"]).hex()
    assert await raw_result(w3, "eth_getRawTransactionByBlockNumberAndIndex", [number, "0x0"]) == (
        raw_first
    )
    assert await raw_result(
        w3, "eth_getRawTransactionByBlockHashAndIndex", [block_hash, "0x0"]
    ) == (raw_first)
    got = await aw(w3.eth.get_raw_transaction_by_block(start_block + 1, 0))
    assert "0x" + bytes(got).hex() == raw_first
    assert keccak(bytes.fromhex(raw_first[2:])).hex() == first[2:]
    # geth answers "0x" (not null) for an index, block or hash that names nothing.
    missing = [
        ("eth_getRawTransactionByBlockNumberAndIndex", [number, "0x1"]),
        ("eth_getRawTransactionByBlockNumberAndIndex", ["0xffffff", "0x0"]),
        ("eth_getRawTransactionByBlockHashAndIndex", ["0x" + "00" * 32, "0x0"]),
        ("eth_getRawTransactionByHash", ["0x" + "00" * 32]),
    ]
    for method, params in missing:
        assert await raw_result(w3, method, params) == "0x"
    assert await raw_error(w3, "eth_getRawTransactionByBlockNumberAndIndex", [number, 0]) == {
        "code": -32602,
        "message": "invalid argument 1: json: cannot unmarshal non-string into Go value of type "
        "hexutil.Uint",
    }


@pytest.mark.asyncio
async def test_uncles_are_null_and_counted_zero(w3: Any, start_block: int) -> None:
    block_hash = "0x" + bytes((await aw(w3.eth.get_block("latest")))["hash"]).hex()
    for method, ref in (
        ("eth_getUncleByBlockNumberAndIndex", "latest"),
        ("eth_getUncleByBlockNumberAndIndex", "pending"),
        ("eth_getUncleByBlockHashAndIndex", block_hash),
    ):
        assert await raw_result(w3, method, [ref, "0x0"]) is None
    assert await raw_result(w3, "eth_getUncleCountByBlockHash", [block_hash]) == "0x0"
    assert await raw_result(w3, "eth_getUncleCountByBlockNumber", [hex(start_block)]) == "0x0"
    assert await raw_error(w3, "eth_getUncleByBlockNumberAndIndex", ["latest"]) == {
        "code": -32602,
        "message": "missing value for required argument 1",
    }


@pytest.mark.asyncio
async def test_headers_are_blocks_without_bodies(w3: Any, start_block: int) -> None:
    await transfer(w3)
    block = await raw_result(w3, "eth_getBlockByNumber", ["latest", False])
    header = await raw_result(w3, "eth_getHeaderByNumber", ["latest"])
    assert header == {k: v for k, v in block.items() if k not in HEADER_DROPS}
    assert list(header) == [k for k in block if k not in HEADER_DROPS]  # geth's sorted keys
    assert await raw_result(w3, "eth_getHeaderByHash", [block["hash"]]) == header
    assert await raw_result(w3, "eth_getHeaderByHash", ["0x" + "00" * 32]) is None
    assert await raw_result(w3, "eth_getHeaderByNumber", ["0xffffff"]) is None
    assert await raw_result(w3, "eth_getHeaderByNumber", ["earliest"]) == {
        k: v
        for k, v in (await raw_result(w3, "eth_getBlockByNumber", ["0x0", False])).items()
        if k not in HEADER_DROPS
    }


@pytest.mark.asyncio
async def test_get_account(w3: Any, start_block: int) -> None:
    await transfer(w3, sender=DEV[3], value=10)
    account = await raw_result(w3, "eth_getAccount", [DEV[3], "latest"])
    assert list(account) == ["nonce", "balance", "storageRoot", "codeHash"]  # anvil's
    proof = await raw_result(w3, "eth_getProof", [DEV[3], [], "latest"])
    assert account == {
        "codeHash": proof["codeHash"],
        "storageRoot": proof["storageHash"],
        "balance": proof["balance"],
        "nonce": proof["nonce"],
    }
    assert int(account["balance"], 16) == await aw(w3.eth.get_balance(DEV[3]))
    assert account["codeHash"] == EMPTY_CODE_HASH
    # The block argument is optional (latest); history and absent accounts read as anvil's.
    assert await raw_result(w3, "eth_getAccount", [DEV[3]]) == account
    before = await raw_result(w3, "eth_getAccount", [DEV[3], hex(start_block)])
    assert int(before["nonce"], 16) == int(account["nonce"], 16) - 1
    assert await raw_result(w3, "eth_getAccount", [FRESH, "latest"]) == {
        "codeHash": EMPTY_CODE_HASH,
        "storageRoot": EMPTY_ROOT,
        "balance": "0x0",
        "nonce": "0x0",
    }
    assert await raw_error(w3, "eth_getAccount", [FRESH, "0xffffff"]) == {
        "code": -32000,
        "message": "header not found",
    }


@pytest.mark.asyncio
async def test_transaction_by_sender_and_nonce(w3: Any, node: MockNode) -> None:
    sender = DEV[7]
    start = await aw(w3.eth.get_transaction_count(sender))
    mined = [await transfer(w3, sender=sender, value=v) for v in (1, 2, 3)]
    await transfer(w3, sender=DEV[0])  # other senders' blocks in between
    for offset, tx_hash in enumerate(mined):
        found = await raw_result(
            w3, "eth_getTransactionBySenderAndNonce", [sender, hex(start + offset)]
        )
        assert found == await raw_result(w3, "eth_getTransactionByHash", [tx_hash])
    node.set_automine(False)
    pooled = await transfer(w3, sender=sender, value=4)
    found = await raw_result(w3, "eth_getTransactionBySenderAndNonce", [sender, hex(start + 3)])
    assert found["hash"] == pooled
    assert found["blockHash"] is None
    assert await raw_result(w3, "eth_getTransactionBySenderAndNonce", [sender, hex(start + 9)]) is (
        None
    )


@pytest.mark.asyncio
async def test_the_pool_as_geth_shows_it(w3: Any, node: MockNode) -> None:
    node.set_automine(False)
    a, b = DEV_KEYS[8], DEV_KEYS[2]
    nonce_a = await aw(w3.eth.get_transaction_count(a.address))
    nonce_b = await aw(w3.eth.get_transaction_count(b.address))
    hashes = []
    for key, nonce in ((a, nonce_a), (a, nonce_a + 1), (a, nonce_a + 10), (b, nonce_b)):
        tx_hash = await aw(w3.eth.send_raw_transaction(signed_raw(key, nonce, value=nonce + 1)))
        hashes.append("0x" + bytes(tx_hash).hex())
    # nonce_a + 10 waits behind a gap: queued; the rest are pending.
    assert await raw_result(w3, "txpool_status", []) == {"pending": "0x3", "queued": "0x1"}
    content = await raw_result(w3, "txpool_content", [])
    assert list(content) == ["pending", "queued"]
    senders = sorted([a.address, b.address])  # Go map order: checksummed strings, sorted
    assert list(content["pending"]) == senders
    assert list(content["pending"][a.address]) == sorted([str(nonce_a), str(nonce_a + 1)])
    assert content["pending"][a.address][str(nonce_a)] == await raw_result(
        w3, "eth_getTransactionByHash", [hashes[0]]
    )
    assert list(content["queued"]) == [a.address]
    assert content["queued"][a.address][str(nonce_a + 10)]["hash"] == hashes[2]
    assert await raw_result(w3, "txpool_contentFrom", [b.address]) == {
        "pending": {str(nonce_b): content["pending"][b.address][str(nonce_b)]},
        "queued": {},
    }
    inspect = await raw_result(w3, "txpool_inspect", [])
    assert inspect["pending"][b.address] == {
        str(nonce_b): f"{DEV[9]}: {nonce_b + 1} wei + 21000 gas \u00d7 {10 * GWEI} wei"
    }
    assert set(inspect["queued"][a.address]) == {str(nonce_a + 10)}
    # eth_pendingTransactions: pending ones of accounts the node holds keys for.
    pending = await raw_result(w3, "eth_pendingTransactions", [])
    assert sorted(tx["hash"] for tx in pending) == sorted([hashes[0], hashes[1], hashes[3]])
    assert all(tx["blockNumber"] is None for tx in pending)


@pytest.mark.asyncio
async def test_send_raw_transaction_sync(w3: Any, node: MockNode) -> None:
    key = DEV_KEYS[9]
    nonce = await aw(w3.eth.get_transaction_count(key.address))
    receipt = await raw_result(w3, "eth_sendRawTransactionSync", [signed_raw(key, nonce)])
    assert receipt == await raw_result(
        w3, "eth_getTransactionReceipt", [receipt["transactionHash"]]
    )
    assert receipt["status"] == "0x1"
    assert await raw_error(w3, "eth_sendRawTransactionSync", [signed_raw(key, nonce)]) == {
        "code": -32000,
        "message": f"nonce too low: next nonce {nonce + 1}, tx nonce {nonce}",
    }
    # Not mined by the send: the call waits (tests/clients/test_send_raw_sync.py).
    assert await raw_error(w3, "eth_sendRawTransactionSync", [signed_raw(key, nonce + 1), 500]) == {
        "code": -32602,
        "message": "invalid argument 1: json: cannot unmarshal non-string into Go value of type "
        "hexutil.Uint64",
    }


@pytest.mark.asyncio
async def test_rpc_modules(w3: Any) -> None:
    modules = await raw_result(w3, "rpc_modules", [])
    assert list(modules) == sorted(modules)
    assert {"eth", "net", "rpc", "txpool", "web3"} <= set(modules)
    assert set(modules.values()) == {"1.0"}


# -- subscriptions --------------------------------------------------------------------------


async def _receipts_and_syncing(w3: AsyncWeb3) -> None:
    accounts = await w3.eth.accounts
    every = await w3.eth.subscribe("transactionReceipts")
    syncing = await w3.eth.subscribe("syncing")
    heads = await w3.eth.subscribe("newHeads")
    first = await w3.eth.send_transaction({"from": accounts[0], "to": accounts[1], "value": 1})
    second = await w3.eth.send_transaction({"from": accounts[0], "to": accounts[1], "value": 2})
    only = await w3.eth.subscribe(
        "transactionReceipts",  # type: ignore[call-overload]
        {"transactionHashes": ["0x" + "ab" * 32]},
    )
    third = await w3.eth.send_transaction({"from": accounts[0], "to": accounts[1], "value": 3})
    seen: dict[Any, list[Any]] = {every: [], syncing: [], heads: [], only: []}
    async with asyncio.timeout(5):
        async for message in w3.socket.process_subscriptions():
            seen[message["subscription"]].append(message["result"])
            if len(seen[heads]) == 3 and len(seen[every]) == 3:
                break
    # One notification per block, each a list of that block's receipts as
    # eth_getTransactionReceipt renders them (web3.py passes them on unformatted).
    assert [[r["transactionHash"] for r in batch] for batch in seen[every]] == [
        [first.to_0x_hex()],
        [second.to_0x_hex()],
        [third.to_0x_hex()],
    ]
    receipt = await w3.provider.make_request("eth_getTransactionReceipt", [first.to_0x_hex()])
    assert seen[every][0] == [receipt["result"]]
    # A dev chain never syncs: like geth --dev, the subscription lives and sends nothing,
    # while the heads of the same blocks arrived on the same connection.
    assert seen[syncing] == []
    assert seen[only] == []  # its hash is in no block
    assert await w3.eth.unsubscribe(syncing)
    assert await w3.eth.unsubscribe(every)


@pytest.mark.parametrize("transport", ["ws", "ipc"])
def test_receipt_and_syncing_subscriptions(node: MockNode, transport: str) -> None:
    async def main() -> None:
        assert node.ipc_path is not None
        provider = (
            WebSocketProvider(node.ws_url) if transport == "ws" else AsyncIPCProvider(node.ipc_path)
        )
        async with AsyncWeb3(provider) as w3:
            await _receipts_and_syncing(w3)

    asyncio.run(main())


def test_receipt_subscription_arguments(node: MockNode) -> None:
    async def main() -> None:
        async with AsyncWeb3(WebSocketProvider(node.ws_url)) as w3:
            too_many = {"transactionHashes": ["0x" + f"{i:064x}" for i in range(201)]}
            for params, error in (
                (
                    ["transactionReceipts", too_many],
                    {
                        "code": -32000,
                        "message": "exceed max number of transaction hashes allowed per "
                        "transactionReceipts subscription",
                    },
                ),
                (
                    ["transactionReceipts", "x"],
                    {
                        "code": -32602,
                        "message": "invalid argument 1: json: cannot unmarshal string into "
                        "Go value of type filters.input",
                    },
                ),
            ):
                assert await raw_error(w3, "eth_subscribe", params) == error

    asyncio.run(main())
