"""A time limit on execution that never commits (``eth_call`` and its kin).

geth runs every call under ``--rpc.evmtimeout`` (5 s by default) and answers a call
that runs out of time with ``execution aborted (timeout = 5s)``. Here the limit is a
:class:`Deadline` installed for the current thread with :func:`install`; the instruction
loop (:mod:`mocknode.chain.evm.interpreter`) reads it once per frame and checks it on
frame entry and every :data:`CHECK_EVERY` taken jumps, so a loop of any length stops
within about a millisecond of the deadline and straight-line code pays nothing.
A deadline can also be aborted from another thread (:meth:`Deadline.abort`): the node
does that when it stops while a call runs in a worker thread.

Per thread, not per process: calls may run in worker threads side by side, each with
its own limit, while blocks are mined on the event loop's thread with none.
"""

from __future__ import annotations

import math
import threading
import time

from mocknode.chain.errors import ChainError

__all__ = [
    "CHECK_EVERY",
    "Deadline",
    "ExecutionTimeout",
    "Preempted",
    "current",
    "go_duration",
    "install",
]

# Taken jumps between two clock reads: a tight loop does ~1e6 jumps a second here.
CHECK_EVERY = 1024


class ExecutionTimeout(ChainError):
    """The call ran past its deadline (geth: ``execution aborted (timeout = 5s)``)."""


class Preempted(Exception):
    """The call used up its turn on the event loop (:attr:`Deadline.turn_ends`): the
    node runs it again in a worker thread. Not a :class:`ChainError`, so nothing on the
    way up answers it."""


class Deadline:
    """When a call must stop, and geth's text for its limit (``None``: no limit, but
    still a call that :meth:`abort` can stop).

    The time runs from the first check, the first EVM frame: on a fresh node the first
    call also imports py-evm (a second or two on a loaded machine), which is not the
    call's doing. Every later check of the same call (estimateGas's many runs) counts
    against that same start."""

    __slots__ = ("aborted", "at", "limit", "turn_ends")

    def __init__(self, seconds: float | None) -> None:
        self.limit = seconds
        self.at: float | None = None
        self.aborted = False
        self.turn_ends: float | None = None
        """When set (monotonic seconds), checks after it raise :class:`Preempted`."""

    def check(self) -> None:
        """Raise :class:`ExecutionTimeout` once the time is up or the call aborted, and
        :class:`Preempted` once its turn is over."""
        now = time.monotonic()
        at = self.at
        if at is None:
            at = self.at = now + (math.inf if self.limit is None else self.limit)
        if self.turn_ends is not None and now >= self.turn_ends:
            raise Preempted
        if self.aborted or now >= at:
            label = "none" if self.limit is None else go_duration(self.limit)
            raise ExecutionTimeout(f"execution aborted (timeout = {label})")

    def abort(self) -> None:
        """Stop the call at its next check (from any thread)."""
        self.aborted = True


class _Local(threading.local):
    # A class default: reading an unset attribute of a threading.local raises (and
    # catches) AttributeError inside getattr, ~2 µs on every eth_call.
    deadline: Deadline | None = None


_local = _Local()


def current() -> Deadline | None:
    """The deadline of the call running on this thread, if any."""
    return _local.deadline


def install(deadline: Deadline | None) -> Deadline | None:
    """Put this thread's calls under ``deadline`` (None: no limit); returns the one it
    replaces, for the caller to put back (``try``/``finally``: a plain function pair
    rather than a context manager, as it wraps every eth_call)."""
    outer = _local.deadline
    _local.deadline = deadline
    return outer


def go_duration(seconds: float) -> str:
    """``seconds`` as Go's ``time.Duration.String`` writes it: ``5s``, ``1.5s``,
    ``500ms``, ``1m30s``, ``1h0m0s`` (geth puts the flag's value in its message)."""
    nanos = round(seconds * 1e9)
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    nanos = abs(nanos)
    if nanos < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if nanos >= size:
                return sign + _fraction(nanos, size) + unit
    hours, rest = divmod(nanos, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    text = _fraction(rest, 10**9) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{text}"
    if minutes:
        return f"{sign}{minutes}m{text}"
    return sign + text


def _fraction(value: int, unit: int) -> str:
    whole, part = divmod(value, unit)
    if not part:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}.{str(part).rjust(digits, '0').rstrip('0')}"
