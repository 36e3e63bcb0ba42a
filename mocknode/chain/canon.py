"""The canonical chain: its blocks, and the indexes that find things in them.

:class:`Canon` keeps the blocks in order together with what must move with them: the
state commit each block ended on, blocks by hash, mined transactions by hash, and the
log index. Blocks are only ever appended at the head or cut back from it (a revert, a
reorg, a rollback), so every index stays exact at the cost of the blocks involved.

A module of its own so that the helpers that cut and restore branches
(:mod:`mocknode.chain.branch`) take it as an explicit input instead of reaching into
:class:`~mocknode.chain.chain.Chain`.
"""

from __future__ import annotations

from collections.abc import Iterator

from mocknode.chain.logs.index import LogIndex
from mocknode.chain.records import Block, TxLocation
from mocknode.types import Hash32


class Canon:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.commits: list[int] = []  # the state commit each block ended on
        self.log_index = LogIndex()
        self._by_hash: dict[Hash32, Block] = {}
        self._tx_index: dict[Hash32, tuple[int, int]] = {}

    @property
    def head(self) -> Block:
        return self.blocks[-1]

    def append(self, block: Block, commit: int) -> None:
        """Make ``block`` (the head's child) the head; its state ends on ``commit``."""
        self.log_index.add(block)
        self.blocks.append(block)
        self.commits.append(commit)
        self._by_hash[block.hash] = block
        for i, tx in enumerate(block.transactions):
            self._tx_index[tx.hash] = (block.number, i)

    def truncate(self, number: int) -> list[Block]:
        """Drop the blocks after ``number``; returns them, oldest first."""
        if number + 1 >= len(self.blocks):
            return []
        self.log_index.truncate(number)
        removed = self.blocks[number + 1 :]
        del self.blocks[number + 1 :]
        del self.commits[number + 1 :]
        for block in removed:
            del self._by_hash[block.hash]
            for tx in block.transactions:
                self._tx_index.pop(tx.hash, None)
        return removed

    def by_number(self, number: int) -> Block | None:
        if 0 <= number < len(self.blocks):
            return self.blocks[number]
        return None

    def by_hash(self, block_hash: Hash32) -> Block | None:
        return self._by_hash.get(block_hash)

    def locate(self, tx_hash: Hash32) -> TxLocation | None:
        """Where a mined transaction is, or None."""
        where = self._tx_index.get(tx_hash)
        return None if where is None else TxLocation(self.blocks[where[0]], where[1])

    def ancestor_hashes(self, number: int) -> Iterator[Hash32]:
        """The hashes BLOCKHASH sees from block ``number``: its 256 ancestors, newest first."""
        for n in range(number - 1, max(-1, number - 257), -1):
            yield self.blocks[n].hash
