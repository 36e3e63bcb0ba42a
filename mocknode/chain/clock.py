"""Where block timestamps come from.

The chain never reads the wall clock itself: a :class:`Clock` says what the next
block's timestamp is, given the parent's. The wall clock is the default, as on every
dev node; a :class:`FixedClock` (fixed start, fixed step) makes block hashes a pure
function of config and traffic, which is what reproducible test runs need.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def genesis_timestamp(self) -> int: ...

    def next_timestamp(self, parent_timestamp: int) -> int:
        """Timestamp of a block built on a parent with ``parent_timestamp`` (must exceed it)."""
        ...


class WallClock:
    """Seconds since the epoch, never equal to or behind the parent block."""

    def genesis_timestamp(self) -> int:
        return int(time.time())

    def next_timestamp(self, parent_timestamp: int) -> int:
        return max(int(time.time()), parent_timestamp + 1)


class FixedClock:
    """Genesis at ``start``; each block ``step`` seconds after its parent."""

    def __init__(self, start: int = 1_700_000_000, step: int = 1) -> None:
        if step < 1:
            raise ValueError("a block must be at least one second after its parent")
        self.start = start
        self.step = step

    def genesis_timestamp(self) -> int:
        return self.start

    def next_timestamp(self, parent_timestamp: int) -> int:
        return parent_timestamp + self.step
