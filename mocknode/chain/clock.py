"""Where block timestamps come from, and time travel on top of it.

The chain never reads the wall clock itself: a :class:`Clock` says what the next
block's timestamp is. The wall clock is the default, as on every dev node; a
:class:`FixedClock` (fixed start, fixed step) makes block hashes a pure function of
config and traffic, which is what reproducible test runs need; a :class:`VirtualClock`
stands still until told to move (``node.advance(seconds)``), and fires the interval
miner's timer at every due time it passes, so a threaded node or a CLI node mines a
day of twelve-second blocks in no real time, stamped twelve seconds apart.

:class:`TimeTravel` adds the dev controls on top (``evm_increaseTime``,
``evm_setNextBlockTimestamp``) and is captured by snapshots, so a test that moves time
does not leak its jump into the next test.

Interval-mined blocks follow the interval, not the clock: block N+1 is stamped block
N's timestamp plus the interval (:meth:`TimeTravel.interval_timestamp`), plus any
``evm_increaseTime`` jump since block N, or exactly the timestamp
``evm_setNextBlockTimestamp`` forced, as anvil's logical block clock does. Timestamps
are whole seconds and each block's is later than its parent's, so a fractional interval
is spread over whole-second steps (:class:`IntervalSteps`: 1.5 s gives 1, 2, 1, 2 ...)
and one under a second gives one-second steps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol

from mocknode.chain.errors import InvalidRequest
from mocknode.values import dataclass


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


class VirtualClock:
    """Time that moves only when told: ``now`` starts at ``start`` and :meth:`advance`
    moves it, firing the one repeating timer (the interval miner) at each due time it
    passes, in order, with ``now`` set to that time.

    Block timestamps read like the wall clock's (``now`` plus time travel, never behind
    the parent), so ``evm_increaseTime`` and ``evm_mine`` behave as on any node; only
    the passing of time is in the caller's hands. Mutable, so one per chain: the node
    makes its own (``NodeConfig(virtual_time=True)``).
    """

    def __init__(self, start: int) -> None:
        self.now: float = float(start)
        self._timer: Callable[[], None] | None = None
        self._every = 0.0
        self._origin = 0.0  # when the timer was set; due times are origin + k * every
        self._fired = 0

    def genesis_timestamp(self) -> int:
        return int(self.now)

    def next_timestamp(self, parent_timestamp: int, offset: int, jump: int) -> int:
        return max(int(self.now) + offset, parent_timestamp + 1)

    def offset_for(self, timestamp: int, offset: int) -> int:
        return timestamp - int(self.now)

    def repeat(self, seconds: float | None, callback: Callable[[], None]) -> None:
        """Call ``callback`` every ``seconds`` of virtual time from now on (replacing the
        timer set before); None stops it."""
        if seconds is not None and not (seconds > 0 and math.isfinite(seconds)):
            raise ValueError(f"a timer needs a positive interval, not {seconds!r}")
        self._timer = None if seconds is None else callback
        self._every = seconds or 0.0
        self._origin = self.now
        self._fired = 0

    def reset(self, now: float) -> None:
        """Set ``now`` without firing anything (a loaded state's time); a timer starts
        over from it."""
        self.now = float(now)
        self._origin = self.now
        self._fired = 0

    def next_due(self) -> float | None:
        """When the timer fires next, or None when no timer is set."""
        if self._timer is None:
            return None
        return self._origin + (self._fired + 1) * self._every

    def advance(self, seconds: float) -> int:
        """Move ``now`` forward by ``seconds``, firing the timer at each due time on the
        way (a due time equal to the new ``now`` included); returns how often it fired.
        A callback may change the timer: the next due time is read after each call."""
        if not (seconds >= 0 and math.isfinite(seconds)):
            raise ValueError(f"time only moves forward: cannot advance by {seconds!r}")
        target = self.now + seconds
        fired = 0
        while True:
            timer, due = self._timer, self.next_due()
            # A due time a rounding error past the target is still due (0.1 * 100).
            if timer is None or due is None or due > target + 1e-9:
                break
            self.now = due
            self._fired += 1
            fired += 1
            timer()
        self.now = target
        return fired


class IntervalSteps:
    """Whole-second timestamp steps for blocks mined every ``interval`` seconds: the
    fractions carry over, so the steps average the interval (1.5 gives 1, 2, 1, 2 ...),
    and never fall below one second (a block's timestamp must pass its parent's)."""

    __slots__ = ("_carry", "interval")

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._carry = 0.0

    def next_step(self) -> int:
        self._carry += self.interval
        step = max(1, int(self._carry + 1e-9))  # 0.1 * 10 is 0.9999999999999999
        self._carry = max(0.0, self._carry - step)
        return step


@dataclass(frozen=True, slots=True)
class TimeState:
    """What :class:`TimeTravel` holds: a snapshot takes it, a state file saves it."""

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

    def advance(self, seconds: float) -> int:
        """Move a virtual clock forward, mining every interval block that falls due on
        the way (the node's timer); returns how many did. Unlike :meth:`increase`, a
        passage of time, not a jump: nothing is added to the next block's timestamp."""
        clock = self.clock
        if not isinstance(clock, VirtualClock):
            raise InvalidRequest(
                "this node has no virtual clock: start it with --virtual-time "
                "(NodeConfig(virtual_time=True)) to move its time by hand"
            )
        return clock.advance(seconds)

    def take_next_timestamp(self) -> int | None:
        forced, self._next = self._next, None
        return forced

    def next_timestamp(self, parent_timestamp: int) -> int:
        return self.clock.next_timestamp(parent_timestamp, self.offset, self._jump)

    def interval_timestamp(self, parent_timestamp: int, step: int) -> int:
        """An interval-mined block's timestamp: the one ``evm_setNextBlockTimestamp``
        forced (taken), else ``step`` seconds after the parent plus the jump travelled
        since it was mined (``evm_increaseTime``)."""
        forced = self.take_next_timestamp()
        if forced is not None and forced > parent_timestamp:
            return forced
        return parent_timestamp + step + self._jump

    def forces_after(self, parent_timestamp: int) -> bool:
        """Whether evm_setNextBlockTimestamp forced the next block's timestamp (one after
        ``parent_timestamp``, the only kind :meth:`peek_timestamp` answers)."""
        return self._next is not None and self._next > parent_timestamp

    def peek_timestamp(self, parent_timestamp: int) -> int:
        """The next block's timestamp were it mined now; nothing is consumed."""
        forced = self._next
        if forced is not None and forced > parent_timestamp:
            return forced
        return self.next_timestamp(parent_timestamp)

    def rebase(self, timestamp: int) -> None:
        """A block was forced to ``timestamp``: later blocks continue from it."""
        self.offset = self.clock.offset_for(timestamp, self.offset)

    def block_mined(self) -> None:
        self._jump = 0

    def capture(self) -> TimeState:
        return TimeState(self.offset, self._jump, self._next)

    def restore(self, token: object) -> None:
        assert isinstance(token, TimeState)
        self.offset, self._jump, self._next = token.offset, token.jump, token.next_timestamp
