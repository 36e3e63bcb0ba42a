"""Building one block: system writes, transactions from the pool, roots, header.

Every input is explicit, as in execution-specs' ``apply_body``: the state to build on,
where to take transactions from, the parent block and the block environment
(:func:`block_env` derives it from the parent and the chain's settings). The chain
resolves the parent and appends the result; this module knows nothing of it.

Transactions come from a :class:`TxSource`: the pool (:class:`PoolSource`: next nonce
per sender, highest tip first, held transactions left out), or a reorg's fixed list
(:class:`mocknode.chain.reorg.OrderedTxs`: the order it was given).

A block is built on a :class:`JournalAccounts` over the latest state and committed to
``state`` in one step at the end, so an exception half-way leaves no state behind; the
transaction that raised it is already out of the pool rather than retried into every
later block. Committing here, not in the caller, is what yields the state root the
header needs.

:func:`build_block` is :func:`execute_block` (the transactions, run on a journal, nothing
committed), a commit, and :func:`seal_block` (the header over the results). The pending
block (:mod:`mocknode.chain.block.pending`) runs the same two halves on a copy of the pool
and commits only long enough to learn its state root.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from mocknode.chain.block import system
from mocknode.chain.block.assembly import EMPTY_REQUESTS_HASH, make_block, ordered_root
from mocknode.chain.evm import engine
from mocknode.chain.fees import (
    MAX_BLOB_GAS_PER_BLOCK,
    blob_gas,
    blob_tx_fits,
    next_base_fee,
    next_excess_blob_gas,
)
from mocknode.chain.primitives import rlp
from mocknode.chain.primitives.hashing import BLANK_ROOT, EMPTY_LIST_HASH, keccak
from mocknode.chain.records import Block, Header, Receipt, Tx, bloom_bytes, logs_bloom
from mocknode.chain.state.journal import JournalAccounts
from mocknode.chain.state.world import BlockDiff, StateReader, WorldState
from mocknode.chain.tx.pool import Pool
from mocknode.types import ZERO_HASH, Address, Hash32
from mocknode.values import dataclass


def create_address(sender: Address, nonce: int) -> Address:
    return Address(keccak(rlp.encode_list((rlp.encode_bytes(sender), rlp.encode_int(nonce))))[12:])


def block_env(
    parent: Block,
    timestamp: int,
    *,
    coinbase: Address,
    gas_limit: int,
    chain_id: int,
    ancestor_hashes: Callable[[], Iterable[Hash32]],
) -> engine.BlockEnv:
    """The environment of the block after ``parent``: its base fee follows EIP-1559 and
    its prevRandao is a function of the chain so far (deterministic, like the rest).
    ``ancestor_hashes`` yields the hashes BLOCKHASH sees, newest first."""
    number = parent.number + 1
    return engine.BlockEnv(
        number=number,
        timestamp=timestamp,
        coinbase=coinbase,
        gas_limit=gas_limit,
        base_fee=next_base_fee(parent.header),
        prev_randao=Hash32(keccak(parent.hash + rlp.encode_int(number))),
        chain_id=chain_id,
        ancestor_hashes=ancestor_hashes,
        excess_blob_gas=next_excess_blob_gas(parent.header),
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


block_system_writes = _system_writes  # for replays (debug_trace*), which redo a block


class TxSource(Protocol):
    """Where a block's transactions come from."""

    def take(
        self,
        journal: JournalAccounts,
        env: engine.BlockEnv,
        gas_left: int,
        blob_gas_left: int = MAX_BLOB_GAS_PER_BLOCK,
    ) -> Tx | None:
        """The next transaction to execute on ``journal``, taken out of the source
        (executed or failed, it never poisons the next block), or None: the block is
        complete. ``blob_gas_left``: what blob transactions may still use."""
        ...


class PoolSource:
    """The pool's executable transactions: geth's order (next nonce per sender, highest
    tip first), without those held back from this block."""

    __slots__ = ("pool",)

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    def take(
        self,
        journal: JournalAccounts,
        env: engine.BlockEnv,
        gas_left: int,
        blob_gas_left: int = MAX_BLOB_GAS_PER_BLOCK,
    ) -> Tx | None:
        pool = self.pool
        nonces = {sender: journal.get_nonce(sender) for sender in pool.senders()}
        for tx in pool.executable(nonces, (env.number, env.timestamp)):
            if tx.gas > gas_left or tx.max_fee_per_gas < env.base_fee:
                continue
            if tx.type == 3:
                if not blob_tx_fits(
                    tx,
                    excess_blob_gas=env.excess_blob_gas,
                    blob_gas_left=blob_gas_left,
                    balance=journal.get_balance(tx.sender),
                ):
                    continue  # waits for room, a lower blob base fee or more funds
            elif journal.get_balance(tx.sender) < tx.gas * tx.max_fee_per_gas + tx.value:
                pool.remove(tx)  # can no longer pay: geth drops it too
                continue
            pool.remove(tx)
            return tx
        return None


@dataclass(frozen=True, slots=True)
class Executed:
    """A block's transactions run on a journal: what they changed and produced."""

    diff: BlockDiff
    transactions: tuple[Tx, ...]
    receipts: tuple[Receipt, ...]
    gas_used: int
    bloom: int
    blob_gas_used: int = 0


def tx_receipt(
    tx: Tx,
    outcome: engine.Outcome,
    cumulative_gas_used: int,
    tx_bloom: int,
    base_fee: int,
    first_log_index: int,
) -> Receipt:
    """The receipt of ``tx`` executed with ``outcome`` in a block (mined or simulated)."""
    return Receipt(
        tx_type=tx.type,
        success=outcome.success,
        gas_used=outcome.gas_used,
        cumulative_gas_used=cumulative_gas_used,
        logs=outcome.logs,
        bloom=bloom_bytes(tx_bloom),
        contract_address=create_address(tx.sender, tx.nonce) if tx.to is None else None,
        effective_gas_price=tx.effective_gas_price(base_fee),
        first_log_index=first_log_index,
    )


def execute_block(
    reader: StateReader,
    source: Pool | TxSource,
    parent: Block,
    env: engine.BlockEnv,
    *,
    max_transactions: int | None = None,
) -> Executed:
    """Run the transactions ``source`` (a pool, or any :class:`TxSource`) hands out on
    the state ``reader`` reads (``parent``'s, dev edits included) in the block ``env``
    describes. Nothing is committed; included transactions leave the source."""
    if isinstance(source, Pool):
        source = PoolSource(source)
    journal = JournalAccounts(reader)
    _system_writes(journal, env, parent)
    included: list[Tx] = []
    receipts: list[Receipt] = []
    gas_used = bloom = log_index = blob_gas_used = 0
    while max_transactions is None or len(included) < max_transactions:
        if blob_gas_used:
            tx = source.take(
                journal, env, env.gas_limit - gas_used, MAX_BLOB_GAS_PER_BLOCK - blob_gas_used
            )
        else:
            tx = source.take(journal, env, env.gas_limit - gas_used)
        if tx is None:
            break
        if tx.type == 3:
            blob_gas_used += blob_gas(len(tx.blob_versioned_hashes))
        outcome = engine.apply_transaction(journal, env, tx)
        gas_used += outcome.gas_used
        tx_bloom = logs_bloom(outcome.logs)
        bloom |= tx_bloom
        receipts.append(tx_receipt(tx, outcome, gas_used, tx_bloom, env.base_fee, log_index))
        log_index += len(outcome.logs)
        included.append(tx)
    return Executed(
        journal.diff(), tuple(included), tuple(receipts), gas_used, bloom, blob_gas_used
    )


def seal_block(
    executed: Executed,
    state_root: Hash32,
    parent: Block,
    env: engine.BlockEnv,
    *,
    extra_data: bytes = b"",
) -> Block:
    """The block over ``executed``'s results, whose state ends at ``state_root``."""
    header = Header(
        parent_hash=parent.hash,
        ommers_hash=Hash32(EMPTY_LIST_HASH),
        coinbase=env.coinbase,
        state_root=state_root,
        transactions_root=ordered_root([tx.raw for tx in executed.transactions]),
        receipts_root=ordered_root([r.encode() for r in executed.receipts]),
        logs_bloom=bloom_bytes(executed.bloom),
        difficulty=0,
        number=env.number,
        gas_limit=env.gas_limit,
        gas_used=executed.gas_used,
        timestamp=env.timestamp,
        extra_data=extra_data,
        mix_hash=env.prev_randao,
        nonce=bytes(8),
        base_fee_per_gas=env.base_fee,
        withdrawals_root=Hash32(BLANK_ROOT),
        blob_gas_used=executed.blob_gas_used,
        excess_blob_gas=env.excess_blob_gas,
        parent_beacon_block_root=ZERO_HASH,
        requests_hash=EMPTY_REQUESTS_HASH,
    )
    return make_block(header, executed.transactions, executed.receipts)


def build_block(
    state: WorldState,
    source: Pool | TxSource,
    parent: Block,
    env: engine.BlockEnv,
    *,
    max_transactions: int | None = None,
    extra_data: bytes = b"",
) -> Block:
    """Execute the transactions ``source`` (a pool, or any :class:`TxSource`) hands out
    on ``state`` (whose latest commit is ``parent``'s state, dev edits included) into
    the block ``env`` describes; commit the block's state to ``state`` and return the
    block. Included transactions leave the source."""
    executed = execute_block(state.reader(), source, parent, env, max_transactions=max_transactions)
    state_root = Hash32(state.commit(executed.diff))
    return seal_block(executed, state_root, parent, env, extra_data=extra_data)
