"""Bounded work without head-of-line blocking: the trio side of :mod:`mocknode.rpc.steps`.

The chain is synchronous; run as one piece, a 1000-item batch, ``anvil_mine 20000`` or
a call looping for seconds keeps every other client waiting (issue 11). Here each
connection's requests are answered in steps (:func:`drive`) and routed by what they
may do to the chain (:class:`Bounded`):

* **calls** (:data:`CALL_METHODS`: execution that never commits) run under the EVM
  time limit (``--rpc-evm-timeout``, :mod:`mocknode.chain.evm.deadline`), on the state
  of the block they name: first on the event loop for a turn of
  :data:`INLINE_TURN` (most calls end within it, and a thread costs two hand-offs);
  one still running then is dropped and run again in a worker thread;
* **reads** (:data:`READ_METHODS`) run at once on the event loop, even while calls run;
* everything else is a **write** and runs on the event loop once no call is in flight.
  A write that comes in steps (mining many blocks) lets reads and calls in between
  two blocks and keeps other writes out until it is done;
* a batch lets others in between two items (each item whole), and a deferred result
  between two of its steps.

Why calls may run beside the event loop: the world state keeps each account's and
slot's versions per commit (:mod:`mocknode.chain.state.world`). A call reads the state
as of one commit; what the event loop does meanwhile (reads, and the interval miner
appending blocks) only appends versions after it, which the call never looks at. What
would take versions away (snapshot revert, reorg, reset, the pending block's trial
commit) is a write, and writes wait until no call is in flight; calls wait behind a
write that waits, so writers are not starved. Requests naming the ``pending`` block
build it with a trial commit, so they are writes whatever their method, and a pending
call runs on the event loop (still under the time limit). Interval blocks are mined
on the event loop without waiting: appending is safe beside a call. The embedded
handles' admin calls (``MockNode.revert`` ...) do not pass this gate; a call still
running then (its client gone) can only read a wrong answer nobody waits for: calls
never write to the chain.

Order: every transport answers one connection's requests in order, one at a time
(HTTP must; geth answers WebSocket and IPC messages concurrently, each in its own
goroutine, so its order there is not a promise clients rely on: they match ids).
Concurrency is between connections.

The synchronous paths (the fault layer's armed path, in-process requests) answer
everything in place; :meth:`Bounded.limited` still puts calls under the time limit.
"""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import Any, Final

import trio
import trio.lowlevel

from mocknode.chain.evm.deadline import Deadline, Preempted, install
from mocknode.rpc.jsonrpc import Dispatch, Params
from mocknode.rpc.steps import CHECKPOINT, Deferred, Offload, Steps, run_inline

__all__ = ["CALL_METHODS", "DEFAULT_EVM_TIMEOUT", "READ_METHODS", "Bounded", "drive"]

DEFAULT_EVM_TIMEOUT: Final = 5.0
"""geth's ``--rpc.evmtimeout`` default, in seconds."""

CALL_METHODS: set[str] = {
    "eth_call",
    "eth_estimateGas",
    "eth_createAccessList",
    "eth_simulateV1",
    "debug_traceCall",
}
"""Methods that execute without committing: run under the EVM time limit, in a worker
thread. A module adding such a method adds its name here (it must only read the chain
through the state of the block it names)."""

READ_METHODS: set[str] = {
    "web3_clientVersion",
    "web3_sha3",
    "net_version",
    "net_listening",
    "net_peerCount",
    "eth_chainId",
    "eth_blockNumber",
    "eth_syncing",
    "eth_accounts",
    "eth_coinbase",
    "eth_mining",
    "eth_hashrate",
    "eth_gasPrice",
    "eth_maxPriorityFeePerGas",
    "eth_blobBaseFee",
    "eth_feeHistory",
    "eth_getBalance",
    "eth_getTransactionCount",
    "eth_getCode",
    "eth_getStorageAt",
    "eth_getProof",
    "eth_getBlockByNumber",
    "eth_getBlockByHash",
    "eth_getBlockReceipts",
    "eth_getBlockTransactionCountByNumber",
    "eth_getBlockTransactionCountByHash",
    "eth_getTransactionByHash",
    "eth_getTransactionByBlockNumberAndIndex",
    "eth_getTransactionByBlockHashAndIndex",
    "eth_getTransactionReceipt",
    "eth_getUncleCountByBlockNumber",
    "eth_getUncleCountByBlockHash",
    "eth_getLogs",
    "anvil_getAutomine",
    "anvil_getIntervalMining",
}
"""Methods that only read what a call never changes and change nothing a call reads:
they run at once whatever is in flight (unless they name the pending block)."""

# How long a call runs on the event loop before it moves to a worker thread.
INLINE_TURN: Final = 0.01

# How long a batch or a write in steps may hold the event loop before letting others
# in: short next to the 100 ms a cheap read may wait, long next to a scheduler pass.
SLICE: Final = 0.005


def _names_pending(params: Params) -> bool:
    """Whether ``params`` name the pending block (which is built by a trial commit)."""
    if type(params) is list:
        for value in params:
            if value == "pending":
                return True
            if type(value) is dict and "pending" in value.values():
                return True
    return False


class _Wait:
    """A step: wait until the gate changes, then look again."""

    __slots__ = ("gate",)

    def __init__(self, gate: Bounded) -> None:
        self.gate = gate


class Bounded:
    """The node's gate between calls in worker threads and writes on the event loop,
    and the EVM time limit (``None`` or 0: none)."""

    def __init__(self, evm_timeout: float | None = DEFAULT_EVM_TIMEOUT) -> None:
        self.evm_timeout = evm_timeout or None
        self.calls = 0  # calls running in worker threads
        self._writing = False  # a write between two of its steps
        self._writers_waiting = 0
        self._changed = trio.Event()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    async def changed(self) -> None:
        await self._changed.wait()

    # -- the synchronous path -------------------------------------------------------------

    def limited(self, dispatch: Dispatch) -> Dispatch:
        """``dispatch`` with calls under the time limit, answered in place."""
        if self.evm_timeout is None:
            return dispatch

        def run(method: str, params: Params) -> Any:
            if method in CALL_METHODS:
                return _limited(Deadline(self.evm_timeout), dispatch, method, params)
            return dispatch(method, params)

        return run

    # -- the stepwise path ----------------------------------------------------------------

    def stepwise(self, dispatch: Dispatch) -> Dispatch:
        """``dispatch`` routed as the module doc says; deferred work for :func:`drive`."""

        def route(method: str, params: Params) -> Any:
            if method in READ_METHODS:
                if not _names_pending(params):
                    return dispatch(method, params)
            elif method in CALL_METHODS and not _names_pending(params):
                return Deferred(self._call(dispatch, method, params))
            if self.calls or self._writing or self._writers_waiting:
                return Deferred(self._wait_to_write(dispatch, method, params))
            return self._write(dispatch, method, params)

        return route

    def _write(self, dispatch: Dispatch, method: str, params: Params) -> Any:
        if method in CALL_METHODS:  # a pending call: here, still under the limit
            return _limited(Deadline(self.evm_timeout), dispatch, method, params)
        value = dispatch(method, params)
        if type(value) is Deferred:
            return Deferred(self._hold(value.steps))
        return value

    def _hold(self, steps: Steps) -> Steps:
        """A write's steps, keeping other writes out until the last one."""
        self._writing = True
        try:
            return (yield from steps)
        finally:
            self._writing = False
            self._notify()

    def _wait_to_write(self, dispatch: Dispatch, method: str, params: Params) -> Steps:
        self._writers_waiting += 1
        try:
            while self.calls or self._writing:
                yield _Wait(self)
        finally:
            self._writers_waiting -= 1
        value = self._write(dispatch, method, params)
        if type(value) is Deferred:
            return (yield from value.steps)
        return value

    def _call(self, dispatch: Dispatch, method: str, params: Params) -> Steps:
        while self._writing or self._writers_waiting:
            yield _Wait(self)
        # Always a deadline, even with no limit: stopping the node aborts the call.
        deadline = Deadline(self.evm_timeout)
        # First a turn on the event loop: most calls end within it, and a thread costs
        # a hand-off both ways. One still running at the end of its turn is dropped and
        # run again, whole, in a worker thread (a call commits nothing; the time spent
        # counts against its limit).
        deadline.turn_ends = time.monotonic() + INLINE_TURN
        try:
            return _limited(deadline, dispatch, method, params)
        except Preempted:
            deadline.turn_ends = None
        self.calls += 1
        try:
            fn = partial(_limited, deadline, dispatch, method, params)
            return (yield Offload(fn, deadline.abort))
        finally:
            self.calls -= 1
            self._notify()


def _limited(deadline: Deadline, dispatch: Dispatch, method: str, params: Params) -> Any:
    """Run a call method under ``deadline``, to the end (steps of its own included)."""
    outer = install(deadline)
    try:
        value = dispatch(method, params)
        if type(value) is Deferred:
            return run_inline(value.steps)
        return value
    finally:
        install(outer)


async def drive(answer: bytes | Steps | None) -> bytes | None:
    """The bytes ``answer`` stands for: itself, or what its steps return once driven,
    letting other tasks run at checkpoints (at most every :data:`SLICE` seconds),
    running offloads in worker threads and waiting where the gate says."""
    if answer is None or isinstance(answer, bytes):
        return answer
    steps = answer
    value: Any = None
    error: Exception | None = None
    clock = time.perf_counter
    until = clock() + SLICE
    try:
        while True:
            try:
                step = steps.send(value) if error is None else steps.throw(error)
            except StopIteration as stop:
                result: bytes | None = stop.value
                return result
            value = error = None
            if step is CHECKPOINT:
                if clock() >= until:
                    await trio.lowlevel.checkpoint()
                    until = clock() + SLICE
            elif type(step) is Offload:
                try:
                    value = await _offload(step)
                except Exception as exc:  # the call's own error, answered by the envelope
                    error = exc
                until = clock() + SLICE
            elif type(step) is _Wait:
                await step.gate.changed()
                until = clock() + SLICE
            else:
                raise TypeError(f"not a step: {step!r}")
    finally:
        steps.close()  # cancelled: the steps' own clean-up (the gate's counts) runs


async def _offload(step: Offload) -> Any:
    """Run ``step.fn`` in a worker thread. Cancelled (the node stops, the client went
    away), the call is aborted and waited for: it reads the chain, which must not
    change under it, and stops within a millisecond of its next check."""
    done = threading.Event()

    def run() -> Any:
        try:
            return step.fn()
        finally:
            done.set()

    try:
        return await trio.to_thread.run_sync(run, abandon_on_cancel=True)
    except trio.Cancelled:
        step.abort()
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(done.wait)
        raise
