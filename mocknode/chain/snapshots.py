"""Snapshots of the whole chain, and which of them a revert can still reach.

A :class:`Snapshot` records everything ``evm_revert`` must put back: the head block, the
state commit (dev edits included), the pool, the mining mode, time travel, and what
each registered :class:`SnapshotHook` (the node's filters) captured. :class:`Snapshots`
keeps them by id and by name and decides which survive a revert; the chain, which owns
the things a snapshot names, applies one (:meth:`mocknode.chain.chain.Chain.revert`).

Reverting keeps the snapshot reverted to, and those taken before it, usable (anvil and
Hardhat drop them; keeping them lets a test suite revert to one clean state per test).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from mocknode.chain.records import Block
from mocknode.chain.tx.pool import Pool
from mocknode.types import Hash32


class SnapshotHook(Protocol):
    """Something outside the chain whose state a snapshot must also take (filters)."""

    def capture(self) -> object: ...

    def restore(self, token: object) -> None: ...


@dataclass(frozen=True, slots=True)
class Snapshot:
    number: int  # the head block's number and hash when taken
    block_hash: Hash32
    commit: int  # the state commit then (later than the block's after dev edits)
    pool: Pool  # a copy, never handed out: each revert copies it again
    automine: bool
    interval: float | None
    time: object  # TimeTravel.capture()
    hooks: tuple[object, ...]  # one token per snapshot hook, in registration order


def capture_hooks(hooks: Iterable[SnapshotHook]) -> tuple[object, ...]:
    return tuple(hook.capture() for hook in hooks)


def restore_hooks(hooks: Iterable[SnapshotHook], tokens: tuple[object, ...]) -> None:
    for hook, token in zip(hooks, tokens, strict=False):
        hook.restore(token)


class Snapshots:
    """The snapshots taken and not yet invalidated, by id (in creation order) and name."""

    def __init__(self) -> None:
        self._taken: dict[int, Snapshot] = {}
        self._next_id = 0
        self._names: dict[str, int] = {}

    def add(self, snapshot: Snapshot, name: str | None = None) -> int:
        """Keep ``snapshot``; its id, also reachable by ``name`` when given."""
        snap_id = self._next_id
        self._next_id += 1
        if name is not None:
            self._names[name] = snap_id
        self._taken[snap_id] = snapshot
        return snap_id

    def reachable(
        self, target: int | str, *, blocks: Sequence[Block], state_head: int
    ) -> Snapshot | None:
        """The snapshot ``target`` (id or name) names, if the chain (``blocks``, and the
        state's latest commit ``state_head``) can still go back to it. One whose block
        or state commit is gone is forgotten."""
        snap_id = self._names.get(target, -1) if isinstance(target, str) else target
        snap = self._taken.get(snap_id)
        if snap is None:
            return None
        if (
            snap.number >= len(blocks)
            or blocks[snap.number].hash != snap.block_hash
            or state_head < snap.commit
        ):
            del self._taken[snap_id]
            return None
        return snap

    def reverted_to(self, snap: Snapshot) -> None:
        """The chain went back to ``snap``: forget the snapshots taken after its state."""
        # Live snapshots, in creation order, have non-decreasing commits: the ones taken
        # after this state are at the end, so dropping them costs what they number.
        taken = self._taken
        while taken:
            last_id = next(reversed(taken))
            if taken[last_id].commit <= snap.commit:
                break
            del taken[last_id]
        if self._names:
            for name, other in list(self._names.items()):
                if other not in taken:
                    del self._names[name]
