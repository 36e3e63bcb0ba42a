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

It reads a few of trio's private run-state attributes (``tests/io/test_quiet_wait.py``
checks they are there in the trio that ``scripts/test`` installs). Where they are missing
(another trio, guest mode, a non-epoll platform) :func:`wait_alone` returns False at once
and everything takes trio's usual path; even the import is guarded.
"""

from __future__ import annotations

import select
from typing import Any

_RUN_CONTEXT: Any
try:
    from trio._core._run import GLOBAL_RUN_CONTEXT as _RUN_CONTEXT
except ImportError:  # pragma: no cover - a trio laid out otherwise: quiet waits stay off
    _RUN_CONTEXT = None

__all__ = ["BACK_OFF", "QUIET_WAIT", "Poller", "available", "wait_alone"]

QUIET_WAIT = 0.005
"""Longest quiet wait in seconds. A sequential client's next request comes well within
it (web3.py's own work between two requests is a few hundred microseconds); a client
slower than that is waited for by trio as before."""

BACK_OFF = 32
"""Quiet waits a connection skips after one that something else in the run ended."""

_READABLE = select.POLLIN | select.POLLERR | select.POLLHUP


class Poller:
    """A connection's ``poll`` set: its socket and the run's epoll descriptor, built on
    the first quiet wait (the epoll descriptor belongs to the current run)."""

    __slots__ = ("_fd", "_poll", "skip")

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._poll: Any = None
        self.skip = 0  # quiet waits still to skip (BACK_OFF)

    def wait(self, runner: Any, timeout_ms: int) -> bool:
        """Block up to ``timeout_ms``; True if the socket alone became readable. The
        run's epoll descriptor is looked up once, when the set is built. A wait that
        the run's descriptor ended starts a back-off (:data:`BACK_OFF`)."""
        poll = self._poll
        if poll is None:
            epoll_fd = _epoll_fd(runner)
            if epoll_fd < 0:
                return False
            poll = self._poll = select.poll()
            poll.register(self._fd, _READABLE)
            poll.register(epoll_fd, select.POLLIN)
        ready = poll.poll(timeout_ms)
        if len(ready) == 1 and ready[0][0] == self._fd:
            return True
        if ready:  # the run has other work: other connections are active
            self.skip = BACK_OFF
        return False


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
