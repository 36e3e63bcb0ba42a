"""Frozen records of what the chain holds: transactions, logs, receipts, blocks.

These are what the RPC layer renders. They carry typed values only (bytes, ints).
"""

from __future__ import annotations

from mocknode.chain.primitives import rlp
from mocknode.chain.primitives.hashing import keccak
from mocknode.types import Address, Hash32
from mocknode.values import dataclass


@dataclass(frozen=True, slots=True)
class Authorization:
    chain_id: int
    address: Address
    nonce: int
    y_parity: int
    r: int
    s: int


@dataclass(frozen=True, slots=True)
class Tx:
    """A signed transaction, decoded once."""

    hash: Hash32
    type: int
    sender: Address
    nonce: int
    gas: int
    to: Address | None
    value: int
    data: bytes
    chain_id: int | None
    gas_price: int | None  # types 0 and 1
    max_fee_per_gas: int  # types 0/1: the gas price
    max_priority_fee_per_gas: int  # types 0/1: the gas price
    access_list: tuple[tuple[Address, tuple[Hash32, ...]], ...]
    authorization_list: tuple[Authorization, ...]
    v: int
    r: int
    s: int
    raw: bytes  # the canonical encoding (typed: type byte + payload)
    # Sent for an impersonated account: the signature is a placeholder (r = s = 1)
    # and the hash is keccak(raw + sender), as anvil makes them.
    impersonated: bool = False
    # Type 3 (EIP-4844) only: the blob fee cap and the blobs' versioned hashes. The
    # blobs themselves (the sidecar) are checked on submission and not kept: blocks
    # carry none, as on geth.
    max_fee_per_blob_gas: int = 0
    blob_versioned_hashes: tuple[Hash32, ...] = ()

    def effective_gas_price(self, base_fee: int) -> int:
        return min(self.max_fee_per_gas, base_fee + self.max_priority_fee_per_gas)


@dataclass(frozen=True, slots=True)
class Log:
    address: Address
    topics: tuple[Hash32, ...]
    data: bytes

    def encode(self) -> bytes:
        return rlp.encode_list(
            (
                rlp.encode_bytes(self.address),
                rlp.encode_list(rlp.encode_bytes(t) for t in self.topics),
                rlp.encode_bytes(self.data),
            )
        )


@dataclass(frozen=True, slots=True)
class Receipt:
    tx_type: int
    success: bool
    gas_used: int
    cumulative_gas_used: int
    logs: tuple[Log, ...]
    bloom: bytes
    contract_address: Address | None
    effective_gas_price: int
    first_log_index: int  # position of this receipt's first log in the block

    def encode(self) -> bytes:
        body = rlp.encode_list(
            (
                rlp.encode_int(1 if self.success else 0),
                rlp.encode_int(self.cumulative_gas_used),
                rlp.encode_bytes(self.bloom),
                rlp.encode_list(log.encode() for log in self.logs),
            )
        )
        return body if self.tx_type == 0 else bytes((self.tx_type,)) + body


@dataclass(frozen=True, slots=True)
class Header:
    parent_hash: Hash32
    ommers_hash: Hash32
    coinbase: Address
    state_root: Hash32
    transactions_root: Hash32
    receipts_root: Hash32
    logs_bloom: bytes
    difficulty: int
    number: int
    gas_limit: int
    gas_used: int
    timestamp: int
    extra_data: bytes
    mix_hash: Hash32
    nonce: bytes
    base_fee_per_gas: int
    withdrawals_root: Hash32
    blob_gas_used: int
    excess_blob_gas: int
    parent_beacon_block_root: Hash32
    requests_hash: Hash32

    def encode(self) -> bytes:
        return rlp.encode_list(
            (
                rlp.encode_bytes(self.parent_hash),
                rlp.encode_bytes(self.ommers_hash),
                rlp.encode_bytes(self.coinbase),
                rlp.encode_bytes(self.state_root),
                rlp.encode_bytes(self.transactions_root),
                rlp.encode_bytes(self.receipts_root),
                rlp.encode_bytes(self.logs_bloom),
                rlp.encode_int(self.difficulty),
                rlp.encode_int(self.number),
                rlp.encode_int(self.gas_limit),
                rlp.encode_int(self.gas_used),
                rlp.encode_int(self.timestamp),
                rlp.encode_bytes(self.extra_data),
                rlp.encode_bytes(self.mix_hash),
                rlp.encode_bytes(self.nonce),
                rlp.encode_int(self.base_fee_per_gas),
                rlp.encode_bytes(self.withdrawals_root),
                rlp.encode_int(self.blob_gas_used),
                rlp.encode_int(self.excess_blob_gas),
                rlp.encode_bytes(self.parent_beacon_block_root),
                rlp.encode_bytes(self.requests_hash),
            )
        )

    def hash(self) -> Hash32:
        return Hash32(keccak(self.encode()))


@dataclass(frozen=True, slots=True)
class Block:
    header: Header
    hash: Hash32
    transactions: tuple[Tx, ...]
    receipts: tuple[Receipt, ...]
    size: int

    @property
    def number(self) -> int:
        return self.header.number


@dataclass(frozen=True, slots=True)
class TxLocation:
    """Where a mined transaction sits: its block and its index there."""

    block: Block
    index: int

    @property
    def tx(self) -> Tx:
        return self.block.transactions[self.index]

    @property
    def receipt(self) -> Receipt:
        return self.block.receipts[self.index]


def logs_bloom(logs: tuple[Log, ...]) -> int:
    """The 2048-bit bloom of ``logs`` as an int (OR-able across receipts)."""
    bloom = 0
    for log in logs:
        for item in (log.address, *log.topics):
            h = keccak(item)
            for i in (0, 2, 4):
                bloom |= 1 << (((h[i] << 8) | h[i + 1]) & 2047)
    return bloom


_EMPTY_BLOOM = bytes(256)


def bloom_bytes(bloom: int) -> bytes:
    """The 256-byte bloom; the empty one (no logs: most receipts, every empty block) is
    one shared object rather than 289 bytes more per receipt and per block."""
    return bloom.to_bytes(256, "big") if bloom else _EMPTY_BLOOM
