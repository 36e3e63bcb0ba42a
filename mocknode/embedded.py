"""``MockNode``: the node for sync and asyncio code, trio running in a background thread.

Starting it runs ``trio.run`` in a daemon thread and waits until every listener is
bound; every admin call crosses into that thread with ``trio.from_thread.run_sync``,
so chain objects are only ever touched by trio's thread, exactly as when requests
arrive over the sockets. Closing cancels the node, joins the thread, and the IPC
socket file is gone when ``close()`` returns.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import trio

from mocknode.chain.chain import Chain, ChainConfig
from mocknode.chain.keys import DevAccount
from mocknode.node import Endpoints, Node, NodeConfig
from mocknode.types import Address

T = TypeVar("T")


class MockNode:
    """A served node owned by the calling (non-trio) thread.

    >>> with MockNode(NodeConfig(port=0, ipc_path=None)) as node:
    ...     node.http_url  # doctest: +SKIP
    """

    def __init__(self, config: NodeConfig | None = None, **chain_options: Any) -> None:
        config = config or NodeConfig(port=0)
        if chain_options:
            config = replace(config, chain=replace(config.chain, **chain_options))
        self.config = config
        self._node: Node | None = None
        self._thread: threading.Thread | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._cancel: trio.CancelScope | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.endpoints: Endpoints | None = None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> MockNode:
        if self._thread is not None:
            raise RuntimeError("MockNode already started")
        self._thread = threading.Thread(target=self._thread_main, name="mocknode", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def _thread_main(self) -> None:
        try:
            trio.run(self._serve)
        except BaseException as exc:  # reported to start(); after start, logged by trio
            if not self._ready.is_set():
                self._error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._token = trio.lowlevel.current_trio_token()
        self._node = Node(self.config)
        async with trio.open_nursery() as nursery:
            self._cancel = nursery.cancel_scope
            self.endpoints = await nursery.start(self._node.serve)
            self._ready.set()

    def close(self) -> None:
        if self._thread is None:
            return
        if self._token is not None and self._cancel is not None and self._thread.is_alive():
            cancel = self._cancel
            with contextlib.suppress(trio.RunFinishedError):
                trio.from_thread.run_sync(cancel.cancel, trio_token=self._token)
        self._thread.join()
        self._thread = None

    def __enter__(self) -> MockNode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- crossing into trio's thread -----------------------------------------------

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in the node's thread (where the chain lives) and return its result."""
        if self._token is None:
            raise RuntimeError("MockNode is not running")
        return trio.from_thread.run_sync(fn, *args, trio_token=self._token)

    def _chain_call(self, name: str, *args: Any) -> Any:
        def call() -> Any:
            assert self._node is not None
            return getattr(self._node.chain, name)(*args)

        return self.run(call)

    # -- what users ask for ---------------------------------------------------------

    @property
    def _endpoints(self) -> Endpoints:
        if self.endpoints is None:
            raise RuntimeError("MockNode is not running")
        return self.endpoints

    @property
    def http_url(self) -> str:
        return self._endpoints.http_url

    @property
    def ws_url(self) -> str:
        return self._endpoints.ws_url

    @property
    def ipc_path(self) -> str | None:
        return self._endpoints.ipc_path

    @property
    def chain_config(self) -> ChainConfig:
        return self.config.chain

    @property
    def accounts(self) -> tuple[DevAccount, ...]:
        return self.run(lambda: self._require_node().chain.accounts)

    def _require_node(self) -> Node:
        if self._node is None:
            raise RuntimeError("MockNode is not running")
        return self._node

    def block_number(self) -> int:
        return int(self.run(lambda: self._require_node().chain.head.number))

    def mine(self, blocks: int = 1, timestamp: int | None = None) -> None:
        """Mine ``blocks`` blocks now (with pending transactions), optionally at ``timestamp``."""
        self._chain_call("mine", blocks, timestamp)

    def snapshot(self, name: str | None = None) -> int:
        """Take a snapshot; it survives reverting to it, so it can be reused."""
        return int(self._chain_call("snapshot", name))

    def revert(self, snapshot: int | str) -> bool:
        """Back to a snapshot, by id or name. False if it no longer exists."""
        return bool(self._chain_call("revert", snapshot))

    def set_balance(self, address: str | bytes, wei: int) -> None:
        self._chain_call("set_balance", _address(address), wei)

    def set_nonce(self, address: str | bytes, nonce: int) -> None:
        self._chain_call("set_nonce", _address(address), nonce)

    def set_code(self, address: str | bytes, code: bytes) -> None:
        self._chain_call("set_code", _address(address), code)

    def set_storage(self, address: str | bytes, slot: int, value: int) -> None:
        self._chain_call("set_storage", _address(address), slot, value)

    def increase_time(self, seconds: int) -> int:
        """Move the clock forward for the next blocks; returns the total offset."""
        return int(self.run(lambda: self._require_node().chain.time.increase(seconds)))

    def set_next_block_timestamp(self, timestamp: int) -> None:
        self._chain_call("set_next_timestamp", timestamp)

    def set_automine(self, enabled: bool) -> None:
        self._chain_call("set_automine", enabled)

    def set_interval_mining(self, seconds: float | None) -> None:
        """Mine every ``seconds`` (None or 0 turns it off)."""
        self._chain_call("set_interval", seconds)

    def with_chain(self, fn: Callable[[Chain], T]) -> T:
        """Run ``fn(chain)`` in the node's thread: for anything the methods above lack."""
        return self.run(lambda: fn(self._require_node().chain))

    # -- asyncio ------------------------------------------------------------------------

    async def __aenter__(self) -> MockNode:
        """``async with MockNode()`` from asyncio: start-up runs off the event loop."""
        import asyncio

        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *exc: object) -> None:
        import asyncio

        await asyncio.to_thread(self.close)


def _address(value: str | bytes) -> Address:
    if isinstance(value, str):
        raw = bytes.fromhex(value[2:] if value[:2] in ("0x", "0X") else value)
    else:
        raw = bytes(value)
    if len(raw) != 20:
        raise ValueError(f"not a 20-byte address: {value!r}")
    return Address(raw)
