"""The block environment's cheats over JSON-RPC (web3.py's provider, the session node's
HTTP socket): chain id, coinbase, gas limit, next base fee and prevRandao, the minimum
gas price, the clock and the timestamp interval, each under each of its names, and
their undoing by evm_revert (which the per-test revert relies on)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from client_helpers import DEV, DEV_KEYS, FRESH
from dev_helpers import call, error
from web3 import HTTPProvider, Web3

from mocknode import MockNode

# Runtime code answering one 32-byte word: an opcode's value (CHAINID, COINBASE ...).
CHAINID, COINBASE, PREVRANDAO, GASLIMIT, BASEFEE = "46", "41", "44", "45", "48"
PROBE = "0x" + "5e" * 20


def opcode_reader(op: str) -> str:
    return f"0x{op}60005260206000f3"


@pytest.fixture
def w3(node: MockNode) -> Web3:
    return Web3(HTTPProvider(node.http_url, request_kwargs={"timeout": 10}))


def read(w3: Web3, op: str) -> int:
    """The opcode's value in an eth_call on the latest block."""
    call(w3, "anvil_setCode", [PROBE, opcode_reader(op)])
    return int(call(w3, "eth_call", [{"to": PROBE}, "latest"]), 16)


def head(w3: Web3) -> dict[str, Any]:
    block: dict[str, Any] = call(w3, "eth_getBlockByNumber", ["latest", False])
    return block


def stamp(w3: Web3) -> int:
    return int(head(w3)["timestamp"], 16)


def send(w3: Web3, **fields: Any) -> str:
    tx = {"from": DEV[0], "to": DEV[1], "value": "0x1", **fields}
    tx_hash: str = call(w3, "eth_sendTransaction", [tx])
    return tx_hash


# -- chain id ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1337, "0x539"])
def test_set_chain_id(w3: Web3, value: Any) -> None:
    signed_before = DEV_KEYS[2].sign_transaction(
        {"to": DEV[1], "value": 1, "gas": 21000, "gasPrice": 10**10, "nonce": 0, "chainId": 31337}
    )
    assert call(w3, "anvil_setChainId", [value]) is None
    assert call(w3, "eth_chainId", []) == "0x539"
    assert call(w3, "net_version", []) == "1337"
    assert read(w3, CHAINID) == 1337
    tx_hash = send(w3)
    assert call(w3, "eth_getTransactionByHash", [tx_hash])["chainId"] == "0x539"
    assert error(w3, "eth_sendRawTransaction", ["0x" + signed_before.raw_transaction.hex()]) == {
        "code": -32000,
        "message": "invalid sender: invalid chain id for signer: have 31337 want 1337",
    }
    assert error(w3, "anvil_setChainId", [0])["code"] == -32602


# -- coinbase ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["anvil_setCoinbase", "hardhat_setCoinbase"])
def test_set_coinbase(w3: Web3, name: str) -> None:
    assert call(w3, name, [FRESH]) is None
    assert call(w3, "eth_coinbase", []) == FRESH.lower()
    send(w3)  # the tip goes to the new coinbase
    assert head(w3)["miner"] == FRESH.lower()
    assert int(call(w3, "eth_getBalance", [FRESH, "latest"]), 16) > 0
    assert read(w3, COINBASE) == int(FRESH, 16)


# -- gas limit ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["anvil_setBlockGasLimit", "evm_setBlockGasLimit"])
@pytest.mark.parametrize("shape", [hex, int])
def test_set_block_gas_limit(w3: Web3, name: str, shape: Any) -> None:
    assert call(w3, name, [shape(40_000_000)]) is True
    tx_hash = send(w3, gas=hex(35_000_000))  # more than the old limit
    receipt = call(w3, "eth_getTransactionReceipt", [tx_hash])
    block = call(w3, "eth_getBlockByHash", [receipt["blockHash"], False])
    assert block["gasLimit"] == hex(40_000_000)
    assert read(w3, GASLIMIT) == 40_000_000
    call(w3, name, [100_000])
    assert error(w3, "eth_sendTransaction", [{"from": DEV[0], "to": DEV[1], "gas": "0x30d40"}]) == {
        "code": -32000,
        "message": "exceeds block gas limit",
    }


# -- fees -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["anvil_setNextBlockBaseFeePerGas", "hardhat_setNextBlockBaseFeePerGas"]
)
@pytest.mark.parametrize("shape", [hex, int])
def test_set_next_block_base_fee(w3: Web3, name: str, shape: Any) -> None:
    fee = 50 * 10**9
    assert call(w3, name, [shape(fee)]) is None
    # Until that block is mined, fees are suggested from it ...
    assert int(call(w3, "eth_gasPrice", []), 16) == fee + 10**9
    tx_hash = send(w3)  # ... and eth_sendTransaction pays enough for it.
    block = call(
        w3,
        "eth_getBlockByHash",
        [call(w3, "eth_getTransactionReceipt", [tx_hash])["blockHash"], False],
    )
    assert block["baseFeePerGas"] == hex(fee)
    # The next block follows EIP-1559 from it (a block far below target: down 1/8).
    call(w3, "evm_mine", [])
    assert int(head(w3)["baseFeePerGas"], 16) < fee
    assert int(head(w3)["baseFeePerGas"], 16) >= fee * 7 // 8


@pytest.mark.parametrize("name", ["anvil_setMinGasPrice", "hardhat_setMinGasPrice"])
def test_min_gas_price_is_refused_as_on_anvil_after_london(w3: Web3, name: str) -> None:
    assert error(w3, name, ["0x3b9aca00"]) == {
        "code": -32602,
        "message": "anvil_setMinGasPrice is not supported when EIP-1559 is active",
    }


@pytest.mark.parametrize("name", ["anvil_setNextBlockPrevRandao", "hardhat_setPrevRandao"])
def test_set_next_block_prev_randao(w3: Web3, name: str) -> None:
    randao = "0x" + "ab" * 32
    assert call(w3, name, [randao]) is None
    call(w3, "evm_mine", [])
    assert head(w3)["mixHash"] == randao
    assert read(w3, PREVRANDAO) == int(randao, 16)
    call(w3, "evm_mine", [])  # one-shot: the next block derives its own again
    assert head(w3)["mixHash"] != randao


# -- the clock ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["anvil_setTime", "evm_setTime"])
@pytest.mark.parametrize("unit", [1, 1000])  # seconds, or ganache's milliseconds
def test_set_time_forward(w3: Web3, name: str, unit: int) -> None:
    target = max(int(time.time()), stamp(w3)) + 10 * 86_400
    moved = call(w3, name, [target * unit])
    assert isinstance(moved, int)
    assert 10 * 86_400 - 5 <= moved <= 10 * 86_400
    call(w3, "evm_mine", [])
    assert target <= stamp(w3) <= target + 2
    call(w3, "evm_mine", [])  # the clock runs on from there
    assert target < stamp(w3) <= target + 4


def test_set_time_back_stops_at_the_head(w3: Web3) -> None:
    call(w3, "evm_mine", [stamp(w3) + 1000])
    top = stamp(w3)
    assert call(w3, "anvil_setTime", [hex(top - 5000)]) == 0
    call(w3, "evm_mine", [])
    assert top < stamp(w3) <= top + 2  # never before its parent (anvil would go back)


def test_block_timestamp_interval(w3: Web3) -> None:
    assert call(w3, "anvil_setBlockTimestampInterval", [10]) is None
    first = stamp(w3)
    call(w3, "evm_mine", [])
    call(w3, "evm_increaseTime", [500])  # does not move blocks while an interval is set
    call(w3, "evm_mine", [])
    assert stamp(w3) == first + 20
    call(w3, "anvil_setBlockTimestampInterval", ["0x3"])
    call(w3, "evm_mine", [])
    assert stamp(w3) == first + 23
    assert call(w3, "anvil_removeBlockTimestampInterval", []) is True
    assert call(w3, "anvil_removeBlockTimestampInterval", []) is False


# -- snapshots take all of it ------------------------------------------------------------------


def test_evm_revert_undoes_every_environment_cheat(w3: Web3) -> None:
    before = (
        call(w3, "eth_chainId", []),
        call(w3, "eth_coinbase", []),
        call(w3, "eth_gasPrice", []),
    )
    snap = call(w3, "evm_snapshot", [])
    call(w3, "anvil_setChainId", [5])
    call(w3, "anvil_setCoinbase", [FRESH])
    call(w3, "evm_setBlockGasLimit", [12_345_678])
    call(w3, "anvil_setNextBlockBaseFeePerGas", [7 * 10**9])
    call(w3, "anvil_setNextBlockPrevRandao", ["0x" + "cd" * 32])
    call(w3, "anvil_setBlockTimestampInterval", [1000])
    assert call(w3, "evm_revert", [snap]) is True
    assert (
        call(w3, "eth_chainId", []),
        call(w3, "eth_coinbase", []),
        call(w3, "eth_gasPrice", []),
    ) == before
    parent = stamp(w3)
    call(w3, "evm_mine", [])
    block = head(w3)
    assert block["gasLimit"] == hex(30_000_000)
    assert block["mixHash"] != "0x" + "cd" * 32
    assert int(block["timestamp"], 16) < parent + 1000
