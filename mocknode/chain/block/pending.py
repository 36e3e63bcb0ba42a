"""The pending block: what geth's miner shows as the block being built on the head.

geth answers every ``"pending"`` block tag with a block its miner builds on demand
(miner.getPending): number head + 1, the pool's executable transactions executed on the
latest state, the next base fee, a timestamp of now, and no beacon root. It is never
appended: the head stays where it is. Here it is built the same way, with the mining
helpers (:func:`~mocknode.chain.block.mining.execute_block` and
:func:`~mocknode.chain.block.mining.seal_block`) on a copy of the pool, and the state it
ends on is read through an :class:`~mocknode.chain.state.overlay.OverlayReader`.
The pool is read through :class:`~mocknode.chain.block.mining.PoolSource`, as for a mined
block, so a held transaction is left out of the pending block exactly when the next
block would leave it out.

Its state root is real: the diff is committed to the world state and taken back at once
(the one moment the world state holds it), so ``stateRoot`` and ``eth_getProof`` at
``pending`` agree with the block that would be mined from the same pool.
"""

from __future__ import annotations

from mocknode.chain.block import mining
from mocknode.chain.evm.engine import BlockEnv
from mocknode.chain.records import Block
from mocknode.chain.state.overlay import OverlayReader
from mocknode.chain.state.world import BlockDiff, WorldState
from mocknode.chain.tx.pool import Pool
from mocknode.types import Hash32
from mocknode.values import dataclass

__all__ = ["PendingBlock", "build_pending"]


@dataclass(frozen=True, slots=True)
class PendingBlock:
    """The pending block, the state it ends on, and its changes against the head."""

    block: Block
    reader: OverlayReader
    diff: BlockDiff


def build_pending(state: WorldState, pool: Pool, parent: Block, env: BlockEnv) -> PendingBlock:
    """The block ``env`` describes on top of ``parent`` (whose state is ``state``'s latest
    commit), from ``pool``'s executable transactions; ``state`` and ``pool`` are left as
    they were."""
    base = state.reader()
    executed = mining.execute_block(base, pool.copy(), parent, env)
    head = state.head
    try:
        state_root = Hash32(state.commit(executed.diff))
    finally:
        state.revert_to(head)
    block = mining.seal_block(executed, state_root, parent, env)
    return PendingBlock(block, OverlayReader(base, executed.diff), executed.diff)
