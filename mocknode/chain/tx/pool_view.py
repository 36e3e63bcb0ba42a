"""The pool as geth's txpool API shows it: pending (executable) and queued transactions.

geth keeps two lists per sender: *pending*, the run of nonces that starts at the
account's nonce and has no gap, and *queued*, everything after a gap. The pool here keeps
one map per sender, so the split is computed on demand against the latest state (only the
txpool_* methods and eth_pendingTransactions ask).
"""

from __future__ import annotations

from collections.abc import Callable

from mocknode.chain.records import Tx
from mocknode.chain.tx.pool import Pool
from mocknode.types import Address

__all__ = ["PoolSplit", "split_pool"]

PoolSplit = tuple[dict[Address, list[Tx]], dict[Address, list[Tx]]]
"""(pending, queued): each sender's transactions in nonce order; senders with none left out."""


def split_pool(pool: Pool, state_nonce: Callable[[Address], int]) -> PoolSplit:
    """Split ``pool`` by ``state_nonce`` (each sender's account nonce). Entries below
    it (already mined, not yet swept from the pool) are in neither list."""
    pending: dict[Address, list[Tx]] = {}
    queued: dict[Address, list[Tx]] = {}
    for sender, slots in pool.by_sender().items():
        nonce = state_nonce(sender)
        for tx_nonce in sorted(slots):
            if tx_nonce < nonce:
                continue
            if tx_nonce == nonce:
                pending.setdefault(sender, []).append(slots[tx_nonce])
                nonce += 1
            else:
                queued.setdefault(sender, []).append(slots[tx_nonce])
    return pending, queued
