"""The node inside the caller's own trio run: :func:`open_mocknode` and :class:`TrioMockNode`.

The trio twin of :class:`~mocknode.embedded.MockNode` (which runs trio in a background
thread for sync and asyncio code). Serving in the caller's run is what trio code wants:
the node's tasks share the run's clock, so interval mining follows ``autojump_clock`` and
a test waiting for twelve-second blocks waits for nothing. The pytest plugin hands trio
tests this same object, from this same function; nothing here depends on pytest.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import trio

from mocknode.controls import NodeControls, node_config
from mocknode.faults.controller import Faults
from mocknode.node import Node, NodeConfig, RpcSession, open_node

T = TypeVar("T")


class RPCError(Exception):
    """A JSON-RPC error answer to :meth:`TrioMockNode.request`, with geth's code and data."""

    def __init__(self, code: int, message: str, data: object = None) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message
        self.data = data


class TrioMockNode(NodeControls):
    """A node served inside the current trio run (get one from :func:`open_mocknode`).

    Same methods as :class:`~mocknode.embedded.MockNode`, as plain calls: on the run's thread
    they act on the chain directly (atomic, no checkpoint); from another thread they cross
    into the run with ``trio.from_thread``. Adds :meth:`request`, JSON-RPC without a socket.
    ``node`` is the underlying :class:`~mocknode.node.Node` (the composition root), for
    code that wires more onto it.
    """

    def __init__(self, node: Node) -> None:
        self.node = node
        self._token = trio.lowlevel.current_trio_token()
        self._thread = threading.get_ident()
        self._session: RpcSession | None = None

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` where the chain lives (the run's thread) and return its result."""
        if threading.get_ident() == self._thread:
            return fn(*args)
        return trio.from_thread.run_sync(fn, *args, trio_token=self._token)

    def _served(self) -> Node:
        return self.node

    @property
    def faults(self) -> Faults:
        """The node's :class:`~mocknode.faults.controller.Faults` itself (call it from the
        run's thread, as trio code does)."""
        return self.node.faults

    async def request(self, method: str, *params: object) -> Any:
        """Answer one JSON-RPC call through the node's JSON-RPC layer, without a socket.

        Returns the decoded ``result``; raises :class:`RPCError` for an error answer.
        Nothing leaves the run, so ``autojump_clock`` cannot move while it is answered, and
        no fault rule applies (faults act on the socket path only).
        """
        __tracebackhide__ = True  # a failure points at the test's call, not in here
        if self._session is None:
            self._session = self.node.rpc_session("http")
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        raw = await self._session.handle(json.dumps(body).encode())
        assert isinstance(raw, bytes)
        answer = json.loads(raw)
        error = answer.get("error")
        if error is not None:
            raise RPCError(error["code"], error["message"], error.get("data"))
        return answer["result"]


@asynccontextmanager
async def open_mocknode(
    config: NodeConfig | None = None, **chain_options: Any
) -> AsyncIterator[TrioMockNode]:
    """Serve a node in the current trio run for the duration of the block.

    ``config`` defaults to :class:`NodeConfig` on a free port, as for
    :class:`~mocknode.embedded.MockNode`; keyword arguments replace fields of its chain
    config::

        async with open_mocknode(chain_id=5, automine=False) as node:
            await node.request("eth_chainId")   # "0x5"
            node.mine()

    Every listener is bound when the block starts; on exit the node is cancelled and its
    IPC socket file removed.
    """
    async with open_node(node_config(config, chain_options)) as node:
        yield TrioMockNode(node)
