"""Test helpers that do not depend on pytest: the trio-run node and its JSON-RPC shortcut.

The pytest plugin hands :class:`TrioMockNode` to trio tests; it is just as usable from
any trio code that runs a node with :func:`~mocknode.node.open_mocknode`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import trio

from mocknode.controls import NodeControls
from mocknode.io.session import ConnInfo, Session
from mocknode.node import Node

T = TypeVar("T")


class RPCError(Exception):
    """A JSON-RPC error answer to :meth:`TrioMockNode.request`, with geth's code and data."""

    def __init__(self, code: int, message: str, data: object = None) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message
        self.data = data


class TrioMockNode(NodeControls):
    """A trio test's node, served inside the test's own trio run.

    Same methods as :class:`~mocknode.embedded.MockNode`, as plain calls: on the run's thread
    they act on the chain directly (atomic, no checkpoint); from another thread they cross
    into the run with ``trio.from_thread``. ``node`` is the underlying :class:`Node`.
    """

    def __init__(self, node: Node) -> None:
        self.node = node
        self._token = trio.lowlevel.current_trio_token()
        self._thread = threading.get_ident()
        self._session: Session | None = None

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` where the chain lives (the run's thread) and return its result."""
        if threading.get_ident() == self._thread:
            return fn(*args)
        return trio.from_thread.run_sync(fn, *args, trio_token=self._token)

    def _served(self) -> Node:
        return self.node

    async def request(self, method: str, *params: object) -> Any:
        """Answer one JSON-RPC call through the node's JSON-RPC layer, without a socket.

        Returns the decoded ``result``; raises :class:`RPCError` for an error answer.
        Nothing leaves the run, so ``autojump_clock`` cannot move while it is answered.
        """
        __tracebackhide__ = True  # a failure points at the test's call, not in here
        if self._session is None:
            self._session = self.node.session(ConnInfo(0, "http", "in-process"), None)
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        raw = await self._session.handle(json.dumps(body).encode())
        assert isinstance(raw, bytes)
        answer = json.loads(raw)
        error = answer.get("error")
        if error is not None:
            raise RPCError(error["code"], error["message"], error.get("data"))
        return answer["result"]
