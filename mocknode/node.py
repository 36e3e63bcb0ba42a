"""Composition root: one chain served over HTTP + WebSocket and IPC at once.

:class:`Node` wires the layers together: it owns the :class:`Chain`, the node-wide
filters, and a :class:`RpcSession` per connection, and starts the listeners in one
nursery. Layers below know nothing of each other: ``io`` moves messages, ``rpc``
answers them, the chain executes.

:func:`open_node` serves one for the duration of a block, inside trio. The public handles
are thin shells over it: :func:`mocknode.open_mocknode` (in the caller's trio run),
:class:`mocknode.MockNode` (trio in a background thread), and the CLI.
"""

from __future__ import annotations

import itertools
import logging
import os
import tempfile
import threading
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING

import trio

from mocknode.chain.chain import Chain
from mocknode.chain.clock import IntervalSteps, VirtualClock
from mocknode.chain.config import ChainConfig
from mocknode.chain.logs.query import DEFAULT_FILTER_TIMEOUT, Filters
from mocknode.faults.controller import Faults
from mocknode.io.ipc import IpcPathError, serve_ipc
from mocknode.io.limits import ConnLimits, ConnSlots
from mocknode.io.session import ConnInfo, Later, Push, Session, Transport
from mocknode.io.tcp import serve_tcp
from mocknode.offload import DEFAULT_EVM_TIMEOUT, Bounded, drive
from mocknode.rpc import methods as _methods  # noqa: F401  (registers every method)
from mocknode.rpc.context import Context
from mocknode.rpc.deferred import fill
from mocknode.rpc.ids import IdSource
from mocknode.rpc.jsonrpc import (
    DEFAULT_BATCH_LIMIT,
    DEFAULT_BATCH_RESPONSE_LIMIT,
    ItemHook,
    handle_payload,
)
from mocknode.rpc.memo import MEMO_METHODS, ReadMemo, split_id
from mocknode.rpc.registry import registry
from mocknode.rpc.request_log import RequestLog
from mocknode.rpc.stepwise import answer_decoded_stepwise, answer_stepwise
from mocknode.rpc.subscriptions import DEFAULT_MAX_SUBSCRIPTIONS, Subscriptions
from mocknode.values import dataclass, field, replace
from mocknode.waiting import settle
from mocknode.wire.http import HttpOptions

if TYPE_CHECKING:
    from mocknode.faults.plan import FaultPlan

log = logging.getLogger("mocknode.node")

# The seed of the id sequence every restarted run draws from (any value but the node's 0).
_RUN_ID_SEED = 1


def startup_error(exc: BaseException) -> BaseException:
    """The one error behind a failed start (port taken, bad IPC path ...).

    trio reports failures from a nursery as exception groups; a user starting a node
    should see ``OSError: [Errno 98] Address already in use``, not a group of one.
    """
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


# How long the EVM warm-up waits once the node listens: the requests that come right
# then (a harness's readiness poll, a client's chain id and accounts) are answered
# without the import thread taking the GIL from them every 5 ms switch interval (it
# doubled the CPU and wall time to a fresh node's first answer); a transaction sent
# in the first ~0.8 s waits for the import either way.
WARM_UP_DELAY_S = 0.03


def _load_evm(cancelled: threading.Event) -> None:
    if cancelled.wait(WARM_UP_DELAY_S):
        return
    from mocknode.chain.chain import warm_up

    warm_up()


def default_ipc_path() -> str:
    """``<tmp>/mocknode-<uid>/mocknode.ipc``: a directory of the user's own (created 0700
    when first served; see :mod:`mocknode.io.ipc`), not a name any user could take."""
    return os.path.join(tempfile.gettempdir(), f"mocknode-{os.getuid()}", "mocknode.ipc")


@dataclass(frozen=True)
class NodeConfig:
    """Where a node listens, and the chain it serves (``port=0``: any free port)."""

    host: str = "127.0.0.1"
    port: int = 8545
    ipc_path: str | None = field(default_factory=default_ipc_path)  # None: no IPC
    chain: ChainConfig = field(default_factory=ChainConfig)
    http: HttpOptions = field(default_factory=HttpOptions)
    # Connection limits of every listener: queued bytes, timeouts, connection caps
    # (mocknode.io.limits; docs/limits.md).
    limits: ConnLimits = field(default_factory=ConnLimits)
    # JSON-RPC limits (geth's defaults): batch items, batch answer bytes, a polling
    # filter's life without a poll (None: forever), eth_subscribe per connection.
    batch_limit: int = DEFAULT_BATCH_LIMIT
    batch_response_limit: int = DEFAULT_BATCH_RESPONSE_LIMIT
    filter_timeout: float | None = DEFAULT_FILTER_TIMEOUT
    max_subscriptions: int = DEFAULT_MAX_SUBSCRIPTIONS
    # False: h11/wsproto/the IPC scanner read everything, and sockets go through trio's
    # general stream path (same bytes out; for debugging and proving the fast paths).
    fast_paths: bool = True
    # Time and state on disk (docs/state-and-time.md). virtual_time: the chain's clock
    # stands still until advance(seconds) / mock_advanceTime moves it, mining the
    # interval blocks that fall due on the way. load_state: a state file to start from;
    # dump_state: where to save the state when the node stops and, with
    # state_interval, every that many seconds while it runs.
    virtual_time: bool = False
    load_state: str | None = None
    dump_state: str | None = None
    state_interval: float | None = None
    # Fault injection (mocknode.faults): the seed of every probability draw, a plan (a
    # FaultPlan or a .toml/.json path; its seed and persona win over the two fields here),
    # a provider persona (geth, infura, alchemy, erigon), and journaling all traffic from
    # the start even without rules.
    fault_seed: int = 0
    faults: FaultPlan | str | None = None
    persona: str | None = None
    journal: bool = False
    # Print each method's name as it is served (anvil's request log; the CLI's default).
    log_requests: bool = False
    # geth's --rpc.evmtimeout: eth_call and the other calls stop with "execution aborted
    # (timeout = 5s)" after this many seconds (None or 0: no limit). mocknode.offload.
    evm_timeout: float | None = DEFAULT_EVM_TIMEOUT


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where a running node answers: its real port, and the IPC path or None."""

    http_url: str
    ws_url: str
    ipc_path: str | None

    def __str__(self) -> str:
        parts = [self.http_url, self.ws_url]
        if self.ipc_path is not None:
            parts.append(f"ipc:{self.ipc_path}")
        return " ".join(parts)


class RpcSession:
    """One connection's view of the node: its context and its subscriptions."""

    def __init__(self, node: Node, transport: Transport, push: Push | None) -> None:
        self.subscriptions = (
            Subscriptions(node.chain, push, ids=node.ids, limit=node.config.max_subscriptions)
            if push is not None
            else None
        )
        self.context = Context(
            chain=node.chain,
            filters=node.filters,
            transport=transport,
            subscriptions=self.subscriptions,
            faults=node.faults.control,
            request_log=node.request_log,
        )
        # Bound once: the envelope calls it for every request. The synchronous path
        # answers in place (calls under the time limit); handle and handle_parsed answer
        # in steps, calls in worker threads (mocknode.offload).
        bounded = node.bounded
        raw = partial(registry.dispatch, self.context)
        self._dispatch = bounded.limited(raw)
        self._log = node.request_log
        self._logged = node.request_log.wrap(self._dispatch)
        self._stepwise = bounded.stepwise(raw)
        self._stepwise_logged = node.request_log.wrap(self._stepwise)
        self._batch_limit = node.config.batch_limit
        self._batch_bytes = node.config.batch_response_limit
        self._reverts = node.deferred_reverts  # settled before any request is answered
        self._settle = node.settle
        self._chain = node.chain
        self._memo = node.memo
        # The message ``quick`` last looked up in vain, and its cut: the full path that
        # follows for it (handle_later, handle_parsed) neither cuts nor looks it up again.
        self._missed: tuple[bytes, tuple[bytes, bytes]] | None = None

    def answer(self, payload: bytes, item_hook: ItemHook | None = None) -> bytes | None:
        """The answer to one message, computed in place: one call is atomic. A call that
        would wait for the chain (rpc.deferred) is settled at once: its result if it is
        there, else its timeout error (the fault layer's armed path, which needs the
        bytes now)."""
        if self._reverts:
            self._settle()
        dispatch = self._logged if self._log.enabled else self._dispatch
        reply = handle_payload(
            payload,
            dispatch,
            batch_limit=self._batch_limit,
            batch_response_limit=self._batch_bytes,
            item_hook=item_hook,
        )
        return self._settle_now(reply) if self.context.deferred else reply

    async def handle_later(self, payload: bytes) -> bytes | Later | None:
        """The answer to one message, in steps: other connections are served between
        batch items, between mined blocks and while calls run in worker threads
        (mocknode.offload). A call that waits for the chain (rpc.deferred) makes the
        answer a :class:`Later` that io awaits, so the connection's other messages are
        not held up behind it."""
        if self._reverts:
            self._settle()
        cut = self._missed_cut(payload)
        if cut is None:
            cut = split_id(payload)
            if cut is not None and (kept := self._kept(cut)) is not None:
                return kept
        dispatch = self._stepwise_logged if self._log.enabled else self._stepwise
        steps = answer_stepwise(
            payload,
            dispatch,
            batch_limit=self._batch_limit,
            batch_response_limit=self._batch_bytes,
        )
        # A cheap read is answered at once: bytes, no steps to drive (no await).
        reply = steps if type(steps) is bytes else await drive(steps)
        if self.context.deferred:
            return self._later(reply)
        if cut is not None and type(steps) is bytes:  # answered at once: it may be kept
            self._remember(cut, payload, steps)
        return reply

    async def handle(self, payload: bytes) -> bytes | None:
        """:meth:`handle_later`, its waiting call awaited here (in-process callers)."""
        reply = await self.handle_later(payload)
        if isinstance(reply, Later):
            return await reply.reply()  # type: ignore[return-value]
        return reply

    async def handle_parsed(self, payload: bytes, value: object, text: str) -> bytes | Later | None:
        # IPC parsed the message to frame it; answer from that parse (io.session).
        if self._reverts:
            self._settle()
        missed = self._missed_cut(payload)
        dispatch = self._stepwise_logged if self._log.enabled else self._stepwise
        steps = answer_decoded_stepwise(
            value,
            text,
            dispatch,
            batch_limit=self._batch_limit,
            batch_response_limit=self._batch_bytes,
        )
        reply = steps if type(steps) is bytes else await drive(steps)
        if self.context.deferred:
            return self._later(reply)
        if (
            type(steps) is bytes  # answered at once: it may be kept
            and type(value) is dict
            and value.get("method") in MEMO_METHODS
            and (cut := missed or split_id(payload)) is not None
        ):
            self._remember(cut, payload, steps)
        return reply

    def quick(self, message: bytes) -> bytes | None:
        """The kept answer to ``message`` (:mod:`mocknode.rpc.memo`), or None: the
        transports' way past framing and parsing for a read asked again (io.session)."""
        if self._reverts:
            return None  # a revert is queued: the full path makes it first
        cut = split_id(message)
        if cut is None:
            return None
        kept = self._kept(cut)
        if kept is None:
            self._missed = (message, cut)
        return kept

    def _missed_cut(self, payload: bytes) -> tuple[bytes, bytes] | None:
        """The cut of ``payload`` when ``quick`` just looked it up in vain (None
        otherwise); forgets that miss either way. Skipping a look-up is always safe:
        the full path answers."""
        missed, self._missed = self._missed, None
        return missed[1] if missed is not None and missed[0] == payload else None

    def _kept(self, cut: tuple[bytes, bytes]) -> bytes | None:
        """The kept answer to the message ``cut`` (its key and id), logged as served."""
        if self.context.chain is not self._chain:
            return None
        kept = self._memo.lookup(cut[0], cut[1], self._chain.read_stamp())
        if kept is None:
            return None
        if self._log.enabled:
            self._log.write(self._log.line(kept[1]))
        return kept[0]

    def _remember(self, cut: tuple[bytes, bytes], payload: bytes, answer: bytes) -> None:
        """Keep a read's answer for the next identical message (rpc.memo): only one
        computed from the node's own chain, never from a fault layer's view of it. The
        call ran synchronously just now, so the stamp read here is the one it saw."""
        if self.context.chain is self._chain:
            self._memo.remember(cut[0], cut[1], payload, answer, self._chain.read_stamp())

    def _settle_now(self, reply: bytes | None) -> bytes | None:
        entries = self.context.deferred[:]
        self.context.deferred.clear()
        for entry in entries:
            if reply is not None:
                reply = fill(reply, entry, entry.poll() or entry.expire())
        return reply

    def _later(self, reply: bytes | None) -> Later:
        entries = self.context.deferred[:]
        self.context.deferred.clear()
        return Later(partial(settle, self.context.chain, entries, reply))

    async def close(self) -> None:
        if self.subscriptions is not None:
            self.subscriptions.close()


class Node:
    def __init__(self, config: NodeConfig | None = None) -> None:
        self.config = config or NodeConfig()
        self.chain = Chain(_chain_config(self.config))
        self.bounded = Bounded(self.config.evm_timeout)
        self._steps: IntervalSteps | None = None  # interval blocks' timestamp steps
        self._time_and_state()
        # Filter and subscription ids: per node, replayable (restart_numbering restarts them).
        self._id_source = IdSource()
        self.filters = Filters(
            self.chain, ids=self.ids, clock=self._clock, timeout=self.config.filter_timeout
        )
        self.request_log = RequestLog(enabled=self.config.log_requests)
        # Answers to reads asked again while the chain is unchanged (rpc.memo), shared by
        # every connection; off with the other fast paths.
        self.memo = ReadMemo(enabled=self.config.fast_paths)
        self.endpoints: Endpoints | None = None
        self._warm_up: threading.Thread | None = None
        self._warm_up_cancelled = threading.Event()
        # Connection ids for every listener of this node, from 1 (ConnInfo.id).
        self._conn_counter = itertools.count(1)
        self._started: float | None = None  # trio time when serving began (node clock 0)
        config = self.config
        self.faults = Faults(
            seed=config.fault_seed,
            persona=config.persona,
            clock=self._clock,
            head=self._head,
            chain=self.chain,
        )
        if config.faults is not None:
            self.faults.load_plan(config.faults)
        if config.journal:
            self.faults.recording = True
        self.faults.on_restart = self.restart_numbering
        # Reverts asked for from another thread and not yet made (revert_soon); what
        # was settled so far, and the snapshots a settle found gone.
        self.deferred_reverts: deque[int] = deque()
        self.settles_started = 0  # with settled_reverts: a settle in progress shows
        self.settled_reverts = 0
        self.lost_reverts: list[int] = []

    def revert_soon(self, snapshot: int) -> None:
        """Put the chain back to ``snapshot`` before anything else touches it; callable
        from any thread, returns at once.

        Why: the pytest plugin resets the shared node after every test, and waiting for
        the node's thread to do it costs two thread wake-ups, about a quarter of a
        millisecond a test on two cores. Instead the revert is queued here and made by
        :meth:`settle`, which runs before every request (:class:`RpcSession`), every
        call into the node's thread (``MockNode.run``), every interval block and every
        state save: nothing can see the chain before it. The caller makes sure
        ``snapshot`` is still reachable (``Chain.rewinds`` unchanged since it was taken);
        one that is not anyway is noted in :attr:`lost_reverts`.

        A revert to the snapshot already last in the queue is not queued again: nothing
        reached the chain since that one was queued (it would have been made first), so
        the second would find the chain where the first leaves it. A run of tests that
        make no request keeps one revert queued, not one per test."""
        reverts = self.deferred_reverts
        if not reverts or reverts[-1] != snapshot:
            reverts.append(snapshot)

    def settle(self) -> None:
        """Make the reverts :meth:`revert_soon` queued, in order (node's thread)."""
        reverts = self.deferred_reverts
        while reverts:
            snapshot = reverts.popleft()
            self.settles_started += 1
            try:
                if not self.chain.revert(snapshot):
                    self.lost_reverts.append(snapshot)
            finally:
                self.settled_reverts += 1

    def _conn_ids(self) -> int:
        return next(self._conn_counter)

    def ids(self) -> str:
        """The next filter or subscription id."""
        return self._id_source()

    def restart_numbering(self) -> None:
        """Connection ids from 1, filter and subscription ids from the start of a run's
        own sequence, and the node clock from 0 again, as on a fresh node
        (:meth:`Faults.restart_run`: the pytest plugin's per-test reset of a shared node),
        so a run's journal and ids replay. Connections already open keep their ids; the
        run's id sequence is not the node's first one, so ids handed out before any run
        (a session fixture's filter) are not handed out again."""
        self._conn_counter = itertools.count(1)
        self._id_source = IdSource(_RUN_ID_SEED)
        if self._started is not None:
            self._started = trio.current_time()

    def _clock(self) -> float:
        """The node clock: trio seconds since serving began (0 before), to the microsecond:
        on ``autojump_clock`` two runs then journal the very same times, where the raw
        difference of two large floats can differ in its last bit."""
        if self._started is None:
            return 0.0
        return round(trio.current_time() - self._started, 6)

    def _head(self) -> int:
        return self.chain.head.number

    def rpc_session(self, transport: Transport, push: Push | None = None) -> RpcSession:
        """A JSON-RPC session straight onto the chain, with no fault layer (in-process
        callers such as ``TrioMockNode.request``)."""
        return RpcSession(self, transport, push)

    def session(self, info: ConnInfo, push: Push | None) -> Session:
        """The session ``io`` serves a connection with: the fault layer around RPC."""
        return self.faults.session(RpcSession(self, info.transport, push), info, push)

    async def serve(
        self, *, task_status: trio.TaskStatus[Endpoints] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Listen on every configured transport until cancelled; report the endpoints."""
        config = self.config
        http = config.http if config.fast_paths else replace(config.http, fast_path=False)
        if self._started is None:
            self._started = trio.current_time()
        faults = self.faults
        slots = ConnSlots(config.limits)  # one count across HTTP, WebSocket and IPC
        async with trio.open_nursery() as nursery:
            port = await nursery.start(
                partial(
                    serve_tcp,
                    self.session,
                    config.host,
                    config.port,
                    options=http,
                    limits=config.limits,
                    slots=slots,
                    conn_ids=self._conn_ids,
                    on_accept=faults.on_accept,
                    wrap_stream=faults.wrap_stream,
                )
            )
            ipc_path = None
            if config.ipc_path is not None:
                serve_ipc_once = partial(
                    serve_ipc,
                    self.session,
                    config.ipc_path,
                    max_message=config.http.max_ws_message,
                    limits=config.limits,
                    slots=slots,
                    fast_path=config.fast_paths,
                    conn_ids=self._conn_ids,
                    on_accept=faults.on_accept,
                    wrap_stream=faults.wrap_stream,
                )
                ipc_path = await nursery.start(self._serve_ipc, serve_ipc_once)
            if not isinstance(self.chain.time.clock, VirtualClock):
                nursery.start_soon(self._interval_miner)
            self._start_state_saver(nursery)
            self._start_warm_up()
            host = config.host if ":" not in config.host else f"[{config.host}]"
            self.endpoints = Endpoints(f"http://{host}:{port}", f"ws://{host}:{port}", ipc_path)
            task_status.started(self.endpoints)

    async def _serve_ipc(
        self,
        serve_once: Callable[..., Awaitable[None]],
        *,
        task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve IPC until cancelled, restarting the listener when the fault layer asks
        (``ipc_recreate``, through :attr:`Faults.restart_ipc`): every IPC connection is
        closed and the socket file removed (by ``serve_ipc`` ending), then after the
        downtime the file is bound again. A restart that finds the path taken by someone
        else stops serving IPC, logged; the node goes on."""
        restarts = _IpcRestarts()
        first = True
        while True:
            try:
                with trio.CancelScope() as scope:
                    restarts.scope = scope
                    async with trio.open_nursery() as inner:
                        path = await inner.start(serve_once)
                        if first:
                            task_status.started(path)
                            first = False
                        self.faults.restart_ipc = restarts.restart
            except BaseException as exc:  # a group of one from the nursery
                cause = startup_error(exc)
                if first or not isinstance(cause, IpcPathError):
                    raise
                log.error("IPC not served again after a restart: %s", cause)
                return
            finally:
                self.faults.restart_ipc = None
            downtime = restarts.take()
            if downtime is None:
                return  # pragma: no cover - only a restart cancels that scope
            await trio.sleep(downtime)

    def _start_warm_up(self) -> None:
        """Load the EVM in a daemon thread once listening: reads are served at once, and
        the first transaction rarely waits for py-evm's ~0.8 s import. A plain thread
        rather than trio's worker cache, so whoever closes the node can wait for it
        (:meth:`join_warm_up`) and leave no thread behind."""
        if self._warm_up is None:
            self._warm_up = threading.Thread(
                target=_load_evm,
                args=(self._warm_up_cancelled,),
                name="mocknode-evm-import",
                daemon=True,
            )
            self._warm_up.start()

    def join_warm_up(self) -> None:
        """Wait for the warm-up thread (a node closed within its delay skips the import)."""
        if self._warm_up is not None:
            self._warm_up_cancelled.set()
            self._warm_up.join()

    async def _interval_miner(self) -> None:
        """Mine every ``chain.interval`` seconds of trio's clock (so tests on trio's
        ``autojump_clock`` wait for nothing); restart the wait whenever the mining
        mode changes."""
        changed = trio.Event()

        def on_change() -> None:
            changed.set()

        self.chain.mining_listeners.append(on_change)
        try:
            while True:
                interval = self.chain.interval
                if interval is None:
                    await changed.wait()
                else:
                    with trio.move_on_after(interval):
                        await changed.wait()
                if changed.is_set():
                    changed = trio.Event()
                    continue
                self._mine_on_interval()
        finally:
            self.chain.mining_listeners.remove(on_change)

    # -- virtual time and state on disk -------------------------------------------------

    def _time_and_state(self) -> None:
        """Hook a virtual clock's timer to the interval miner; load the state file."""
        config = self.config
        if config.state_interval is not None and (
            config.dump_state is None or not config.state_interval > 0
        ):
            raise ValueError("state_interval needs a dump_state path and a positive interval")
        clock = self.chain.time.clock
        if isinstance(clock, VirtualClock):

            def schedule() -> None:
                clock.repeat(self.chain.interval, self._mine_on_interval)

            self.chain.mining_listeners.append(schedule)
            schedule()
        if config.load_state is not None:
            from mocknode.persist.files import load_state

            load_state(self.chain, config.load_state)

    def _mine_on_interval(self) -> None:
        """One interval block, stamped the interval after its parent (plus any time
        travelled meanwhile), not by the clock: see :mod:`mocknode.chain.clock`."""
        if self.deferred_reverts:
            # A queued revert comes first; it restarts the mining schedule (the chain's
            # mining mode is part of the snapshot), so this tick mines nothing.
            self.settle()
            return
        chain = self.chain
        interval = chain.interval or 1.0
        steps = self._steps
        if steps is None or steps.interval != interval:
            steps = self._steps = IntervalSteps(interval)
        parent = chain.head.header.timestamp
        chain.mine_block(timestamp=chain.time.interval_timestamp(parent, steps.next_step()))

    def _start_state_saver(self, nursery: trio.Nursery) -> None:
        path = self.config.dump_state
        if path is not None:
            from mocknode.persist.files import remove_stale_temporaries

            remove_stale_temporaries(path)
            nursery.start_soon(self._keep_state_saved, path, self.config.state_interval)

    def save_state(self, path: str) -> None:
        """Write the chain to ``path`` now (atomically); the node does it when it stops
        if ``dump_state`` is set."""
        from mocknode.persist.files import save_state

        self.settle()
        save_state(self.chain, path)

    async def _keep_state_saved(self, path: str, every: float | None) -> None:
        """Save when the node stops (however it stops: this task is cancelled with the
        rest) and, with ``every``, every that many seconds when anything changed. A
        periodic document is taken on the chain's thread, one consistent state;
        encoding and writing run in a worker thread, so the disk holds up no request
        (cancelling waits for a write in progress, so writes never overlap)."""
        from mocknode.persist.document import state_document

        saved: object = None  # what the last periodic save held
        try:
            if every is None:
                await trio.sleep_forever()
            while True:
                await trio.sleep(every)
                self.settle()
                chain = self.chain
                pool = chain.pool
                mark = (
                    chain.head.hash,
                    chain.state.head,
                    tuple((tx.hash, pool.held(tx.hash)) for tx in pool),
                    chain.time.capture(),
                    chain.config,
                )
                if mark == saved:
                    continue
                await trio.to_thread.run_sync(partial(_write_document, path, state_document(chain)))
                saved = mark
        finally:
            self.save_state(path)


def _write_document(path: str, document: dict[str, object]) -> None:
    from mocknode.persist.files import encode_document, write_atomic

    write_atomic(path, encode_document(document))


def _chain_config(config: NodeConfig) -> ChainConfig:
    """The chain's config: with virtual time, a virtual clock of its own that starts where
    the configured clock would have put genesis."""
    chain = config.chain
    if config.virtual_time and not isinstance(chain.clock, VirtualClock):
        chain = replace(chain, clock=VirtualClock(chain.clock.genesis_timestamp()))
    return chain


class _IpcRestarts:
    """The current IPC listener's cancel scope and the downtime a restart asked for."""

    def __init__(self) -> None:
        self.scope: trio.CancelScope | None = None
        self._downtime: float | None = None

    def restart(self, seconds: float) -> None:
        if self._downtime is None:  # the first request of a restart wins
            self._downtime = seconds
        if self.scope is not None:
            self.scope.cancel()

    def take(self) -> float | None:
        downtime, self._downtime = self._downtime, None
        return downtime


@asynccontextmanager
async def open_node(config: NodeConfig | None = None) -> AsyncIterator[Node]:
    """A served :class:`Node` for the duration of the block (inside trio), every
    listener bound and ``node.endpoints`` set when the block starts."""
    node = Node(config)
    async with trio.open_nursery() as nursery:
        await nursery.start(node.serve)
        try:
            yield node
        finally:
            nursery.cancel_scope.cancel()
