"""Waiting for one client's next request without a pass through trio's scheduler.

Why (issue 12, cheap reads at anvil's speed): a sequential client sends its next request
some tens of microseconds after our answer. When the reading task finds nothing to read
it parks in ``trio.lowlevel.wait_readable``: trio re-arms the descriptor in its epoll
set (``epoll_ctl``), runs its loop, blocks in ``epoll_wait``, then reschedules the task
and steps it again. For ``eth_blockNumber`` over IPC that pass was about a fifth of the
node's CPU per request (``python -m bench.floor`` and ``/proc`` CPU, see the issue note).

:func:`wait_alone` does the wait in the task itself, but only while the task is, for
trio, the only thing that could happen: nothing else runnable, no callback queued from
another thread, no keyboard interrupt pending, and no deadline before it gives up. It
blocks in ``poll`` on two descriptors, the client's socket and trio's own epoll
descriptor, which becomes readable as soon as anything trio waits for is ready (another
client's bytes, a worker thread's result or a signal through trio's wake-up socket).
Whatever wakes first decides: the client's bytes are read at once; anything else, or
the time running out, sends the task back to ``wait_readable``, so trio handles it on
its usual path. Trio stays the only concurrency framework; this is one task choosing a
cheaper way to block while it alone has work coming.

Under load it steps aside: a wait that something else in the run ended (another
client's bytes, mostly) means other connections are active, and then a quiet wait would
only add a ``poll`` before trio's own wait on most reads. That connection skips its next
:data:`BACK_OFF` quiet waits. Measured with 8 concurrent HTTP clients (``python -m
bench.floor --connections 8``): without the back-off quiet waits cost about a tenth of
the node's throughput; a sequential client never trips it.

Fairness: tasks that trio woke in the same pass as this one are not visible here (trio
runs a pass's batch from a local list). The caller therefore counts a read after a
quiet wait as an immediate read, so a checkpoint still comes every few requests
(:data:`mocknode.io._conn.READS_PER_CHECKPOINT`), and :data:`QUIET_WAIT` bounds each
wait.

Busy polling (``busy_poll``, the ``mocknode`` command's ``--busy-poll``): on a virtual
machine an idle CPU may halt at once, and waking it for the client's next bytes then
costs tens of microseconds (on the reference machine, a firecracker guest with halt
polling off, 40-90 µs: more than the node's whole answer). A wait that blocks pays that on
every request of a client that takes more than a few microseconds to send again. A
lean IPC client thinking 20-120 µs between ``eth_blockNumber`` calls measured 98-130 µs
a call here without it (anvil: 73-126 µs), 28-64 µs with ``busy_poll`` at 200 µs; the
benchmark's IPC row went from 1.01-1.40x anvil to 0.51-0.57x. So the wait first polls
without blocking for up to ``busy_poll``, and blocks only then.

What it costs is CPU: at most ``busy_poll`` per request, spent between an answer and the
next request of a client that sends again within it. The spin gives up, and the
connection then blocks at once for its next :data:`SPIN_BACK_OFF` waits, when the client
outlasts it (web3.py's sync stack thinks 200-400 µs: a loss of at most ``busy_poll /
SPIN_BACK_OFF`` a request) and when the spin was descheduled (:data:`PREEMPTED`: other
threads want this CPU, so spinning would slow them, the client perhaps among them).
websockets' sync client, which reads in a thread of its own, is such a case on two
CPUs: its WebSocket row did not move. Everything else is the quiet wait's: the run's
epoll descriptor ends a spin as it ends a wait (starting the same back-off), deadlines
bound it, and under load there is none. Off by default (``busy_poll=0``): a node served
from a thread of a process that runs other Python code (the pytest plugin,
``MockNode``) would hold the GIL while it spins, away from the very client it waits for;
only the ``mocknode`` command, alone in its process, turns it on.

It reads a few of trio's private run-state attributes (``tests/io/test_quiet_wait.py``
checks they are there in the trio that ``scripts/test`` installs). Where they are missing
(another trio, guest mode, a non-epoll platform) :func:`wait_alone` returns False at once
and everything takes trio's usual path; even the import is guarded.
"""

from __future__ import annotations

import math
import select
import time
from typing import Any

_RUN_CONTEXT: Any
try:
    from trio._core._run import GLOBAL_RUN_CONTEXT as _RUN_CONTEXT
except ImportError:  # pragma: no cover - a trio laid out otherwise: quiet waits stay off
    _RUN_CONTEXT = None

__all__ = ["BACK_OFF", "QUIET_WAIT", "SPIN_BACK_OFF", "Poller", "available", "wait_alone"]

QUIET_WAIT = 0.005
"""Longest quiet wait in seconds. A sequential client's next request comes well within
it (web3.py's own work between two requests is a few hundred microseconds); a client
slower than that is waited for by trio as before."""

BACK_OFF = 32
"""Quiet waits a connection skips after one that something else in the run ended."""

SPIN_BACK_OFF = 32
"""Waits that block at once, without a busy poll, after a busy poll that ran out or was
preempted."""

PREEMPTED = 500e-6
"""A pass of the busy poll (one ``poll`` call, ~1-3 µs) that took longer than this was
descheduled: something else wants this CPU, and the spin gives it up (back-off). A thread
that loses its CPU loses it for a scheduler slice (0.75 ms and up on Linux); shorter
stalls (a garbage collection, a page fault, the hypervisor) are not taken for it."""

_READABLE = select.POLLIN | select.POLLERR | select.POLLHUP


class Poller:
    """A connection's ``poll`` set: its socket and the run's epoll descriptor, built on
    the first quiet wait (the epoll descriptor belongs to the current run), and its busy
    poll: ``busy_poll`` seconds of polling without blocking before a wait blocks."""

    __slots__ = ("_busy_poll", "_fd", "_poll", "skip", "spin_skip")

    def __init__(self, fd: int, busy_poll: float = 0.0) -> None:
        self._fd = fd
        self._poll: Any = None
        self._busy_poll = busy_poll
        self.skip = 0  # quiet waits still to skip (BACK_OFF)
        self.spin_skip = 0  # waits still to block without a busy poll (SPIN_BACK_OFF)

    def wait(self, runner: Any, timeout_ms: int) -> bool:
        """Wait up to ``timeout_ms`` (busy polling first, if on); True if the socket
        alone became readable. The run's epoll descriptor is looked up once, when the
        set is built. A wait that the run's descriptor ended starts a back-off
        (:data:`BACK_OFF`); a busy poll that ran out, a back-off of busy polls
        (:data:`SPIN_BACK_OFF`)."""
        poll = self._poll
        if poll is None:
            epoll_fd = _epoll_fd(runner)
            if epoll_fd < 0:
                return False
            poll = self._poll = select.poll()
            poll.register(self._fd, _READABLE)
            poll.register(epoll_fd, select.POLLIN)
        ready = None
        if self._busy_poll > 0.0:
            if self.spin_skip:
                self.spin_skip -= 1
            else:
                ready, timeout_ms = self._spin(poll, timeout_ms)
        if not ready:
            ready = poll.poll(timeout_ms)
        if len(ready) == 1 and ready[0][0] == self._fd:
            return True
        if ready:  # the run has other work: other connections are active
            self.skip = BACK_OFF
        return False

    def _spin(self, poll: Any, timeout_ms: int) -> tuple[list[tuple[int, int]], int]:
        """Poll without blocking for up to ``busy_poll`` seconds (within ``timeout_ms``):
        what became ready, and what is left of ``timeout_ms`` for a blocking wait."""
        seconds = min(self._busy_poll, timeout_ms / 1000)
        start = last = time.perf_counter()
        end = start + seconds
        while True:
            ready: list[tuple[int, int]] = poll.poll(0)
            if ready:
                return ready, timeout_ms
            now = time.perf_counter()
            # Ran out (the client is slower than the spin) or preempted (the machine
            # has other work for this CPU): block, and for a while block at once.
            if now >= end or now - last > PREEMPTED:
                self.spin_skip = SPIN_BACK_OFF
                spent_ms = math.ceil((now - start) * 1000)
                return ready, max(0, timeout_ms - spent_ms)
            last = now


def _runner() -> Any:
    """The current trio run's private state, or None where it is not as expected."""
    runner = getattr(_RUN_CONTEXT, "runner", None)
    if runner is None or getattr(runner, "is_guest", True):
        return None
    return runner


def _epoll_fd(runner: Any) -> int:
    epoll = getattr(getattr(runner, "io_manager", None), "_epoll", None)
    return epoll.fileno() if epoll is not None else -1


def available() -> bool:
    """Whether quiet waits can happen in the current trio run (call from inside it)."""
    runner = _runner()
    if runner is None or _epoll_fd(runner) < 0:
        return False
    try:
        _quiet_seconds(runner)
    except AttributeError:
        return False
    return True


def _quiet_seconds(runner: Any) -> float:
    """How long this task may block: 0 when anything else may need the thread."""
    if runner.runq or runner.ki_pending or runner.waiting_for_idle or runner.entry_queue.size():
        return 0.0
    until_deadline: float = runner.deadlines.next_deadline() - runner.clock.current_time()
    return min(QUIET_WAIT, until_deadline)


def wait_alone(poller: Poller) -> bool:
    """Block until the poller's socket is readable, if the task may (see the module
    docstring); True if it is, False to take trio's usual wait instead."""
    if poller.skip:
        poller.skip -= 1
        return False
    runner = _runner()
    if runner is None:
        return False
    try:
        seconds = _quiet_seconds(runner)
    except AttributeError:
        return False
    milliseconds = int(seconds * 1000)  # down: a deadline is never passed in here
    if milliseconds <= 0:
        return False
    return poller.wait(runner, milliseconds)
