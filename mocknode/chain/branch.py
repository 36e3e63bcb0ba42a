"""Branches cut off the chain, kept whole so they can be put back.

A reorg or a rollback cuts the chain above a common block: the blocks go, and the state
goes back to the last commit before the first of them (dev edits made on top of the
common block stay, edits made later belong to the branch). :func:`cut` does that and
returns what it removed as a :class:`Branch`: the blocks, the commit each ended on, and
the state changes of every commit, as diffs that replay to the same roots.

Snapshots need it: a snapshot taken before a reorg names blocks and commits the reorg
removed, and ``evm_revert`` to it must still work (the pytest fixtures revert every
test, reorgs included). :func:`restore` puts a branch back in place of whatever grew
on the common block since. Inputs are explicit (the :class:`Canon` and the
:class:`WorldState`), so nothing here knows the chain's front.
"""

from __future__ import annotations

from mocknode.chain.canon import Canon
from mocknode.chain.records import Block
from mocknode.chain.state.world import BlockDiff, WorldState
from mocknode.types import Hash32
from mocknode.values import dataclass


@dataclass(frozen=True, slots=True)
class Branch:
    """Blocks and state commits above a base block and commit."""

    base_number: int
    base_hash: Hash32
    base_commit: int
    diffs: tuple[BlockDiff, ...]  # one per commit after base_commit, in order
    blocks: tuple[Block, ...]  # the blocks after base_number, in order
    ends: tuple[int, ...]  # the commit each of those blocks ended on

    @property
    def commit(self) -> int:
        """The last commit of the branch."""
        return self.base_commit + len(self.diffs)

    def prefix(self, number: int, commit: int) -> Branch:
        """This branch up to block ``number`` and state commit ``commit`` (both on it)."""
        keep = number - self.base_number
        return Branch(
            self.base_number,
            self.base_hash,
            self.base_commit,
            self.diffs[: commit - self.base_commit],
            self.blocks[:keep],
            self.ends[:keep],
        )

    def then(self, upper: Branch) -> Branch:
        """This branch up to ``upper``'s base, followed by ``upper``."""
        lower = self.prefix(upper.base_number, upper.base_commit)
        return Branch(
            self.base_number,
            self.base_hash,
            self.base_commit,
            lower.diffs + upper.diffs,
            lower.blocks + upper.blocks,
            lower.ends + upper.ends,
        )

    def on(self, canon: Canon, state: WorldState) -> bool:
        """Whether the chain still holds this branch's base block and commit."""
        base = canon.by_number(self.base_number)
        return base is not None and base.hash == self.base_hash and state.head >= self.base_commit


def cut(canon: Canon, state: WorldState, number: int) -> Branch:
    """Remove the blocks after ``number`` and the state they and later edits made;
    return them as a branch based on block ``number``."""
    if number + 1 < len(canon.blocks):
        base_commit = canon.commits[number + 1] - 1
    else:
        base_commit = state.head
    branch = Branch(
        number,
        canon.blocks[number].hash,
        base_commit,
        tuple(state.diffs_after(base_commit)),
        tuple(canon.blocks[number + 1 :]),
        tuple(canon.commits[number + 1 :]),
    )
    canon.truncate(number)
    state.revert_to(base_commit)
    return branch


def restore(canon: Canon, state: WorldState, branch: Branch) -> None:
    """Put ``branch`` back on its base, removing whatever is there now (the caller
    checked :meth:`Branch.on`)."""
    canon.truncate(branch.base_number)
    state.revert_to(branch.base_commit)
    for diff in branch.diffs:
        state.commit(diff)
    for block, end in zip(branch.blocks, branch.ends, strict=True):
        canon.append(block, end)
