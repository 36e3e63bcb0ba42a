"""A wall clock that starts at a given genesis timestamp (anvil's ``--timestamp``).

anvil starts its time manager at the genesis timestamp and lets it run with the wall
clock from there: a chain started with ``--timestamp 1000`` mines its next block a
second or so after 1000, not at the current date. :class:`StartedWallClock` is that:
the wall clock, shifted by the difference between the start and the moment it was
made. A module of its own so the clock module stays as the chain's time rules need it.
"""

from __future__ import annotations

import time

from mocknode.chain.clock import WallClock


class StartedWallClock(WallClock):
    def __init__(self, start: int) -> None:
        if start < 0:
            raise ValueError("a timestamp cannot be negative")
        self.start = start
        self._shift = start - int(time.time())

    def genesis_timestamp(self) -> int:
        return self.start

    def next_timestamp(self, parent_timestamp: int, offset: int, jump: int) -> int:
        return super().next_timestamp(parent_timestamp, offset + self._shift, jump)

    def offset_for(self, timestamp: int, offset: int) -> int:
        return super().offset_for(timestamp, offset) - self._shift
