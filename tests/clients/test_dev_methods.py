"""Snapshots, mining, mining modes, time and state edits over JSON-RPC, through web3.py's
provider on the session node's HTTP socket: each method under each of its names, with
the parameter shapes anvil, Hardhat, viem's test actions and ethers users send (JSON
numbers, hex, hex with leading zeros)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from client_helpers import DEV, ETHER, FRESH
from dev_helpers import call, error
from web3 import HTTPProvider, Web3

from mocknode import MockNode


@pytest.fixture
def w3(node: MockNode) -> Web3:
    return Web3(HTTPProvider(node.http_url, request_kwargs={"timeout": 10}))


def head(w3: Web3) -> dict[str, Any]:
    block: dict[str, Any] = call(w3, "eth_getBlockByNumber", ["latest", False])
    return block


def number(w3: Web3) -> int:
    return int(call(w3, "eth_blockNumber", []), 16)


def stamp(w3: Web3) -> int:
    return int(head(w3)["timestamp"], 16)


def now(w3: Web3) -> int:
    """When the next block would come without time travel: the wall clock, or just
    after the head when that is ahead of it (the clock never goes back)."""
    return max(int(time.time()), stamp(w3) + 1)


def balance(w3: Web3, address: str) -> int:
    return int(call(w3, "eth_getBalance", [address, "latest"]), 16)


def pend(w3: Web3, value: int = 1) -> str:
    """A transfer sent with automine off: its hash, still pending."""
    tx_hash: str = call(
        w3, "eth_sendTransaction", [{"from": DEV[0], "to": DEV[1], "value": hex(value)}]
    )
    return tx_hash


# -- snapshots ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("take", "back"), [("evm_snapshot", "evm_revert"), ("anvil_snapshot", "anvil_revert")]
)
@pytest.mark.parametrize("shape", [str, lambda text: int(text, 16), lambda t: "0x0" + t[2:]])
def test_snapshot_and_revert(w3: Web3, take: str, back: str, shape: Any) -> None:
    start = number(w3)
    snap = call(w3, take, [])
    assert isinstance(snap, str)
    assert snap.startswith("0x")
    call(w3, "anvil_setBalance", [FRESH, hex(5 * ETHER)])
    call(w3, "evm_mine", [])
    assert (number(w3), balance(w3, FRESH)) == (start + 1, 5 * ETHER)
    assert call(w3, back, [shape(snap)]) is True
    assert (number(w3), balance(w3, FRESH)) == (start, 0)
    # A snapshot survives being reverted to (anvil drops it; a test suite reuses it).
    call(w3, "evm_mine", [])
    assert call(w3, back, [shape(snap)]) is True
    assert number(w3) == start


def test_a_snapshot_per_test_keeps_every_id_and_one_record(w3: Web3, node: MockNode) -> None:
    """The fixture users bring from anvil: ``evm_snapshot`` at setup, a transaction,
    ``evm_revert`` at teardown. Every id stays usable, and the node keeps one record for
    all of them (they name the same state), so a long suite does not grow the node."""
    start = number(w3)
    ids = []
    for _ in range(30):
        ids.append(call(w3, "evm_snapshot", []))
        call(w3, "eth_sendTransaction", [{"from": DEV[0], "to": FRESH, "value": "0x1"}])
        assert number(w3) == start + 1
        assert call(w3, "evm_revert", [ids[-1]]) is True
    assert len(set(ids)) == 30
    assert (number(w3), balance(w3, FRESH)) == (start, 0)
    taken = dict(node.with_chain(lambda chain: chain.snapshots_taken()))
    assert len({id(taken[int(i, 16)]) for i in ids}) == 1
    listed = call(w3, "anvil_metadata", [])["snapshots"]
    assert set(ids) <= set(listed)
    call(w3, "evm_mine", [])
    assert call(w3, "evm_revert", [ids[0]]) is True
    assert number(w3) == start


def test_revert_to_an_unknown_snapshot_is_false(w3: Web3) -> None:
    assert call(w3, "evm_revert", ["0x7fffffff"]) is False
    assert call(w3, "anvil_revert", [2**31]) is False
    assert error(w3, "evm_revert", [])["message"] == "missing value for required argument 0"


# -- mining -----------------------------------------------------------------------------


def test_evm_mine_without_options(w3: Web3) -> None:
    start = number(w3)
    assert call(w3, "evm_mine", []) == "0x0"
    assert call(w3, "evm_mine", [None]) == "0x0"
    assert number(w3) == start + 2


@pytest.mark.parametrize("shape", [hex, int])
def test_evm_mine_at_a_timestamp(w3: Web3, shape: Any) -> None:
    at = stamp(w3) + 1000
    assert call(w3, "evm_mine", [shape(at)]) == "0x0"
    assert stamp(w3) == at


@pytest.mark.parametrize(
    "options",
    [
        lambda at: {"blocks": 3, "timestamp": at},  # JSON numbers (anvil's and ethers users')
        lambda at: {"blocks": "0x3", "timestamp": hex(at)},
        lambda at: {"timestamp": at, "blocks": "0x03"},
    ],
)
def test_evm_mine_blocks_from_a_timestamp(w3: Web3, options: Any) -> None:
    start = number(w3)
    at = stamp(w3) + 500
    assert call(w3, "evm_mine", [options(at)]) == "0x0"
    assert number(w3) == start + 3
    stamps = [
        int(call(w3, "eth_getBlockByNumber", [hex(start + i), False])["timestamp"], 16)
        for i in (1, 2, 3)
    ]
    assert stamps == [at, at + 1, at + 2]


def test_evm_mine_blocks_only(w3: Web3) -> None:
    start = number(w3)
    call(w3, "evm_mine", [{"blocks": 2}])
    assert number(w3) == start + 2


def test_evm_mine_refuses_a_timestamp_not_after_the_head(w3: Web3) -> None:
    now = stamp(w3)
    assert error(w3, "evm_mine", [now]) == {
        "code": -32000,
        "message": f"timestamp {now} is not after the parent block's {now}",
    }
    assert error(w3, "evm_mine", [{"blocks": -1}]) == {
        "code": -32602,
        "message": "invalid argument 0: negative number -1",
    }


@pytest.mark.parametrize("name", ["anvil_mine", "hardhat_mine"])
def test_anvil_mine_as_viem_sends_it(w3: Web3, name: str) -> None:
    start = number(w3)
    assert call(w3, name, ["0x2", "0x0"]) is None  # viem: mine({blocks: 2})
    assert number(w3) == start + 2
    assert call(w3, name, []) is None  # one block by default
    assert call(w3, name, [3]) is None  # JSON numbers, as anvil reads them
    assert number(w3) == start + 6
    assert call(w3, name, ["0x0"]) is None  # zero blocks: nothing
    assert number(w3) == start + 6


@pytest.mark.parametrize("interval", ["0x3c", 60])
def test_anvil_mine_with_an_interval(w3: Web3, interval: Any) -> None:
    """anvil moves time ``interval`` seconds forward before each block, for good."""
    wall = int(time.time())
    soonest = now(w3)
    start = number(w3)
    call(w3, "anvil_mine", [3, interval])
    stamps = [
        int(call(w3, "eth_getBlockByNumber", [hex(start + i), False])["timestamp"], 16)
        for i in (1, 2, 3)
    ]
    assert stamps[1] - stamps[0] == stamps[2] - stamps[1] == 60
    assert wall + 60 <= stamps[0] <= max(wall + 60, soonest) + 3
    # Later blocks continue from the last one.
    call(w3, "evm_mine", [])
    assert stamps[2] < stamp(w3) <= stamps[2] + 3


def test_anvil_mine_after_evm_set_next_block_timestamp(w3: Web3) -> None:
    at = stamp(w3) + 10_000
    start = number(w3)
    call(w3, "evm_setNextBlockTimestamp", [at])
    call(w3, "anvil_mine", [2, 7])
    second = call(w3, "eth_getBlockByNumber", [hex(start + 2), False])
    first = call(w3, "eth_getBlockByNumber", [hex(start + 1), False])
    assert (int(first["timestamp"], 16), int(second["timestamp"], 16)) == (at, at + 7)


@pytest.mark.parametrize("name", ["anvil_mine_detailed", "evm_mine_detailed"])
def test_mine_detailed_answers_the_blocks_with_full_transactions(w3: Web3, name: str) -> None:
    call(w3, "evm_setAutomine", [False])
    tx_hash = pend(w3)
    start = number(w3)
    blocks = call(w3, name, [{"blocks": 2}])
    assert [int(b["number"], 16) for b in blocks] == [start + 1, start + 2]
    assert blocks == [
        call(w3, "eth_getBlockByNumber", [hex(start + 1), True]),
        call(w3, "eth_getBlockByNumber", [hex(start + 2), True]),
    ]
    assert blocks[0]["transactions"][0]["hash"] == tx_hash
    assert blocks[0]["transactions"][0]["from"] == DEV[0].lower()
    assert blocks[1]["transactions"] == []
    assert len(call(w3, name, [])) == 1


# -- mining mode ------------------------------------------------------------------------


@pytest.mark.parametrize("setter", ["evm_setAutomine", "anvil_setAutomine"])
@pytest.mark.parametrize("getter", ["anvil_getAutomine", "hardhat_getAutomine"])
def test_automine_switch(w3: Web3, setter: str, getter: str) -> None:
    assert call(w3, getter, []) is True
    assert call(w3, setter, [False]) is None
    assert call(w3, getter, []) is False
    tx_hash = pend(w3)
    assert call(w3, "eth_getTransactionReceipt", [tx_hash]) is None
    call(w3, setter, [True])  # switching it back on mines what waits
    assert call(w3, "eth_getTransactionReceipt", [tx_hash])["status"] == "0x1"
    assert call(w3, getter, []) is True


@pytest.mark.parametrize("name", ["evm_setIntervalMining", "anvil_setIntervalMining"])
@pytest.mark.parametrize("shape", [int, hex])
def test_interval_mining_takes_seconds(w3: Web3, name: str, shape: Any) -> None:
    """viem's anvil mode sends seconds (``[1]``) under evm_setIntervalMining; so does
    anvil read it (Hardhat reads milliseconds)."""
    assert call(w3, "anvil_getIntervalMining", []) is None
    assert call(w3, name, [shape(1000)]) is None
    assert call(w3, "anvil_getIntervalMining", []) == 1000  # seconds, not 1 s
    assert call(w3, name, [shape(0)]) is None
    assert call(w3, "anvil_getIntervalMining", []) is None


def test_interval_mining_mines_on_its_own(w3: Web3) -> None:
    call(w3, "evm_setAutomine", [False])
    call(w3, "evm_setIntervalMining", [1])
    start = number(w3)
    deadline = time.monotonic() + 5
    while number(w3) == start and time.monotonic() < deadline:
        time.sleep(0.05)
    assert number(w3) > start
    call(w3, "evm_setIntervalMining", [0])


# -- time --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["evm_increaseTime", "anvil_increaseTime"])
def test_increase_time(w3: Web3, name: str) -> None:
    before = now(w3)
    first = call(w3, name, [3600])  # a JSON number in and out, as anvil
    assert isinstance(first, int)
    assert call(w3, name, ["0xe10"]) == first + 3600  # viem: numberToHex(seconds)
    assert call(w3, name, ["3600"]) == first + 7200  # scripts written for Hardhat
    call(w3, "evm_mine", [])
    assert before + 10_800 <= stamp(w3) <= before + 10_803


@pytest.mark.parametrize("name", ["evm_setNextBlockTimestamp", "anvil_setNextBlockTimestamp"])
@pytest.mark.parametrize("shape", [hex, int])
def test_set_next_block_timestamp(w3: Web3, name: str, shape: Any) -> None:
    at = stamp(w3) + 86_400
    assert call(w3, name, [shape(at)]) is None
    call(w3, "evm_mine", [])
    assert stamp(w3) == at
    assert error(w3, name, [at]) == {
        "code": -32000,
        "message": f"timestamp {at} is not after the latest block's {at}",
    }


# -- state edits ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["anvil_setBalance", "hardhat_setBalance", "tenderly_setBalance"])
@pytest.mark.parametrize(
    ("value", "wei"),
    [
        ("0xde0b6b3a7640000", ETHER),  # viem, ethers' toQuantity
        (ETHER, ETHER),  # a JSON number
        ("0x0000000000000000000000000a", 10),  # leading zeros (ethers' toBeHex(v, 32))
        (str(ETHER), ETHER),  # a decimal string, as anvil parses it
    ],
)
def test_set_balance(w3: Web3, name: str, value: Any, wei: int) -> None:
    assert call(w3, name, [FRESH, value]) is None
    assert balance(w3, FRESH) == wei


@pytest.mark.parametrize("name", ["anvil_addBalance", "hardhat_addBalance", "tenderly_addBalance"])
def test_add_balance(w3: Web3, name: str) -> None:
    call(w3, "anvil_setBalance", [FRESH, 100])
    assert call(w3, name, [FRESH, "0x10"]) is None
    assert call(w3, name, [FRESH, 4]) is None
    assert balance(w3, FRESH) == 120
    call(w3, name, [FRESH, hex(2**256 - 1)])  # saturates, as anvil
    assert balance(w3, FRESH) == 2**256 - 1


@pytest.mark.parametrize("name", ["anvil_setNonce", "hardhat_setNonce", "evm_setAccountNonce"])
@pytest.mark.parametrize("value", ["0x2a", 42, "0x002a"])
def test_set_nonce(w3: Web3, name: str, value: Any) -> None:
    assert call(w3, name, [FRESH, value]) is None
    assert call(w3, "eth_getTransactionCount", [FRESH, "latest"]) == "0x2a"


def test_set_nonce_then_send(w3: Web3) -> None:
    call(w3, "anvil_setNonce", [DEV[3], 100])
    tx_hash = call(w3, "eth_sendTransaction", [{"from": DEV[3], "to": DEV[4], "value": "0x1"}])
    assert call(w3, "eth_getTransactionByHash", [tx_hash])["nonce"] == "0x64"


@pytest.mark.parametrize("name", ["anvil_setCode", "hardhat_setCode"])
def test_set_code(w3: Web3, name: str) -> None:
    assert call(w3, name, [FRESH, "0x6001600055"]) is None
    assert call(w3, "eth_getCode", [FRESH, "latest"]) == "0x6001600055"
    call(w3, name, [FRESH, "0x"])
    assert call(w3, "eth_getCode", [FRESH, "latest"]) == "0x"


@pytest.mark.parametrize("name", ["anvil_setStorageAt", "hardhat_setStorageAt"])
@pytest.mark.parametrize(
    "key",
    ["0x5", 5, "0x" + "00" * 31 + "05", "0x05", "5"],  # viem: numberToHex(index); padded
)
def test_set_storage_at(w3: Web3, name: str, key: Any) -> None:
    word = "0x" + "00" * 31 + "2a"
    assert call(w3, name, [FRESH, key, word]) is True
    assert call(w3, "eth_getStorageAt", [FRESH, "0x5", "latest"]) == word


def test_quantity_errors_say_what_is_wrong(w3: Web3) -> None:
    assert error(w3, "anvil_setBalance", [FRESH, -1]) == {
        "code": -32602,
        "message": "invalid argument 1: negative number -1",
    }
    assert error(w3, "anvil_setBalance", [FRESH, "a hundred"]) == {
        "code": -32602,
        "message": "invalid argument 1: json: cannot unmarshal hex string without 0x prefix "
        "into Go value of type *hexutil.Big",
    }
    assert error(w3, "anvil_setNonce", [FRESH, 2**64]) == {
        "code": -32602,
        "message": "invalid argument 1: number > 64 bits",
    }
    assert error(w3, "anvil_setBalance", [FRESH, 1.5]) == {
        "code": -32602,
        "message": "invalid argument 1: json: cannot unmarshal non-string "
        "into Go value of type *hexutil.Big",
    }
    assert error(w3, "anvil_setStorageAt", [FRESH, "0x1", "0x2a"]) == {
        "code": -32602,
        "message": "invalid argument 2: hex string has length 2, want 64 for common.Hash",
    }
