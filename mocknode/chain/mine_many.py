"""Mining many blocks, one at a time, so a caller can let others in between blocks.

``anvil_mine 20000`` takes seconds; run in one go it holds up every other client of
the node. :func:`mine_each` mines the same blocks as :meth:`Chain.mine` (it is what
that method runs) but hands each block back as soon as it is appended, so the RPC
layer can turn it into steps (:mod:`mocknode.rpc.steps`) with a checkpoint between two
blocks: whoever reads meanwhile sees a whole block or none, never half of one.

The inputs are the three chain operations it needs, not the chain, so nothing here
imports :mod:`mocknode.chain.chain`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from mocknode.chain.records import Block

__all__ = ["MAX_MINE_BLOCKS", "mine_each"]

MAX_MINE_BLOCKS: Final = 100_000
"""The most blocks one request may mine. Each block is a whole object here (~1 kB
empty, and ~0.4 ms to build), so 100,000 blocks are ~40 s and ~100 MB; a request for
2**64 blocks is refused at once instead of growing memory until the machine gives
out."""


def mine_each(
    mine_block: Callable[[int | None], Block],
    head_timestamp: Callable[[], int],
    travel: Callable[[int], object],
    blocks: int,
    timestamp: int | None = None,
    interval: int | None = None,
) -> Iterator[Block]:
    """Mine ``blocks`` blocks, yielding each once appended. ``mine_block(timestamp)``
    mines one (``None``: as the clock says), ``head_timestamp()`` reads the head's, and
    ``travel(seconds)`` moves time forward (evm_increaseTime).

    The first block is at ``timestamp`` and the rest ``interval`` (or 1) seconds apart
    when it is given (anvil's ``evm_mine``), else as the clock says. ``interval`` alone
    is anvil's ``anvil_mine``: time moves ``interval`` seconds forward before the first
    block, and each next block comes ``interval`` after the one before (anvil moves the
    wall clock's offset again before each; the same blocks, unless a second ticks
    meanwhile). Time stays moved. An interval of 0 leaves the clock to say (anvil mines
    such blocks at one timestamp; here a block is always after its parent)."""
    for i in range(blocks):
        at = None
        if timestamp is not None:
            at = timestamp + i * (interval or 1)
        elif interval and i:
            at = head_timestamp() + interval
        elif interval:
            travel(interval)
        yield mine_block(at)
