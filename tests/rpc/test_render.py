"""Renderers against geth 1.16's JSON: field names, encodings and key order.

Records are built by hand so every value is known. Key order matters (clients and
snapshot tests compare text): geth marshals blocks and receipts from Go maps, so their
keys are sorted; transactions (RPCTransaction), logs (types.Log) and proofs
(AccountResult) are structs and keep declaration order. Each check compares the items
in order, which pins names, values and order at once.
"""

from __future__ import annotations

import json
from typing import Any

from mocknode.chain.logs.query import LogEntry
from mocknode.chain.records import Authorization, Block, Header, Log, Receipt, Tx, TxLocation
from mocknode.chain.state.proofs import AccountProof, StorageProof
from mocknode.rpc import render
from mocknode.rpc.jsonrpc import RawJson
from mocknode.types import Address, Hash32

GWEI = 10**9


def h32(byte: int) -> Hash32:
    return Hash32(bytes([byte]) * 32)


def a20(byte: int) -> Address:
    return Address(bytes([byte]) * 20)


def hx(data: bytes) -> str:
    return "0x" + data.hex()


def assert_ordered(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert list(actual.items()) == list(expected.items())


def make_tx(tx_type: int, **fields: Any) -> Tx:
    base: dict[str, Any] = {
        "hash": h32(0x70 + tx_type),
        "type": tx_type,
        "sender": a20(0x01),
        "nonce": 3,
        "gas": 21000,
        "to": a20(0x02),
        "value": 10**18,
        "data": b"\xca\xfe",
        "chain_id": 31337,
        "gas_price": 2 * GWEI if tx_type < 2 else None,
        "max_fee_per_gas": 3 * GWEI if tx_type >= 2 else 2 * GWEI,
        "max_priority_fee_per_gas": GWEI if tx_type >= 2 else 2 * GWEI,
        "access_list": ((a20(0x05), (h32(0x06),)),) if tx_type >= 1 else (),
        "authorization_list": (),
        "v": 1 if tx_type >= 1 else 62709,
        "r": 0x1234,
        "s": 0x5678,
        "raw": b"\x00",
    }
    base.update(fields)
    return Tx(**base)


LOG = Log(address=a20(0x0C), topics=(h32(0x0D), h32(0x0E)), data=b"\x00\x01")
TX2 = make_tx(2)
RECEIPT = Receipt(
    tx_type=2,
    success=True,
    gas_used=21000,
    cumulative_gas_used=42000,
    logs=(LOG,),
    bloom=b"\x01" + bytes(255),
    contract_address=None,
    effective_gas_price=GWEI + GWEI,
    first_log_index=4,
)
CREATION = make_tx(0, hash=h32(0x7F), to=None, chain_id=None, v=27)
CREATION_RECEIPT = Receipt(
    tx_type=0,
    success=False,
    gas_used=50000,
    cumulative_gas_used=92000,
    logs=(),
    bloom=bytes(256),
    contract_address=a20(0x0F),
    effective_gas_price=2 * GWEI,
    first_log_index=5,
)
HEADER = Header(
    parent_hash=h32(0x21),
    ommers_hash=h32(0x22),
    coinbase=a20(0x23),
    state_root=h32(0x24),
    transactions_root=h32(0x25),
    receipts_root=h32(0x26),
    logs_bloom=b"\x80" + bytes(255),
    difficulty=0,
    number=0x10,
    gas_limit=30_000_000,
    gas_used=92000,
    timestamp=1_700_000_000,
    extra_data=b"mock",
    mix_hash=h32(0x27),
    nonce=bytes(8),
    base_fee_per_gas=GWEI,
    withdrawals_root=h32(0x28),
    blob_gas_used=0,
    excess_blob_gas=0,
    parent_beacon_block_root=h32(0x29),
    requests_hash=h32(0x2A),
)
BLOCK = Block(
    header=HEADER,
    hash=h32(0x30),
    transactions=(TX2, CREATION),
    receipts=(RECEIPT, CREATION_RECEIPT),
    size=1234,
)


def expected_header() -> dict[str, Any]:
    return {
        "baseFeePerGas": "0x3b9aca00",
        "blobGasUsed": "0x0",
        "difficulty": "0x0",
        "excessBlobGas": "0x0",
        "extraData": "0x6d6f636b",
        "gasLimit": "0x1c9c380",
        "gasUsed": "0x16760",
        "hash": hx(h32(0x30)),
        "logsBloom": "0x80" + "00" * 255,
        "miner": hx(a20(0x23)),
        "mixHash": hx(h32(0x27)),
        "nonce": "0x0000000000000000",
        "number": "0x10",
        "parentBeaconBlockRoot": hx(h32(0x29)),
        "parentHash": hx(h32(0x21)),
        "receiptsRoot": hx(h32(0x26)),
        "requestsHash": hx(h32(0x2A)),
        "sha3Uncles": hx(h32(0x22)),
        "stateRoot": hx(h32(0x24)),
        "timestamp": "0x6553f100",
        "transactionsRoot": hx(h32(0x25)),
        "withdrawalsRoot": hx(h32(0x28)),
    }


def expected_block(transactions: list[Any]) -> dict[str, Any]:
    header = expected_header()
    out: dict[str, Any] = {}
    for key in sorted([*header, "size", "transactions", "uncles", "withdrawals"]):
        out[key] = header.get(key)
    out.update(size="0x4d2", transactions=transactions, uncles=[], withdrawals=[])
    return out


# -- scalars -----------------------------------------------------------------------------


def test_hex_helpers() -> None:
    assert render.hex_quantity(0) == "0x0"
    assert render.hex_quantity(255) == "0xff"
    assert render.hex_data(b"") == "0x"
    assert render.hex_data(b"\x00\x0a") == "0x000a"
    assert render.hex_word(1) == "0x" + "00" * 31 + "01"
    assert render.hex_addresses([a20(1), a20(0xAB)]) == ["0x" + "01" * 20, "0x" + "ab" * 20]


# -- blocks ------------------------------------------------------------------------------


def test_block_with_hashes_has_sorted_keys() -> None:
    rendered = render.block_json(BLOCK, False)
    assert_ordered(rendered, expected_block([hx(TX2.hash), hx(CREATION.hash)]))
    assert list(rendered) == sorted(rendered)


def test_block_with_full_transactions() -> None:
    rendered = render.block_json(BLOCK, True)
    assert rendered["transactions"] == [
        render.tx_json(TX2, BLOCK, 0, GWEI),
        render.tx_json(CREATION, BLOCK, 1, GWEI),
    ]
    assert rendered["transactions"][1]["transactionIndex"] == "0x1"
    assert rendered["transactions"][0]["gasPrice"] == hex(2 * GWEI)  # effective price


def test_header_is_a_block_without_bodies() -> None:
    assert_ordered(render.header_json(BLOCK), expected_header())
    text = render.header_text(BLOCK)
    assert type(text) is RawJson
    assert text == json.dumps(expected_header(), separators=(",", ":"))


def test_block_text_is_the_compact_json_and_is_reused() -> None:
    first = render.block_text(BLOCK, False)
    assert type(first) is RawJson
    assert first == json.dumps(render.block_json(BLOCK, False), separators=(",", ":"))
    assert render.block_text(BLOCK, False) == first
    assert json.loads(render.block_text(BLOCK, True)) == render.block_json(BLOCK, True)


# -- transactions --------------------------------------------------------------------------


def tx_prefix(tx: Tx, gas_price: int, mined: bool) -> dict[str, Any]:
    return {
        "blockHash": hx(BLOCK.hash) if mined else None,
        "blockNumber": "0x10" if mined else None,
        "from": hx(tx.sender),
        "gas": "0x5208",
        "gasPrice": hex(gas_price),
    }


def tx_middle(tx: Tx, index: int | None) -> dict[str, Any]:
    return {
        "hash": hx(tx.hash),
        "input": "0xcafe",
        "nonce": "0x3",
        "to": hx(a20(0x02)),
        "transactionIndex": None if index is None else hex(index),
        "value": "0xde0b6b3a7640000",
        "type": hex(tx.type),
    }


ACCESS_LIST = [{"address": hx(a20(0x05)), "storageKeys": [hx(h32(0x06))]}]


def test_legacy_transaction() -> None:
    tx = make_tx(0)
    assert_ordered(
        render.tx_json(tx, BLOCK, 0, GWEI),
        {
            **tx_prefix(tx, 2 * GWEI, True),
            **tx_middle(tx, 0),
            "chainId": "0x7a69",  # EIP-155: geth shows the chain id of a legacy tx
            "v": "0xf4f5",
            "r": "0x1234",
            "s": "0x5678",
        },
    )
    pre_eip155 = make_tx(0, chain_id=None, v=27)
    rendered = render.tx_json(pre_eip155, None, None, None)
    assert "chainId" not in rendered
    assert "yParity" not in rendered
    assert rendered["v"] == "0x1b"


def test_access_list_transaction() -> None:
    tx = make_tx(1)
    assert_ordered(
        render.tx_json(tx, BLOCK, 0, GWEI),
        {
            **tx_prefix(tx, 2 * GWEI, True),
            **tx_middle(tx, 0),
            "accessList": ACCESS_LIST,
            "chainId": "0x7a69",
            "v": "0x1",
            "r": "0x1234",
            "s": "0x5678",
            "yParity": "0x1",
        },
    )


def test_dynamic_fee_transaction_mined_and_pending() -> None:
    tx = make_tx(2)
    fees = {"maxFeePerGas": "0xb2d05e00", "maxPriorityFeePerGas": "0x3b9aca00"}
    tail = {
        "accessList": ACCESS_LIST,
        "chainId": "0x7a69",
        "v": "0x1",
        "r": "0x1234",
        "s": "0x5678",
        "yParity": "0x1",
    }
    # Mined: the effective price, min(fee cap, base fee + tip).
    assert_ordered(
        render.tx_json(tx, BLOCK, 1, GWEI),
        {**tx_prefix(tx, 2 * GWEI, True), **fees, **tx_middle(tx, 1), **tail},
    )
    # Pending: no block fields, and the fee cap as gas price.
    assert_ordered(
        render.tx_json(tx, None, None, None),
        {**tx_prefix(tx, 3 * GWEI, False), **fees, **tx_middle(tx, None), **tail},
    )


def test_set_code_transaction() -> None:
    auth = Authorization(chain_id=31337, address=a20(0x09), nonce=4, y_parity=1, r=0xAA, s=0xBB)
    tx = make_tx(4, authorization_list=(auth,))
    rendered = render.tx_json(tx, BLOCK, 0, GWEI)
    assert list(rendered) == [
        "blockHash",
        "blockNumber",
        "from",
        "gas",
        "gasPrice",
        "maxFeePerGas",
        "maxPriorityFeePerGas",
        "hash",
        "input",
        "nonce",
        "to",
        "transactionIndex",
        "value",
        "type",
        "accessList",
        "chainId",
        "authorizationList",
        "v",
        "r",
        "s",
        "yParity",
    ]
    assert rendered["type"] == "0x4"
    assert_ordered(
        rendered["authorizationList"][0],
        {
            "chainId": "0x7a69",
            "address": hx(a20(0x09)),
            "nonce": "0x4",
            "yParity": "0x1",
            "r": "0xaa",
            "s": "0xbb",
        },
    )


def test_contract_creation_has_null_to() -> None:
    assert render.tx_json(CREATION, BLOCK, 1, GWEI)["to"] is None


# -- logs and receipts -----------------------------------------------------------------


def expected_log(removed: bool = False) -> dict[str, Any]:
    return {
        "address": hx(a20(0x0C)),
        "topics": [hx(h32(0x0D)), hx(h32(0x0E))],
        "data": "0x0001",
        "blockNumber": "0x10",
        "transactionHash": hx(TX2.hash),
        "transactionIndex": "0x0",
        "blockHash": hx(BLOCK.hash),
        "blockTimestamp": "0x6553f100",
        "logIndex": "0x4",
        "removed": removed,
    }


def test_log() -> None:
    assert_ordered(render.log_json(LOG, BLOCK, 0, 4), expected_log())
    entry = LogEntry(BLOCK, 0, 4, LOG, removed=True)
    assert_ordered(render.log_entry_json(entry), expected_log(removed=True))
    assert render.log_entry_text(entry) == json.dumps(
        expected_log(removed=True), separators=(",", ":")
    )


def test_log_entries_json_is_an_array_of_cached_texts() -> None:
    entries = [LogEntry(BLOCK, 0, 4, LOG), LogEntry(BLOCK, 0, 4, LOG, removed=True)]
    text = render.log_entries_json(entries)
    assert type(text) is RawJson
    assert json.loads(text) == [expected_log(), expected_log(removed=True)]
    assert render.log_entries_json([]) == "[]"
    # Reused: the same text again, keys in struct order.
    assert render.log_entries_json(entries) == text
    assert text.startswith('[{"address":')


def test_receipt_has_sorted_keys() -> None:
    rendered = render.receipt_json(TxLocation(BLOCK, 0))
    assert_ordered(
        rendered,
        {
            "blockHash": hx(BLOCK.hash),
            "blockNumber": "0x10",
            "contractAddress": None,
            "cumulativeGasUsed": "0xa410",
            "effectiveGasPrice": "0x77359400",
            "from": hx(a20(0x01)),
            "gasUsed": "0x5208",
            "logs": [expected_log()],
            "logsBloom": "0x01" + "00" * 255,
            "status": "0x1",
            "to": hx(a20(0x02)),
            "transactionHash": hx(TX2.hash),
            "transactionIndex": "0x0",
            "type": "0x2",
        },
    )
    assert list(rendered) == sorted(rendered)


def test_failed_contract_creation_receipt() -> None:
    rendered = render.receipt_json(TxLocation(BLOCK, 1))
    assert rendered["status"] == "0x0"
    assert rendered["to"] is None
    assert rendered["contractAddress"] == hx(a20(0x0F))
    assert rendered["logs"] == []
    assert rendered["transactionIndex"] == "0x1"
    assert rendered["type"] == "0x0"
    assert json.loads(render.receipt_text(TxLocation(BLOCK, 1))) == rendered


# -- proofs ------------------------------------------------------------------------------


def test_proof_struct_order_and_key_echo() -> None:
    proof = AccountProof(
        address=a20(0x42),
        account_proof=(b"\xf8\x01", b"\xe2"),
        balance=10**18,
        code_hash=h32(0xC5),
        nonce=2,
        storage_hash=h32(0x56),
        storage_proof=(
            StorageProof(key=7, value=9, proof=(b"\xaa\xbb",)),
            StorageProof(key=7, value=9, proof=()),
            StorageProof(key=0, value=0, proof=()),
        ),
    )
    # geth echoes a 32-byte key as 32 bytes and any other key as a quantity.
    rendered = render.proof_json(proof, [1, 32, 0])
    assert_ordered(
        rendered,
        {
            "address": hx(a20(0x42)),
            "accountProof": ["0xf801", "0xe2"],
            "balance": "0xde0b6b3a7640000",
            "codeHash": hx(h32(0xC5)),
            "nonce": "0x2",
            "storageHash": hx(h32(0x56)),
            "storageProof": [
                {"key": "0x7", "value": "0x9", "proof": ["0xaabb"]},
                {"key": "0x" + "00" * 31 + "07", "value": "0x9", "proof": []},
                {"key": "0x0", "value": "0x0", "proof": []},
            ],
        },
    )
    assert list(rendered["storageProof"][0]) == ["key", "value", "proof"]
