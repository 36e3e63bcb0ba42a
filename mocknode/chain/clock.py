"""Where block timestamps come from, and time travel on top of it.

The chain never reads the wall clock itself: a :class:`Clock` says what the next
block's timestamp is. The wall clock is the default, as on every dev node; a
:class:`FixedClock` (fixed start, fixed step) makes block hashes a pure function of
config and traffic, which is what reproducible test runs need.

:class:`TimeTravel` adds the dev controls on top (``evm_increaseTime``,
``evm_setNextBlockTimestamp``) and is captured by snapshots, so a test that moves time
does not leak its jump into the next test.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    def genesis_timestamp(self) -> int: ...

    def next_timestamp(self, parent_timestamp: int, offset: int, jump: int) -> int:
        """Next block's timestamp (> parent's). ``offset``: total seconds travelled so far;
        ``jump``: seconds travelled since the parent was mined."""
        ...

    def offset_for(self, timestamp: int, offset: int) -> int:
        """The offset that makes ``timestamp`` "now", after a block was forced to it."""
        ...


class WallClock:
    """Seconds since the epoch (plus time travel), never behind the parent block."""

    def genesis_timestamp(self) -> int:
        return int(time.time())

    def next_timestamp(self, parent_timestamp: int, offset: int, jump: int) -> int:
        return max(int(time.time()) + offset, parent_timestamp + 1)

    def offset_for(self, timestamp: int, offset: int) -> int:
        return timestamp - int(time.time())


class FixedClock:
    """Genesis at ``start``; each block ``step`` seconds after its parent (plus jumps)."""

    def __init__(self, start: int = 1_700_000_000, step: int = 1) -> None:
        if step < 1:
            raise ValueError("a block must be at least one second after its parent")
        self.start = start
        self.step = step

    def genesis_timestamp(self) -> int:
        return self.start

    def next_timestamp(self, parent_timestamp: int, offset: int, jump: int) -> int:
        return parent_timestamp + self.step + jump

    def offset_for(self, timestamp: int, offset: int) -> int:
        return offset


@dataclass(frozen=True, slots=True)
class _TimeState:
    offset: int
    jump: int
    next_timestamp: int | None


class TimeTravel:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.offset = 0  # total seconds added by increase_time / forced timestamps
        self._jump = 0  # seconds added since the last block
        self._next: int | None = None

    def increase(self, seconds: int) -> int:
        """Move time forward; returns the total offset (anvil's evm_increaseTime result)."""
        self.offset += seconds
        self._jump += seconds
        return self.offset

    def set_next_timestamp(self, timestamp: int) -> None:
        self._next = timestamp

    def take_next_timestamp(self) -> int | None:
        forced, self._next = self._next, None
        return forced

    def peek_next_timestamp(self) -> int | None:
        """The timestamp set for the next block, left in place (the pending block shows it)."""
        return self._next

    def next_timestamp(self, parent_timestamp: int) -> int:
        return self.clock.next_timestamp(parent_timestamp, self.offset, self._jump)

    def rebase(self, timestamp: int) -> None:
        """A block was forced to ``timestamp``: later blocks continue from it."""
        self.offset = self.clock.offset_for(timestamp, self.offset)

    def block_mined(self) -> None:
        self._jump = 0

    def capture(self) -> object:
        return _TimeState(self.offset, self._jump, self._next)

    def restore(self, token: object) -> None:
        assert isinstance(token, _TimeState)
        self.offset, self._jump, self._next = token.offset, token.jump, token.next_timestamp
