"""The pool's dev methods over JSON-RPC through web3.py: anvil_dropTransaction,
anvil_dropAllTransactions, anvil_removePoolTransactions and their hardhat_ aliases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from client_helpers import DEV
from dev_helpers import call, error
from web3 import HTTPProvider, Web3

from mocknode import MockNode


@pytest.fixture
def w3(node: MockNode) -> Iterator[Web3]:
    """HTTP web3 with automine off for the test (the autouse revert turns it back on)."""
    w3 = Web3(HTTPProvider(node.http_url, request_kwargs={"timeout": 10}))
    call(w3, "evm_setAutomine", [False])
    return w3


def pend(w3: Web3, sender: str, value: int = 1) -> str:
    tx_hash: str = call(
        w3, "eth_sendTransaction", [{"from": sender, "to": DEV[9], "value": hex(value)}]
    )
    assert call(w3, "eth_getTransactionByHash", [tx_hash])["blockHash"] is None
    return tx_hash


@pytest.mark.parametrize("name", ["anvil_dropTransaction", "hardhat_dropTransaction"])
def test_drop_transaction(w3: Web3, name: str) -> None:
    first, second = pend(w3, DEV[0]), pend(w3, DEV[0])
    assert call(w3, name, [first]) == first  # anvil answers the dropped hash
    assert call(w3, "eth_getTransactionByHash", [first]) is None
    assert call(w3, name, [first]) is None  # nothing left to drop
    # The later nonce waits behind the gap: mining leaves it pending.
    call(w3, "evm_mine", [])
    assert call(w3, "eth_getTransactionByHash", [second])["blockHash"] is None
    assert call(w3, "eth_getTransactionCount", [DEV[0], "pending"]) == hex(
        w3.eth.get_transaction_count(DEV[0])
    )
    assert error(w3, name, ["0x12"]) == {
        "code": -32602,
        "message": "invalid argument 0: hex string has length 2, want 64 for common.Hash",
    }


@pytest.mark.parametrize("name", ["anvil_dropAllTransactions", "hardhat_dropAllTransactions"])
def test_drop_all_transactions(w3: Web3, name: str) -> None:
    hashes = [pend(w3, DEV[0]), pend(w3, DEV[1]), pend(w3, DEV[1])]
    assert call(w3, name, []) is None
    for tx_hash in hashes:
        assert call(w3, "eth_getTransactionByHash", [tx_hash]) is None
    head = w3.eth.block_number
    call(w3, "evm_mine", [])
    assert w3.eth.get_block(head + 1)["transactions"] == []
    assert error(w3, name, [1])["message"] == "too many arguments, want at most 0"


@pytest.mark.parametrize("spelling", [str, str.lower])
def test_remove_pool_transactions_of_one_sender(w3: Web3, spelling: type[str]) -> None:
    gone = [pend(w3, DEV[0]), pend(w3, DEV[0])]
    kept = pend(w3, DEV[1])
    assert call(w3, "anvil_removePoolTransactions", [spelling(DEV[0])]) is None
    for tx_hash in gone:
        assert call(w3, "eth_getTransactionByHash", [tx_hash]) is None
    call(w3, "evm_mine", [])
    receipt = call(w3, "eth_getTransactionReceipt", [kept])
    assert receipt["status"] == "0x1"
    assert call(w3, "eth_getTransactionCount", [DEV[0], "pending"]) == hex(
        w3.eth.get_transaction_count(DEV[0])
    )
