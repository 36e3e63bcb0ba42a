"""Finding a mined transaction by its sender and nonce (eth_getTransactionBySenderAndNonce).

An account's nonce only grows from block to block, so the block that holds a sender's
transaction with nonce ``n`` is the first whose state has the nonce above ``n``: a binary
search over block states (each a dict lookup and a bisect) finds it, then its
transactions are scanned, as anvil does. A nonce set by a dev edit (anvil_setNonce) can
skip values; a transaction the search cannot place is reported as not found.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mocknode.chain.records import Block, TxLocation
from mocknode.chain.state.world import StateReader
from mocknode.types import Address

__all__ = ["find_by_sender_and_nonce"]


def find_by_sender_and_nonce(
    blocks: Sequence[Block],
    state_at: Callable[[Block], StateReader],
    sender: Address,
    nonce: int,
) -> TxLocation | None:
    """The mined transaction ``sender`` sent with ``nonce``, if any."""

    def nonce_after(number: int) -> int:
        account = state_at(blocks[number]).account(sender)
        return account.nonce if account else 0

    if not blocks or nonce_after(len(blocks) - 1) <= nonce:
        return None
    low, high = 0, len(blocks) - 1  # the first block whose state nonce exceeds ``nonce``
    while low < high:
        mid = (low + high) // 2
        if nonce_after(mid) > nonce:
            high = mid
        else:
            low = mid + 1
    block = blocks[low]
    for index, tx in enumerate(block.transactions):
        if tx.sender == sender and tx.nonce == nonce:
            return TxLocation(block, index)
    return None
