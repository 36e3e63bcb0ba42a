"""What a reorg builds its new branch from, decided before anything is cut.

A reorg (:meth:`mocknode.chain.chain.Chain.reorg`) removes the top ``depth`` blocks and
mines ``blocks`` new ones on the common block. This module holds the parts that need no
chain: where the orphaned transactions go in the new branch (:func:`arrange`), the
transaction source the new blocks are built from (:class:`OrderedTxs`), the mark that
makes a new block's hash differ from the one it replaces (:func:`marker`), and the
record of what happened (:class:`ReorgOutcome`).

Re-inclusion modes (``reinclude``):

- ``"none"`` (the default, anvil's new branch): the new blocks hold only the
  transactions given for them; orphaned ones go back to the pool.
- ``"same"``: each orphaned transaction goes back into the new block at its old offset
  (the last new block when the branch is shorter), in its old order: the usual real
  reorg, where the same transactions land in different blocks.
- ``"reverse"`` / ``"shuffle"``: the same slots, filled in reverse or in a seeded random
  order. A sender's own transactions keep their nonce order (they take the slots their
  sender holds in the new order, lowest nonce first), so every one stays valid.

Transactions given for an offset come first in their block, before re-included ones: a
given transaction that spends an orphan's nonce (a double spend) wins, and the orphan is
discarded.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from random import Random
from typing import TYPE_CHECKING, Final, Literal

from mocknode.chain.errors import InvalidRequest
from mocknode.chain.fees import MAX_BLOB_GAS_PER_BLOCK, blob_tx_fits
from mocknode.chain.records import Block, Tx
from mocknode.types import Address, Hash32
from mocknode.values import dataclass

if TYPE_CHECKING:
    from mocknode.chain.evm.engine import BlockEnv
    from mocknode.chain.state.journal import JournalAccounts

Reinclude = Literal["none", "same", "reverse", "shuffle"]
REINCLUDE_MODES: Final[tuple[Reinclude, ...]] = ("none", "same", "reverse", "shuffle")


@dataclass(frozen=True, slots=True)
class ReorgOutcome:
    """What a reorg did, oldest first in each list."""

    removed: tuple[Block, ...]  # the orphaned blocks
    added: tuple[Block, ...]  # the new branch
    pooled: tuple[Tx, ...]  # transactions now waiting in the pool
    dropped: tuple[Tx, ...]  # orphaned transactions dropped as asked
    discarded: tuple[Tx, ...]  # transactions no longer valid (nonce spent, cannot pay)


def check_depth(depth: int, height: int) -> None:
    """A reorg removes at most every block but genesis (anvil's words)."""
    if not 0 <= depth <= height:
        raise InvalidRequest(
            "Reorg depth must not exceed current chain height: "
            f"current height {height}, depth {depth}"
        )


def check_offsets(offsets: Iterable[int], blocks: int) -> None:
    """Every given transaction goes in one of the ``blocks`` new blocks (anvil's words)."""
    if blocks < 0:
        raise InvalidRequest(f"a reorg cannot mine {blocks} blocks")
    for offset in offsets:
        if not 0 <= offset < blocks:
            raise InvalidRequest(
                "Block number for reorg tx will exceed the reorged chain height. "
                f"Block number {offset} must not exceed (depth-1) {blocks - 1}"
            )


@dataclass(frozen=True, slots=True)
class ReorgPlan:
    """A new branch, decided: what each new block is offered, in order, and what
    goes straight back to the pool."""

    blocks: tuple[tuple[Tx, ...], ...]  # per new block: given transactions, then orphans
    markers: tuple[bytes, ...]  # per new block: its extraData
    unplaced: tuple[Tx, ...]  # orphans re-included nowhere (they go back to the pool)
    dropped: tuple[Tx, ...]  # orphans dropped as asked


def plan(
    orphaned: Sequence[Block],
    transactions: Sequence[tuple[Tx, int]],
    *,
    blocks: int,
    reinclude: Reinclude,
    drop: Collection[Hash32] | Literal["all"],
    seed: int,
) -> ReorgPlan:
    """The new branch of ``blocks`` blocks replacing ``orphaned`` (oldest first):
    ``transactions`` with their block offsets, then the orphans as ``reinclude`` says,
    less those ``drop`` names. Raises :class:`InvalidRequest` (anvil's words where it
    has them) for an offset outside the new branch, an unknown mode or a dropped hash
    that is not an orphan's."""
    check_offsets((offset for _, offset in transactions), blocks)
    if reinclude not in REINCLUDE_MODES:
        raise InvalidRequest(
            f"unknown reinclude mode {reinclude!r}: one of {', '.join(REINCLUDE_MODES)}"
        )
    orphans = [(tx, k) for k, block in enumerate(orphaned) for tx in block.transactions]
    if drop == "all":
        dropping = {tx.hash for tx, _ in orphans}
    else:
        dropping = set(drop)
        unknown = dropping - {tx.hash for tx, _ in orphans}
        if unknown:
            raise InvalidRequest(
                f"transaction 0x{min(unknown).hex()} is not in the blocks the reorg replaces"
            )
    given = {tx.hash for tx, _ in transactions}
    kept = [(tx, k) for tx, k in orphans if tx.hash not in dropping and tx.hash not in given]
    placed = arrange(kept, reinclude, blocks=blocks, seed=seed)
    for tx, offset in reversed(transactions):
        placed[offset].insert(0, tx)
    return ReorgPlan(
        blocks=tuple(tuple(txs) for txs in placed),
        markers=tuple(marker(orphaned[k]) if k < len(orphaned) else b"" for k in range(blocks)),
        unplaced=tuple(tx for tx, _ in kept) if reinclude == "none" or not blocks else (),
        dropped=tuple(tx for tx, _ in orphans if tx.hash in dropping),
    )


def arrange(
    orphans: Sequence[tuple[Tx, int]], mode: Reinclude, *, blocks: int, seed: int = 0
) -> list[list[Tx]]:
    """For each of the ``blocks`` new blocks, the orphaned transactions it re-includes.

    ``orphans``: each orphaned transaction with its offset above the common block, in
    chain order. With ``"none"`` (or no new block) nothing is re-included.
    """
    arranged: list[list[Tx]] = [[] for _ in range(blocks)]
    if mode == "none" or not blocks or not orphans:
        return arranged
    slots = [min(offset, blocks - 1) for _, offset in orphans]
    txs = [tx for tx, _ in orphans]
    if mode == "reverse":
        txs.reverse()
    elif mode == "shuffle":
        Random(seed).shuffle(txs)
    for tx, slot in zip(nonce_ordered(txs), slots, strict=True):
        arranged[slot].append(tx)
    return arranged


def nonce_ordered(txs: Sequence[Tx]) -> list[Tx]:
    """``txs`` with each sender's transactions in nonce order, in the positions that
    sender holds in ``txs``."""
    by_sender: dict[Address, list[Tx]] = {}
    for tx in txs:
        by_sender.setdefault(tx.sender, []).append(tx)
    queues = {sender: iter(sorted(own, key=lambda t: t.nonce)) for sender, own in by_sender.items()}
    return [next(queues[tx.sender]) for tx in txs]


def marker(replaced: Block) -> bytes:
    """The extraData of the new block at ``replaced``'s height.

    A new block may hold the same transactions at the same timestamp as the one it
    replaces (a fixed clock, ``reinclude="same"``), and would then get the same hash;
    naming the replaced block's hash makes it differ, also from any earlier block at
    that height (whose hash differs too). anvil relies on wall-clock timestamps, which
    collide within a second.
    """
    return b"reorg:" + replaced.hash[:8]


class OrderedTxs:
    """A :class:`~mocknode.chain.block.mining.TxSource` over a fixed list, in its order.

    A transaction that cannot run in the block being built stays ``waiting`` (the next
    new block gets it first, then the pool) when it may still run later: a nonce ahead
    of its sender's, a fee cap below the base fee, more gas than is left, more cost than
    the balance. One whose nonce was already used goes to ``stale``.
    """

    __slots__ = ("stale", "waiting")

    def __init__(self, txs: Iterable[Tx]) -> None:
        self.waiting: list[Tx] = list(txs)
        self.stale: list[Tx] = []

    def take(
        self,
        journal: JournalAccounts,
        env: BlockEnv,
        gas_left: int,
        blob_gas_left: int = MAX_BLOB_GAS_PER_BLOCK,
    ) -> Tx | None:
        waiting = self.waiting
        i = 0
        while i < len(waiting):
            tx = waiting[i]
            nonce = journal.get_nonce(tx.sender)
            if tx.nonce < nonce:
                self.stale.append(waiting.pop(i))
                continue
            if (
                tx.nonce == nonce
                and tx.gas <= gas_left
                and tx.max_fee_per_gas >= env.base_fee
                and journal.get_balance(tx.sender) >= tx.gas * tx.max_fee_per_gas + tx.value
                and (
                    tx.type != 3
                    or blob_tx_fits(
                        tx,
                        excess_blob_gas=env.excess_blob_gas,
                        blob_gas_left=blob_gas_left,
                        balance=journal.get_balance(tx.sender),
                    )
                )
            ):
                return waiting.pop(i)
            i += 1
        return None
