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
from mocknode.chain.config import ChainConfig
from mocknode.chain.logs.query import Filters
from mocknode.io.ipc import serve_ipc
from mocknode.io.session import ConnInfo, Push, Session, Transport
from mocknode.io.tcp import serve_tcp
from mocknode.rpc import methods as _methods  # noqa: F401  (registers every method)
from mocknode.rpc.context import Context
from mocknode.rpc.ids import IdSource
from mocknode.rpc.jsonrpc import handle_payload
from mocknode.rpc.registry import registry
from mocknode.rpc.request_log import RequestLog
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
    # Print each method's name as it is served (anvil's request log; the CLI's default).
    log_requests: bool = False


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
            request_log=node.request_log,
        )
        # Bound once: the envelope calls it for every request.
        self._dispatch = partial(registry.dispatch, self.context)
        self._log = node.request_log
        self._logged = node.request_log.wrap(self._dispatch)

    async def handle(self, payload: bytes) -> bytes | None:
        # The chain runs synchronously here: one call is atomic between checkpoints.
        return handle_payload(payload, self._logged if self._log.enabled else self._dispatch)

    async def close(self) -> None:
        if self._subscriptions is not None:
            self._subscriptions.close()


class Node:
    def __init__(self, config: NodeConfig | None = None) -> None:
        self.config = config or NodeConfig()
        self.chain = Chain(self.config.chain)
        self.ids = IdSource()  # filter and subscription ids: per node, replayable
        self.filters = Filters(self.chain, ids=self.ids)
        self.request_log = RequestLog(enabled=self.config.log_requests)
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
            nursery.start_soon(self._interval_miner)
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
                self.chain.mine_block()
        finally:
            self.chain.mining_listeners.remove(on_change)


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
