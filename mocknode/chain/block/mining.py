"""Building one block: system writes, transactions from the pool, roots, header.

A block is built on a :class:`JournalAccounts` over the latest state and committed in
one step at the end, so an exception half-way leaves no state behind; the transaction
that raised it is dropped from the pool rather than retried into every later block.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from mocknode.chain.block import system
from mocknode.chain.primitives import rlp, trie
from mocknode.chain.primitives.hashing import BLANK_ROOT, EMPTY_LIST_HASH, keccak
from mocknode.chain.records import Block, Header, Receipt, Tx, bloom_bytes, logs_bloom
from mocknode.types import ZERO_HASH, Address, Hash32

if TYPE_CHECKING:
    from mocknode.chain.chain import Chain
    from mocknode.chain.evm import engine
    from mocknode.chain.state.journal import JournalAccounts

EMPTY_REQUESTS_HASH = Hash32(hashlib.sha256(b"").digest())


def next_base_fee(parent: Header) -> int:
    """EIP-1559: move the base fee by up to 1/8 towards the gas target."""
    target = parent.gas_limit // 2
    base = parent.base_fee_per_gas
    used = parent.gas_used
    if used == target:
        return base
    if used > target:
        return base + max(1, base * (used - target) // target // 8)
    return base - base * (target - used) // target // 8


def ordered_root(items: list[bytes]) -> Hash32:
    """Root of the trie keyed by RLP(index): transactions and receipts roots."""
    node = None
    for i, item in enumerate(items):
        node = trie.put(node, trie.to_nibbles(rlp.encode_int(i)), item)
    return Hash32(trie.root_hash(node))


def create_address(sender: Address, nonce: int) -> Address:
    return Address(keccak(rlp.encode_list((rlp.encode_bytes(sender), rlp.encode_int(nonce))))[12:])


def block_env(chain: Chain, parent: Block, timestamp: int) -> engine.BlockEnv:
    from mocknode.chain.evm import engine  # the EVM adapter loads on first use (see chain.py)

    number = parent.number + 1
    return engine.BlockEnv(
        number=number,
        timestamp=timestamp,
        coinbase=chain.config.coinbase,
        gas_limit=chain.config.gas_limit,
        base_fee=next_base_fee(parent.header),
        # Deterministic prevRandao: a function of the chain so far, like the rest.
        prev_randao=Hash32(keccak(parent.hash + rlp.encode_int(number))),
        chain_id=chain.config.chain_id,
        ancestor_hashes=lambda: chain.ancestor_hashes(number),
    )


def _system_writes(journal: JournalAccounts, env: engine.BlockEnv, parent: Block) -> None:
    """EIP-4788 beacon root and EIP-2935 parent hash, written before any transaction."""
    slot = env.timestamp % system.BEACON_ROOTS_BUFFER
    journal.set_storage(system.BEACON_ROOTS_ADDRESS, slot, env.timestamp)
    journal.set_storage(system.BEACON_ROOTS_ADDRESS, slot + system.BEACON_ROOTS_BUFFER, 0)
    journal.set_storage(
        system.HISTORY_STORAGE_ADDRESS,
        parent.number % system.HISTORY_SERVE_WINDOW,
        int.from_bytes(parent.hash, "big"),
    )
    journal.lock_changes()


def _next_executable(
    chain: Chain, journal: JournalAccounts, env: engine.BlockEnv, gas_left: int
) -> Tx | None:
    pool = chain.pool
    nonces = {sender: journal.get_nonce(sender) for sender in pool.senders()}
    for tx in pool.executable(nonces):
        if tx.gas > gas_left or tx.max_fee_per_gas < env.base_fee:
            continue
        if journal.get_balance(tx.sender) < tx.gas * tx.max_fee_per_gas + tx.value:
            pool.remove(tx)  # can no longer pay: geth drops it too
            continue
        return tx
    return None


def build_block(chain: Chain, timestamp: int, max_transactions: int | None) -> Block:
    """Execute the pool's executable transactions into a new block and commit its state."""
    from mocknode.chain.evm import engine
    from mocknode.chain.state.journal import JournalAccounts

    parent = chain.head
    env = block_env(chain, parent, timestamp)
    journal = JournalAccounts(chain.state.reader())
    _system_writes(journal, env, parent)
    included: list[Tx] = []
    receipts: list[Receipt] = []
    gas_used = bloom = log_index = 0
    while max_transactions is None or len(included) < max_transactions:
        tx = _next_executable(chain, journal, env, chain.config.gas_limit - gas_used)
        if tx is None:
            break
        chain.pool.remove(
            tx
        )  # executed or failed, it leaves the pool: it never poisons the next block
        outcome = engine.apply_transaction(journal, env, tx)
        gas_used += outcome.gas_used
        tx_bloom = logs_bloom(outcome.logs)
        bloom |= tx_bloom
        receipts.append(
            Receipt(
                tx_type=tx.type,
                success=outcome.success,
                gas_used=outcome.gas_used,
                cumulative_gas_used=gas_used,
                logs=outcome.logs,
                bloom=bloom_bytes(tx_bloom),
                contract_address=create_address(tx.sender, tx.nonce) if tx.to is None else None,
                effective_gas_price=tx.effective_gas_price(env.base_fee),
                first_log_index=log_index,
            )
        )
        log_index += len(outcome.logs)
        included.append(tx)
    state_root = Hash32(chain.state.commit(journal.diff()))
    header = Header(
        parent_hash=parent.hash,
        ommers_hash=Hash32(EMPTY_LIST_HASH),
        coinbase=chain.config.coinbase,
        state_root=state_root,
        transactions_root=ordered_root([tx.raw for tx in included]),
        receipts_root=ordered_root([r.encode() for r in receipts]),
        logs_bloom=bloom_bytes(bloom),
        difficulty=0,
        number=env.number,
        gas_limit=chain.config.gas_limit,
        gas_used=gas_used,
        timestamp=timestamp,
        extra_data=b"",
        mix_hash=env.prev_randao,
        nonce=bytes(8),
        base_fee_per_gas=env.base_fee,
        withdrawals_root=Hash32(BLANK_ROOT),
        blob_gas_used=0,
        excess_blob_gas=0,
        parent_beacon_block_root=ZERO_HASH,
        requests_hash=EMPTY_REQUESTS_HASH,
    )
    return make_block(header, tuple(included), tuple(receipts))


def make_block(header: Header, txs: tuple[Tx, ...], receipts: tuple[Receipt, ...]) -> Block:
    encoded = header.encode()
    body = rlp.encode_list(
        (
            encoded,
            rlp.encode_list(rlp.encode_bytes(tx.raw) if tx.type else tx.raw for tx in txs),
            rlp.encode_list(()),  # ommers
            rlp.encode_list(()),  # withdrawals
        )
    )
    return Block(header, Hash32(keccak(encoded)), txs, receipts, len(body))
