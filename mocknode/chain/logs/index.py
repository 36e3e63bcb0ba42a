"""Where every log is, by address and by topic, so queries cost what they return.

eth_getLogs over a long chain is the classic indexer workload; scanning every block's
bloom makes it proportional to the chain length (10,000 blocks: tens of ms even when
nothing matches). Each log's position ``(block, tx index, index in receipt)`` is
appended to a list per address and per ``(topic position, topic)``, in chain order, so
a query takes its most selective constraint's list, bisects it to the block range, and
checks only those candidates. Lists are only ever appended to at the head and cut back
at the head (revert, reorg), which keeps both operations proportional to the logs
involved.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from mocknode.chain.records import Block

Position = tuple[int, int, int]  # (block number, tx index, log index within the receipt)
_Key = bytes | tuple[int, bytes]  # an address, or (topic position, topic)


class LogIndex:
    def __init__(self) -> None:
        self._lists: dict[_Key, list[Position]] = {}
        self._all: list[Position] = []
        # Per block, the keys it added to (a tuple; () for a block without logs, which
        # is most blocks of a long dev chain: the shared empty tuple costs nothing more).
        self._keys_by_block: list[tuple[_Key, ...]] = []

    def add(self, block: Block) -> None:
        """Index ``block``; blocks arrive in order, one per number."""
        assert block.number == len(self._keys_by_block)
        keys: list[_Key] = []
        for tx_index, receipt in enumerate(block.receipts):
            for i, log in enumerate(receipt.logs):
                position = (block.number, tx_index, i)
                self._all.append(position)
                self._lists.setdefault(log.address, []).append(position)
                keys.append(log.address)
                for topic_position, topic in enumerate(log.topics):
                    key = (topic_position, topic)
                    self._lists.setdefault(key, []).append(position)
                    keys.append(key)
        # Each key once: truncating pops all of a block's positions from a list at once
        # (and drops the list when that empties it).
        self._keys_by_block.append(tuple(dict.fromkeys(keys)) if keys else ())

    def truncate(self, number: int) -> None:
        """Forget blocks after ``number``."""
        while len(self._keys_by_block) > number + 1:
            gone = len(self._keys_by_block) - 1
            for key in self._keys_by_block.pop():
                positions = self._lists[key]
                while positions and positions[-1][0] == gone:
                    positions.pop()
                if not positions:
                    del self._lists[key]
            while self._all and self._all[-1][0] == gone:
                self._all.pop()

    def candidates(
        self,
        addresses: tuple[bytes, ...],
        topics: tuple[tuple[bytes, ...] | None, ...],
        start: int,
        end: int,
    ) -> Iterator[Position]:
        """Positions in blocks ``start..end`` that may match, in chain order (a superset:
        the caller still checks each log against the whole filter)."""
        options: list[list[list[Position]]] = []
        if addresses:
            options.append([self._lists.get(a, []) for a in addresses])
        for topic_position, wanted in enumerate(topics):
            if wanted:
                options.append([self._lists.get((topic_position, t), []) for t in wanted])
        if not options:
            chosen = [self._all]
        else:
            chosen = min(options, key=lambda lists: sum(len(x) for x in lists))
        if len(chosen) == 1:
            yield from _in_range(chosen[0], start, end)
            return
        merged = sorted({p for lst in chosen for p in _in_range(lst, start, end)})
        yield from merged


def _in_range(positions: list[Position], start: int, end: int) -> Iterator[Position]:
    i = bisect_left(positions, (start, -1, -1))
    n = len(positions)
    while i < n and positions[i][0] <= end:
        yield positions[i]
        i += 1
