"""Applying a reorg to the chain: cut, build the new branch, settle the orphans, tell.

:mod:`mocknode.chain.reorg` decides what the new branch holds without a chain; this
module carries the plan out on the chain's parts (its canon, state, clock, pool and
listeners), given explicitly, so that :meth:`mocknode.chain.chain.Chain.reorg` stays a
short sequence and nothing here imports the chain. Building a block is the chain's
(its clock, dev env and config decide the block's environment): it comes as a callable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from mocknode.chain import branch as branches
from mocknode.chain.errors import TxRejected
from mocknode.chain.limits import max_initcode_size
from mocknode.chain.records import Block, Tx

if TYPE_CHECKING:
    from mocknode.chain.block.mining import TxSource
    from mocknode.chain.canon import Canon
    from mocknode.chain.clock import TimeTravel
    from mocknode.chain.config import ChainConfig
    from mocknode.chain.reorg import ReorgPlan
    from mocknode.chain.snapshots import Snapshots
    from mocknode.chain.state.world import WorldState
    from mocknode.chain.tx.pool import Pool


def check_transactions(
    transactions: Sequence[tuple[Tx, int]], config: ChainConfig, gas_limit: int
) -> None:
    """The given transactions' static checks, before anything is cut (``gas_limit``:
    the head's)."""
    from mocknode.chain.tx import validation

    for tx, _ in transactions:
        validation.validate_static(
            tx,
            chain_id=config.chain_id,
            gas_limit=gas_limit,
            max_initcode=max_initcode_size(config.code_size_limit),
        )


def replace_above(
    common: int,
    plan: ReorgPlan,
    *,
    canon: Canon,
    state: WorldState,
    time: TimeTravel,
    snapshots: Snapshots,
    build: Callable[[TxSource, bytes], Block],
) -> tuple[list[Block], list[Tx], list[Tx]]:
    """Cut the chain above block ``common`` and build ``plan``'s blocks on it with
    ``build(source, extra_data)``, all or nothing. Returns the new blocks, the
    transactions still waiting for a block, and those whose nonce was spent."""
    from mocknode.chain.reorg import OrderedTxs

    time_before = time.capture()
    cut_off = branches.cut(canon, state, common)
    added: list[Block] = []
    waiting: list[Tx] = []
    stale: list[Tx] = []
    try:
        for offered, mark in zip(plan.blocks, plan.markers, strict=True):
            source = OrderedTxs((*waiting, *offered))
            added.append(build(source, mark))
            waiting = source.waiting
            stale += source.stale
    except BaseException:
        branches.restore(canon, state, cut_off)
        time.restore(time_before)
        raise
    snapshots.cut(cut_off)
    return added, waiting, stale


def settle(
    added: Iterable[Block],
    unmined: Iterable[Tx],
    discarded: list[Tx],
    *,
    pool: Pool,
    admit: Callable[[Tx], None],
) -> list[Tx]:
    """Take the new blocks' transactions out of ``pool`` and offer ``unmined`` to it
    with ``admit``; those it refuses join ``discarded``. Returns those pooled."""
    for block in added:
        for tx in block.transactions:
            pooled = pool.get(tx.hash)
            if pooled is not None:
                pool.remove(pooled)
    pooled_now = []
    for tx in unmined:
        try:
            admit(tx)
        except TxRejected:
            discarded.append(tx)
        else:
            pooled_now.append(tx)
    return pooled_now


def announce(
    orphaned: Iterable[Block],
    added: Iterable[Block],
    pooled: Iterable[Tx],
    *,
    block_listeners: Sequence[Callable[[Block, bool], None]],
    pending_listeners: Sequence[Callable[[Tx], None]],
) -> None:
    """Tell the listeners: every orphan (removed, oldest first), every new block, then
    each orphan pooled again (as geth's pool announces it)."""
    for block in orphaned:
        for listener in list(block_listeners):
            listener(block, True)
    for block in added:
        for listener in list(block_listeners):
            listener(block, False)
    for tx in pooled:
        for pending in list(pending_listeners):
            pending(tx)
