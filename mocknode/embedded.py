"""``MockNode``: the node for sync and asyncio code, trio running in a background thread.

Starting it runs ``trio.run`` in a daemon thread and waits until every listener is
bound; every admin call crosses into that thread with ``trio.from_thread.run_sync``,
so chain objects are only ever touched by trio's thread, exactly as when requests
arrive over the sockets. Closing cancels the node, joins the thread, and the IPC
socket file is gone when ``close()`` returns. Its trio twin, for code already inside a
trio run, is :func:`~mocknode.trio_node.open_mocknode`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import trio

from mocknode.controls import NodeControls, node_config
from mocknode.node import Node, NodeConfig, startup_error

T = TypeVar("T")


class MockNode(NodeControls):
    """A served node owned by the calling (non-trio) thread.

    ``config`` defaults to :class:`NodeConfig` on a free port; keyword arguments replace
    fields of its chain config (``MockNode(chain_id=5, automine=False)``).

    >>> with MockNode(NodeConfig(port=0, ipc_path=None)) as node:
    ...     node.http_url  # doctest: +SKIP
    """

    def __init__(self, config: NodeConfig | None = None, **chain_options: Any) -> None:
        self.config = node_config(config, chain_options)
        self._node: Node | None = None
        self._thread: threading.Thread | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._cancel: trio.CancelScope | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> MockNode:
        if self._thread is not None:
            raise RuntimeError("MockNode already started")
        self._thread = threading.Thread(target=self._thread_main, name="mocknode", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise startup_error(self._error) from None
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
            await nursery.start(self._node.serve)
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
        if self._node is not None:
            self._node.join_warm_up()

    def __enter__(self) -> MockNode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- crossing into trio's thread -----------------------------------------------

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in the node's thread (where the chain lives) and return its
        result, after any revert :meth:`_revert_soon` left queued."""
        if self._token is None or self._node is None:
            raise RuntimeError("MockNode is not running")
        return trio.from_thread.run_sync(_settled, self._node, fn, args, trio_token=self._token)

    def _revert_soon(self, snapshot: int) -> None:
        """For the pytest plugin's teardown: queue a revert to ``snapshot`` and return
        without waiting for the node's thread. It is made before anything else reaches
        the chain (:meth:`mocknode.node.Node.revert_soon`): by the next test's first
        request or call. The caller makes sure the snapshot is still reachable.

        The node's thread is not woken for it. Woken, it took the GIL back from the
        test's thread while that thread went on to the next test, at each of that
        thread's system calls (asyncio makes and closes an event loop per test, a dozen
        calls): measured on 300 asyncio tests that take only ``mocknode``, the fixture
        cost 0.85 ms a test woken and 0.2 ms not. Left queued, the revert is made once,
        inside a request the test waits for anyway, with no hand-over of its own."""
        self._served().revert_soon(snapshot)

    def _served(self) -> Node:
        if self._node is None or self._thread is None:
            raise RuntimeError("MockNode is not running")
        return self._node

    # -- asyncio ------------------------------------------------------------------------

    async def __aenter__(self) -> MockNode:
        """``async with MockNode()`` from asyncio: start-up runs off the event loop."""
        import asyncio

        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *exc: object) -> None:
        import asyncio

        await asyncio.to_thread(self.close)


def _settled(node: Node, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    if node.deferred_reverts:
        node.settle()
    return fn(*args)
