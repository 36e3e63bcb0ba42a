"""Resolving what a request names (a block ref) and proving state at a block.

Split out of :mod:`mocknode.chain.chain`: these read only the canon and the world
state, given explicitly, with the pending block as a callable (it is built only when
a request names it), so nothing here imports the chain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mocknode.chain.errors import BlockNotFound

if TYPE_CHECKING:
    from mocknode.chain.block.pending import PendingBlock
    from mocknode.chain.canon import Canon
    from mocknode.chain.records import Block
    from mocknode.chain.state.proofs import AccountProof
    from mocknode.chain.state.world import StateReader, WorldState
    from mocknode.types import Address, BlockRef


def resolve(canon: Canon, ref: BlockRef, pending: Callable[[], PendingBlock]) -> Block:
    """The block ``ref`` names; raises :class:`BlockNotFound` (geth: header not found)."""
    if ref.block_hash is not None:
        block = canon.by_hash(ref.block_hash)
        if block is None:
            raise BlockNotFound(f"header for hash {'0x' + ref.block_hash.hex()} not found")
        return block
    if ref.number is not None:
        block = canon.by_number(ref.number)
        if block is None:
            raise BlockNotFound("header not found")
        return block
    blocks = canon.blocks
    if ref.tag == "earliest":
        return blocks[0]
    if ref.tag == "finalized":
        # geth --dev finalizes every 32 blocks (its simulated beacon's epoch).
        return blocks[blocks[-1].number // 32 * 32]
    if ref.tag == "pending":
        return pending().block
    return blocks[-1]


def prove_pending(
    state: WorldState, pending: PendingBlock, address: Address, slots: list[int]
) -> AccountProof:
    """eth_getProof on the pending block: its state is in the tries only while it is
    committed, so commit it, prove, and take it back."""
    from mocknode.chain.state.proofs import prove

    head = state.head
    state.commit(pending.diff)
    try:
        return prove(state, state.reader(), state.head, address, slots)
    finally:
        state.revert_to(head)


def prove_at(
    state: WorldState, reader: StateReader, commit: int, address: Address, slots: list[int]
) -> AccountProof:
    """eth_getProof against the state ``reader`` shows, which is ``commit``'s."""
    from mocknode.chain.state.proofs import prove

    return prove(state, reader, commit, address, slots)
