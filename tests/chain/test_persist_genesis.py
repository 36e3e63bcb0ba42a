"""geth genesis files read into a chain (``mocknode --init``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mocknode.chain.chain import Chain
from mocknode.chain.config import ChainConfig
from mocknode.chain.primitives.hashing import keccak
from mocknode.persist.errors import GenesisFileError
from mocknode.persist.genesis_file import apply_genesis, parse_genesis, read_genesis_file
from mocknode.types import LATEST, Address
from mocknode.values import replace

CONTRACT = "0x" + "c0" * 20
RUNTIME = "0x6000354060005260206000f3"
DEV0 = "f39fd6e51aad88f6f4ce6ab8827279cfffb92266"

# As geth's own tooling writes one (numbers hex or decimal, alloc keys without 0x),
# with the fields mocknode ignores present too.
GENESIS: dict[str, Any] = {
    "config": {"chainId": 1337, "homesteadBlock": 0, "cancunTime": 0, "pragueTime": 0},
    "nonce": "0x42",
    "timestamp": "0x6553f100",
    "extraData": "0x6d6f636b6e6f6465",
    "gasLimit": "45000000",
    "difficulty": "0x1",
    "mixHash": "0x" + "00" * 32,
    "coinbase": "0x" + "cb" * 20,
    "baseFeePerGas": "0x3b9aca0",
    "number": "0x0",
    "alloc": {
        CONTRACT[2:]: {
            "balance": "0x0",
            "nonce": "0x1",
            "code": RUNTIME,
            "storage": {"0x" + "00" * 31 + "01": "0x" + "00" * 31 + "2a", "0x02": "0x07"},
        },
        "0x" + "ab" * 20: {"balance": "1000000000000000000", "nonce": 5},
        DEV0: {"balance": "0x1"},
        "0x" + "ee" * 20: {"balance": "0", "privateKey": "0x" + "11" * 32},
    },
}


def chain_from(document: dict[str, Any]) -> Chain:
    return Chain(apply_genesis(ChainConfig(), parse_genesis(document)))


def test_a_geth_genesis_builds_block_zero() -> None:
    chain = chain_from(GENESIS)
    contract = Address(bytes.fromhex(CONTRACT[2:]))
    assert chain.config.chain_id == 1337
    header = chain.head.header
    assert (header.number, header.timestamp, header.extra_data) == (0, 0x6553F100, b"mocknode")
    assert (header.gas_limit, header.base_fee_per_gas) == (45_000_000, 0x3B9ACA0)
    assert header.coinbase == b"\xcb" * 20
    assert chain.code(contract, LATEST) == bytes.fromhex(RUNTIME[2:])
    assert chain.storage(contract, 1, LATEST) == 42
    assert chain.storage(contract, 2, LATEST) == 7
    assert chain.nonce(contract, LATEST) == 1
    assert chain.balance(Address(b"\xab" * 20), LATEST) == 10**18
    assert chain.nonce(Address(b"\xab" * 20), LATEST) == 5
    assert chain.balance(Address(bytes.fromhex(DEV0)), LATEST) == 1  # the file wins
    assert chain.balance(chain.accounts[1].address, LATEST) == 10_000 * 10**18  # the rest stay
    reader = chain.state.reader()
    assert reader.account(Address(b"\xee" * 20)) is not None  # allocated, even if empty
    assert reader.account(contract).code_hash == keccak(bytes.fromhex(RUNTIME[2:]))  # type: ignore[union-attr]
    chain.mine()  # and the chain goes on from it
    assert chain.head.header.gas_limit == 45_000_000


def test_what_the_file_leaves_out_stays_the_nodes() -> None:
    base = ChainConfig()
    chain = Chain(apply_genesis(base, parse_genesis({"alloc": {}})))
    assert chain.config == replace(base, genesis=chain.config.genesis)
    assert chain.head.header.extra_data == b""


def test_read_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "genesis.json"
    path.write_text(json.dumps(GENESIS))
    assert read_genesis_file(path).chain_id == 1337
    path.write_text("{nope")
    with pytest.raises(GenesisFileError, match=rf"^{path}: not JSON"):
        read_genesis_file(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"number": "0x5"}, "number: mocknode's chain starts at block 0"),
        ({"alloc": {"ab" * 20: {"nonce": "0x1"}}}, r"alloc abab.*: missing balance"),
        ({"alloc": {"ab" * 19: {"balance": "0x1"}}}, "expected 20 bytes, got 19"),
        ({"alloc": {"ab" * 20: {"balance": "lots"}}}, r"\.balance: not a number: 'lots'"),
        ({"alloc": {"ab" * 20: {"balance": "0x1", "code": "zz"}}}, r"\.code: not hex"),
        (
            {"alloc": {"ab" * 20: {"balance": "0x1", "storage": {"0x01": "0x" + "11" * 33}}}},
            r"storage 0x01: expected up to 32 bytes",
        ),
        ({"config": {"chainId": 0}}, "config.chainId: must be at least 1"),
        ({"gasLimit": "-1"}, "gasLimit: -1 is out of range"),
        ({"extraData": "abcd"}, "extraData: hex string without 0x prefix"),
        ({"alloc": []}, "alloc: expected an object"),
    ],
)
def test_a_genesis_mocknode_cannot_use_says_why(change: dict[str, Any], message: str) -> None:
    with pytest.raises(GenesisFileError, match=message):
        parse_genesis({**GENESIS, **change})
