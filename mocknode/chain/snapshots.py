"""Snapshots of the whole chain, and which of them a revert can still reach.

A :class:`Snapshot` records everything ``evm_revert`` must put back: the head block, the
state commit (dev edits included), the pool, the mining mode, time travel, impersonation,
and what each registered :class:`SnapshotHook` (the node's filters) captured.
:class:`Snapshots` keeps them by id and by name and decides which survive a revert; the
chain, which owns the things a snapshot names, applies one
(:meth:`mocknode.chain.chain.Chain.revert`).

Reverting keeps the snapshot reverted to, and those taken before it, usable (anvil and
Hardhat drop them; keeping them lets a test suite revert to one clean state per test).

A snapshot normally names blocks and commits of the live chain. When a reorg cuts them
off, it takes the cut :class:`~mocknode.chain.branch.Branch` along (:meth:`Snapshots.cut`):
its *base* is then the common block, and reverting to it restores the branch. Live
snapshots, in creation order, have non-decreasing base commits (a cut lowers every base
above it to the same commit; a revert drops every base above the one it goes back to),
so both operations only look at the snapshots they change.

Snapshots taken at the same point share one record. A suite that takes a snapshot per
test over JSON-RPC (``evm_snapshot`` at setup, ``evm_revert`` at teardown, the fixture
users bring from anvil) takes every one of them at the same clean state, and since a
revert keeps its snapshot, each would otherwise stay in memory for the rest of the run:
about 0.8 KiB a test (the pool copy, the hook tokens), measured growing without bound
over 8,000 such cycles. Each id still names its snapshot; only the record is shared.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from mocknode.chain.branch import Branch, restore
from mocknode.chain.canon import Canon
from mocknode.chain.state.world import WorldState
from mocknode.chain.tx.pool import Pool
from mocknode.types import Address, Hash32
from mocknode.values import dataclass, replace


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
    signers: tuple[tuple[Address, ...], bool] = ((), False)  # Signers.capture()
    branch: Branch | None = None  # set once a reorg cut the snapshot's blocks off

    @property
    def base_commit(self) -> int:
        """The live commit this snapshot is reached from."""
        return self.commit if self.branch is None else self.branch.base_commit


def same_point(a: Snapshot, b: Snapshot) -> bool:
    """Whether reverting to ``a`` or to ``b`` puts back the very same chain: same head
    and commit on the live chain, same pool, mining mode, time, signers and hook tokens.
    Cheap where it matters: a snapshot per test compares two empty pools and the same
    settings objects (tuples compare items by identity first)."""
    return (
        a.branch is None
        and b.branch is None
        and a.commit == b.commit
        and a.number == b.number
        and a.block_hash == b.block_hash
        and a.automine == b.automine
        and a.interval == b.interval
        and a.time == b.time
        and a.signers == b.signers
        and a.hooks == b.hooks
        and a.pool.same_as(b.pool)
    )


def capture_hooks(hooks: Iterable[SnapshotHook]) -> tuple[object, ...]:
    return tuple(hook.capture() for hook in hooks)


def restore_hooks(hooks: Iterable[SnapshotHook], tokens: tuple[object, ...]) -> None:
    for hook, token in zip(hooks, tokens, strict=False):
        hook.restore(token)


def rewind(snap: Snapshot, canon: Canon, state: WorldState) -> None:
    """Put back the blocks and state ``snap`` saw: its cut-off branch when a reorg
    replaced it, else the blocks mined since taken off; then its state commit."""
    if snap.branch is not None:
        restore(canon, state, snap.branch)
    else:
        canon.truncate(snap.number)
    state.revert_to(snap.commit)


class Snapshots:
    """The snapshots taken and not yet invalidated, by id (in creation order) and name."""

    def __init__(self) -> None:
        self._taken: dict[int, Snapshot] = {}
        self._next_id = 0
        self._names: dict[str, int] = {}

    def add(self, snapshot: Snapshot, name: str | None = None) -> int:
        """Keep ``snapshot``; its id, also reachable by ``name`` when given. One taken
        at the same point as the newest kept snapshot shares that one's record (see
        the module docstring)."""
        taken = self._taken
        if taken:
            newest = taken[next(reversed(taken))]
            if same_point(newest, snapshot):
                snapshot = newest
        snap_id = self._next_id
        self._next_id += 1
        if name is not None:
            self._names[name] = snap_id
        taken[snap_id] = snapshot
        return snap_id

    def taken(self) -> list[tuple[int, Snapshot]]:
        """Every snapshot kept, by id, oldest first (some may prove unreachable)."""
        return list(self._taken.items())

    def reachable(self, target: int | str, *, canon: Canon, state: WorldState) -> Snapshot | None:
        """The snapshot ``target`` (id or name) names, if the chain can still go back to
        it. One whose block or state commit is gone is forgotten."""
        snap_id = self._names.get(target, -1) if isinstance(target, str) else target
        snap = self._taken.get(snap_id)
        if snap is None:
            return None
        if snap.branch is not None:
            reachable = snap.branch.on(canon, state)
        else:
            block = canon.by_number(snap.number)
            reachable = (
                block is not None and block.hash == snap.block_hash and state.head >= snap.commit
            )
        if not reachable:
            del self._taken[snap_id]
            return None
        return snap

    def cut(self, branch: Branch) -> None:
        """A reorg cut ``branch`` off the chain: the snapshots taken on it keep the part
        they need, so reverting to them puts it back."""
        taken = self._taken
        moved: dict[int, Snapshot] = {}  # by record: shared records stay shared
        for snap_id in reversed(list(taken)):
            snap = taken[snap_id]
            if snap.base_commit <= branch.base_commit:
                break
            cut_off = moved.get(id(snap))
            if cut_off is None:
                if snap.branch is None:
                    kept = branch.prefix(snap.number, snap.commit)
                else:
                    kept = branch.then(snap.branch)
                cut_off = moved[id(snap)] = replace(snap, branch=kept)
            taken[snap_id] = cut_off

    def reverted_to(self, snap: Snapshot) -> None:
        """The chain went back to ``snap``: forget the snapshots whose state that popped
        (after a plain snapshot's commit, after a cut-off snapshot's base)."""
        low = snap.base_commit
        taken = self._taken
        while taken:
            last_id = next(reversed(taken))
            if taken[last_id].base_commit <= low:
                break
            del taken[last_id]
        if self._names:
            for name, other in list(self._names.items()):
                if other not in taken:
                    del self._names[name]
