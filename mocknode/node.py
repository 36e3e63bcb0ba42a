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
import os
import tempfile
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from functools import partial

import trio

from mocknode.chain.chain import Chain
from mocknode.chain.clock import IntervalSteps, VirtualClock
from mocknode.chain.config import ChainConfig
from mocknode.chain.logs.query import Filters
from mocknode.io.ipc import serve_ipc
from mocknode.io.session import ConnInfo, Push, Session, Transport
from mocknode.io.tcp import serve_tcp
from mocknode.rpc import methods as _methods  # noqa: F401  (registers every method)
from mocknode.rpc.context import Context
from mocknode.rpc.ids import IdSource
from mocknode.rpc.jsonrpc import handle_decoded, handle_payload
from mocknode.rpc.registry import registry
from mocknode.rpc.subscriptions import Subscriptions
from mocknode.wire.http import HttpOptions


def startup_error(exc: BaseException) -> BaseException:
    """The one error behind a failed start (port taken, bad IPC path ...).

    trio reports failures from a nursery as exception groups; a user starting a node
    should see ``OSError: [Errno 98] Address already in use``, not a group of one.
    """
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _load_evm() -> None:
    from mocknode.chain.chain import warm_up

    warm_up()


def default_ipc_path() -> str:
    return os.path.join(tempfile.gettempdir(), "mocknode.ipc")


@dataclass(frozen=True)
class NodeConfig:
    """Where a node listens, and the chain it serves (``port=0``: any free port)."""

    host: str = "127.0.0.1"
    port: int = 8545
    ipc_path: str | None = field(default_factory=default_ipc_path)  # None: no IPC
    chain: ChainConfig = field(default_factory=ChainConfig)
    http: HttpOptions = field(default_factory=HttpOptions)
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
        self._subscriptions = (
            Subscriptions(node.chain, push, ids=node.ids) if push is not None else None
        )
        self.context = Context(
            chain=node.chain,
            filters=node.filters,
            transport=transport,
            subscriptions=self._subscriptions,
        )
        # Bound once: the envelope calls it for every request.
        self._dispatch = partial(registry.dispatch, self.context)

    async def handle(self, payload: bytes) -> bytes | None:
        # The chain runs synchronously here: one call is atomic between checkpoints.
        return handle_payload(payload, self._dispatch)

    async def handle_parsed(self, payload: bytes, value: object, text: str) -> bytes | None:
        # IPC parsed the message to frame it; answer from that parse (io.session).
        return handle_decoded(value, text, self._dispatch)

    async def close(self) -> None:
        if self._subscriptions is not None:
            self._subscriptions.close()


class Node:
    def __init__(self, config: NodeConfig | None = None) -> None:
        self.config = config or NodeConfig()
        self.chain = Chain(_chain_config(self.config))
        self._steps: IntervalSteps | None = None  # interval blocks' timestamp steps
        self._time_and_state()
        self.ids = IdSource()  # filter and subscription ids: per node, replayable
        self.filters = Filters(self.chain, ids=self.ids)
        self.endpoints: Endpoints | None = None
        self._warm_up: threading.Thread | None = None
        # Connection ids for every listener of this node, from 1 (ConnInfo.id).
        self._conn_ids = itertools.count(1).__next__

    def session(self, info: ConnInfo, push: Push | None) -> Session:
        return RpcSession(self, info.transport, push)

    async def serve(
        self, *, task_status: trio.TaskStatus[Endpoints] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Listen on every configured transport until cancelled; report the endpoints."""
        config = self.config
        http = config.http if config.fast_paths else replace(config.http, fast_path=False)
        async with trio.open_nursery() as nursery:
            port = await nursery.start(
                partial(
                    serve_tcp,
                    self.session,
                    config.host,
                    config.port,
                    options=http,
                    conn_ids=self._conn_ids,
                )
            )
            ipc_path = None
            if config.ipc_path is not None:
                ipc_path = await nursery.start(
                    partial(
                        serve_ipc,
                        self.session,
                        config.ipc_path,
                        fast_path=config.fast_paths,
                        conn_ids=self._conn_ids,
                    )
                )
            if not isinstance(self.chain.time.clock, VirtualClock):
                nursery.start_soon(self._interval_miner)
            self._start_state_saver(nursery)
            self._start_warm_up()
            host = config.host if ":" not in config.host else f"[{config.host}]"
            self.endpoints = Endpoints(f"http://{host}:{port}", f"ws://{host}:{port}", ipc_path)
            task_status.started(self.endpoints)

    def _start_warm_up(self) -> None:
        """Load the EVM in a daemon thread once listening: reads are served at once, and
        the first transaction rarely waits for py-evm's ~0.8 s import. A plain thread
        rather than trio's worker cache, so whoever closes the node can wait for it
        (:meth:`join_warm_up`) and leave no thread behind."""
        if self._warm_up is None:
            self._warm_up = threading.Thread(
                target=_load_evm, name="mocknode-evm-import", daemon=True
            )
            self._warm_up.start()

    def join_warm_up(self) -> None:
        if self._warm_up is not None:
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
