"""Block 0: the predeploys, the funded accounts, and a header over them.

Explicit inputs (the state to commit the allocation to, the header's settings), so the
chain only supplies its configuration; nothing here needs the EVM, which keeps a
node's start-up free of py-evm.
"""

from __future__ import annotations

from collections.abc import Iterable

from mocknode.chain.block import system
from mocknode.chain.block.assembly import EMPTY_REQUESTS_HASH, make_block
from mocknode.chain.genesis_spec import GenesisAccount
from mocknode.chain.primitives.hashing import BLANK_ROOT, EMPTY_LIST_HASH, keccak
from mocknode.chain.records import Block, Header
from mocknode.chain.state.world import Account, BlockDiff, WorldState
from mocknode.types import ZERO_HASH, Address, Hash32


def genesis_block(
    state: WorldState,
    alloc: Iterable[tuple[Address, int]],
    *,
    coinbase: Address,
    gas_limit: int,
    base_fee: int,
    timestamp: int,
    genesis_accounts: Iterable[tuple[Address, GenesisAccount]] = (),
    extra_data: bytes = b"",
) -> Block:
    """Commit the system contracts, ``alloc`` (address, balance), then
    ``genesis_accounts`` (a genesis file's, replacing any account of the same address)
    to the empty ``state``; return the genesis block over that state."""
    accounts: dict[Address, Account | None] = {}
    codes: dict[bytes, bytes] = {}
    storage: dict[Address, dict[int, int]] = {}
    for address, code in system.PREDEPLOYS:
        code_hash = keccak(code)
        codes[code_hash] = code
        accounts[address] = Account(1, 0, code_hash)
    for address, balance in alloc:
        accounts[address] = Account(0, balance, keccak(b""))
    for address, spec in genesis_accounts:
        code_hash = keccak(spec.code)
        if spec.code:
            codes[code_hash] = spec.code
        accounts[address] = Account(spec.nonce, spec.balance, code_hash)
        slots = {slot: value for slot, value in spec.storage if value}
        storage.pop(address, None)
        if slots:
            storage[address] = slots
    state_root = Hash32(state.commit(BlockDiff(accounts, storage, codes)))
    header = Header(
        parent_hash=ZERO_HASH,
        ommers_hash=Hash32(EMPTY_LIST_HASH),
        coinbase=coinbase,
        state_root=state_root,
        transactions_root=Hash32(BLANK_ROOT),
        receipts_root=Hash32(BLANK_ROOT),
        logs_bloom=bytes(256),
        difficulty=0,
        number=0,
        gas_limit=gas_limit,
        gas_used=0,
        timestamp=timestamp,
        extra_data=extra_data,
        mix_hash=ZERO_HASH,
        nonce=bytes(8),
        base_fee_per_gas=base_fee,
        withdrawals_root=Hash32(BLANK_ROOT),
        blob_gas_used=0,
        excess_blob_gas=0,
        parent_beacon_block_root=ZERO_HASH,
        requests_hash=EMPTY_REQUESTS_HASH,
    )
    return make_block(header, (), ())
