"""anvil_reorg, anvil_rollback and mock_reorg over HTTP through web3.py: the parameter
shapes anvil and its users send, what every read sees afterwards (blocks, hashes,
receipts, pending transactions, BLOCKHASH in the EVM), and the exact error objects."""

from __future__ import annotations

import functools
import operator
from typing import Any

import pytest
from client_helpers import CHAIN_ID, DEV, DEV_KEYS, GWEI
from dev_helpers import HASHER_RUNTIME, LOGGER_RUNTIME, call, deploy, error, mine_logs, topic
from web3 import HTTPProvider, Web3

from mocknode import MockNode


@pytest.fixture
def w3(node: MockNode) -> Web3:
    return Web3(HTTPProvider(node.http_url, request_kwargs={"timeout": 10}))


@pytest.fixture
def logger(w3: Web3) -> str:
    return deploy(w3, LOGGER_RUNTIME, DEV[0])


def block(w3: Web3, number: int) -> dict[str, Any]:
    found: dict[str, Any] = call(w3, "eth_getBlockByNumber", [hex(number), True])
    return found


def hashes(w3: Web3, start: int, end: int) -> list[str]:
    return [block(w3, n)["hash"] for n in range(start, end + 1)]


def signed_raw(key_index: int, nonce: int, value: int) -> str:
    tx = DEV_KEYS[key_index].sign_transaction(
        {
            "chainId": CHAIN_ID,
            "nonce": nonce,
            "to": DEV[8],
            "value": value,
            "gas": 21000,
            "maxFeePerGas": 10 * GWEI,
            "maxPriorityFeePerGas": GWEI,
        }
    )
    return "0x" + bytes(tx.raw_transaction).hex()


@pytest.mark.parametrize("depth", [2, "0x2"])
def test_anvil_reorg_with_anvils_pair_shapes(w3: Web3, logger: str, depth: Any) -> None:
    (orphan_a,), (orphan_b,) = mine_logs(w3, logger, [(DEV[0], 1)], [(DEV[1], 2)])
    head = w3.eth.block_number
    old = hashes(w3, head - 1, head)
    nonce_6 = w3.eth.get_transaction_count(DEV[6])
    pairs = [
        # anvil's own example: JSON numbers in the request, the offset a JSON number
        [{"from": DEV[6], "to": DEV[7], "value": 100}, 1],
        [{"from": DEV[6], "to": DEV[7], "value": "0xc8"}, "0x1"],
        [signed_raw(5, w3.eth.get_transaction_count(DEV[5]), 300), 0],
        [{"to": DEV[7], "value": 400}, 0],  # no from: the first dev account
    ]
    assert call(w3, "anvil_reorg", [depth, pairs]) is None
    assert w3.eth.block_number == head  # back to the same height
    first, second = block(w3, head - 1), block(w3, head)
    assert [first["hash"], second["hash"]] != old
    assert second["parentHash"] == first["hash"]
    assert first["extraData"] == "0x" + (b"reorg:" + bytes.fromhex(old[0][2:18])).hex()
    assert [(t["from"], int(t["value"], 16)) for t in first["transactions"]] == [
        (DEV[5].lower(), 300),
        (DEV[0].lower(), 400),
    ]
    assert [
        (t["from"], int(t["nonce"], 16), int(t["value"], 16)) for t in second["transactions"]
    ] == [
        (DEV[6].lower(), nonce_6, 100),
        (DEV[6].lower(), nonce_6 + 1, 200),
    ]
    # Dev account 0's request took the nonce its orphan had: the orphan is gone. Dev
    # account 1's orphan is back in the pool, pending.
    assert call(w3, "eth_getTransactionReceipt", ["0x" + orphan_a.hex()]) is None
    assert call(w3, "eth_getTransactionByHash", ["0x" + orphan_a.hex()]) is None
    assert call(w3, "eth_getTransactionReceipt", ["0x" + orphan_b.hex()]) is None
    pending = call(w3, "eth_getTransactionByHash", ["0x" + orphan_b.hex()])
    assert pending["blockHash"] is None
    assert pending["from"] == DEV[1].lower()
    for old_hash in old:
        assert call(w3, "eth_getBlockByHash", [old_hash, False]) is None
    assert w3.eth.get_logs({"fromBlock": head - 1, "address": logger}) == []


def test_anvil_reorg_without_transactions_and_with_pairs_left_out(w3: Web3) -> None:
    call(w3, "evm_mine", [{"blocks": "0x3"}])
    head = w3.eth.block_number
    old = hashes(w3, head - 2, head)
    assert call(w3, "anvil_reorg", [3, []]) is None
    assert call(w3, "anvil_reorg", [1]) is None  # anvil wants the list; an absent one is empty
    new = hashes(w3, head - 2, head)
    assert all(a != b for a, b in zip(old, new, strict=True))
    assert w3.eth.block_number == head


@pytest.mark.parametrize("params", [[], [None], [2], ["0x2"]])
def test_anvil_rollback_shapes(w3: Web3, logger: str, params: list[Any]) -> None:
    depth = 1 if params in ([], [None]) else 2
    sent = mine_logs(w3, logger, [(DEV[0], 1)], [(DEV[1], 2)])
    head = w3.eth.block_number
    assert call(w3, "anvil_rollback", params) is None
    assert w3.eth.block_number == head - depth
    for tx_hash in functools.reduce(operator.iadd, sent[-depth:], []):
        tx = call(w3, "eth_getTransactionByHash", ["0x" + tx_hash.hex()])
        assert tx["blockHash"] is None  # pending again, not mined again
    assert call(w3, "eth_getTransactionReceipt", ["0x" + sent[-1][0].hex()]) is None


def test_mock_reorg_reinclude_same_keeps_receipts_in_new_blocks(w3: Web3, logger: str) -> None:
    sent = mine_logs(w3, logger, [(DEV[0], 1), (DEV[1], 2)], [(DEV[2], 3)])
    head = w3.eth.block_number
    old = hashes(w3, head - 1, head)
    outcome = call(w3, "mock_reorg", [{"depth": 2, "reinclude": "same"}])
    new = hashes(w3, head - 1, head)
    assert outcome == {"removed": old, "added": new, "pooled": [], "dropped": [], "discarded": []}
    for tx_hash, number in ((sent[0][0], head - 1), (sent[0][1], head - 1), (sent[1][0], head)):
        receipt = call(w3, "eth_getTransactionReceipt", ["0x" + tx_hash.hex()])
        assert receipt["blockHash"] == new[number - head + 1]
        assert receipt["logs"][0]["blockHash"] == new[number - head + 1]
        assert receipt["logs"][0]["removed"] is False
    logs = w3.eth.get_logs({"fromBlock": head - 1, "address": logger})
    assert [(log["blockNumber"], log["topics"][0].hex()) for log in logs] == [
        (head - 1, topic(1)[2:]),
        (head - 1, topic(2)[2:]),
        (head, topic(3)[2:]),
    ]


def test_mock_reorg_modes_drop_and_branch_length(w3: Web3, logger: str) -> None:
    sent = mine_logs(w3, logger, [(DEV[0], 1), (DEV[1], 2)], [(DEV[2], 3)])
    head = w3.eth.block_number
    outcome = call(
        w3,
        "mock_reorg",
        [{"depth": "0x2", "blocks": 3, "reinclude": "reverse", "drop": ["0x" + sent[0][1].hex()]}],
    )
    assert outcome["dropped"] == ["0x" + sent[0][1].hex()]
    assert len(outcome["added"]) == 3
    assert w3.eth.block_number == head + 1
    # The two kept orphans, reversed into their slots: DEV[2]'s in the first block,
    # DEV[0]'s in the second; the third block (a longer branch) is empty.
    assert [len(block(w3, n)["transactions"]) for n in (head - 1, head, head + 1)] == [1, 1, 0]
    topics = [log["topics"][0].hex() for log in w3.eth.get_logs({"fromBlock": head - 1})]
    assert topics == [topic(3)[2:], topic(1)[2:]]
    assert call(w3, "eth_getTransactionByHash", ["0x" + sent[0][1].hex()]) is None

    outcome = call(w3, "mock_reorg", [{"depth": 3, "blocks": 1, "drop": "all"}])
    assert len(outcome["dropped"]) == 2
    assert outcome["pooled"] == []
    assert w3.eth.block_number == head - 1


def test_mock_reorg_shuffle_is_seeded(w3: Web3, logger: str) -> None:
    mine_logs(w3, logger, [(DEV[n], n) for n in range(5)], [(DEV[n], 10 + n) for n in range(5)])
    snap = call(w3, "evm_snapshot", [])
    orders = []
    for _ in range(2):
        call(w3, "mock_reorg", [{"depth": 2, "reinclude": "shuffle", "seed": 42}])
        head = w3.eth.block_number
        orders.append([log["topics"][0].hex() for log in w3.eth.get_logs({"fromBlock": head - 1})])
        assert call(w3, "evm_revert", [snap]) is True
    assert orders[0] == orders[1]
    assert sorted(orders[0]) == sorted(topic(n)[2:] for n in (0, 1, 2, 3, 4, 10, 11, 12, 13, 14))


def test_blockhash_in_the_evm_follows_the_new_branch(w3: Web3) -> None:
    hasher = deploy(w3, HASHER_RUNTIME, DEV[0])
    call(w3, "evm_mine", [{"blocks": "0x2"}])
    head = w3.eth.block_number

    def blockhash(number: int) -> str:
        result: str = call(w3, "eth_call", [{"to": hasher, "data": topic(number)}, "latest"])
        return result

    before = blockhash(head - 1)
    assert before == block(w3, head - 1)["hash"]
    call(w3, "anvil_reorg", [2, []])
    assert blockhash(head - 1) == block(w3, head - 1)["hash"] != before
    assert blockhash(head - 2) == block(w3, head - 2)["hash"]  # below the reorg: unchanged


def test_evm_revert_across_a_reorg_restores_the_old_branch(w3: Web3, logger: str) -> None:
    sent = mine_logs(w3, logger, [(DEV[0], 1)], [(DEV[1], 2)])
    head = w3.eth.block_number
    old = [block(w3, n) for n in range(head - 1, head + 1)]
    snap = call(w3, "evm_snapshot", [])
    call(w3, "anvil_reorg", [2, []])
    call(w3, "anvil_rollback", [1])
    assert call(w3, "evm_revert", [snap]) is True
    assert [block(w3, n) for n in range(head - 1, head + 1)] == old
    receipt = call(w3, "eth_getTransactionReceipt", ["0x" + sent[1][0].hex()])
    assert receipt["blockHash"] == old[1]["hash"]
    assert [log["blockHash"].hex() for log in w3.eth.get_logs({"fromBlock": head - 1})] == [
        b["hash"][2:] for b in old
    ]


def test_errors_are_anvils_and_gets(w3: Web3) -> None:
    call(w3, "evm_mine", [])
    head = w3.eth.block_number
    too_deep = {
        "code": -32602,
        "message": f"Reorg depth must not exceed current chain height: current height {head}, "
        f"depth {head + 1}",
    }
    assert error(w3, "anvil_reorg", [head + 1, []]) == too_deep
    assert error(w3, "anvil_rollback", [head + 1]) == too_deep
    assert error(w3, "mock_reorg", [{"depth": head + 1}]) == too_deep
    assert error(w3, "anvil_reorg", [1, [[{"to": DEV[1]}, 1]]]) == {
        "code": -32602,
        "message": "Block number for reorg tx will exceed the reorged chain height. "
        "Block number 1 must not exceed (depth-1) 0",
    }
    assert error(w3, "anvil_reorg", [1, [["0x02c0", 0]]]) == {
        "code": -32000,
        "message": "rlp: wrong number of elements for type 2 transaction",
    }
    assert error(w3, "anvil_reorg", [1, [[{"to": DEV[1]}]]]) == {
        "code": -32602,
        "message": "invalid argument 1: expected a list of [transaction, blockOffset] pairs",
    }
    assert error(w3, "anvil_reorg", [-1, []])["code"] == -32602
    assert error(w3, "anvil_reorg", [])["message"] == "missing value for required argument 0"
    assert error(w3, "mock_reorg", [{"depth": 1, "drop": ["0x" + "ab" * 32]}]) == {
        "code": -32602,
        "message": f"transaction 0x{'ab' * 32} is not in the blocks the reorg replaces",
    }
    assert error(w3, "mock_reorg", [{"depth": 1, "reinclude": "sideways"}]) == {
        "code": -32602,
        "message": "invalid argument 0: reinclude: one of none, same, reverse, shuffle",
    }
    assert error(w3, "mock_reorg", [{"depht": 1}]) == {
        "code": -32602,
        "message": "invalid argument 0: unknown reorg option 'depht': "
        "one of depth, blocks, reinclude, drop, transactions, seed",
    }
    assert error(w3, "mock_reorg", [{}])["message"] == "invalid argument 0: depth is required"
    assert error(w3, "mock_reorg", [{"depth": 1, "drop": "some"}])["message"] == (
        'invalid argument 0: drop: a list of transaction hashes, or "all"'
    )
    assert w3.eth.block_number == head
