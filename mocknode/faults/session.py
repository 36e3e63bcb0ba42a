"""The per-connection wrapper around the node's JSON-RPC session.

:class:`FaultSession` stands between ``io`` and the node's JSON-RPC session for every
connection. Unarmed (no rule, no persona, no recording) :meth:`FaultSession.handle` is one
attribute check and a call into the real session: no parsing, no event, no journal, and
this module imports nothing of the fault core. Armed, each message goes through
:func:`mocknode.faults.dispatch.handle_armed` (loaded on first use).

A connection appears in the journal with its first journaled message (a ``connect`` entry
just before it) and leaves it with a ``close`` entry; a connection that only carries
control calls never appears, so scripting faults over JSON-RPC does not change the
journal. Each run of the journal (:meth:`Faults.clear_journal
<mocknode.faults.controller.Faults.clear_journal>` starts one) is self-contained: a
connection left open from before appears again with its next message, and one the run
never saw is not journaled when it closes.

Notifications pass through :meth:`Faults.notification
<mocknode.faults.controller.Faults.notification>` only while armed: the controller sets
and clears the subscriptions' ``notify`` hook of every live session when arming changes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from mocknode.io.reply import Later, Reply
from mocknode.io.session import ConnInfo, Push

if TYPE_CHECKING:
    from mocknode.chain.chain import Chain
    from mocknode.faults.edge_state import EdgeState
    from mocknode.faults.request import Host
    from mocknode.rpc.context import Context
    from mocknode.rpc.jsonrpc import ItemHook
    from mocknode.rpc.subscriptions import SubscriptionKind, Subscriptions

__all__ = ["FaultSession", "Inner"]

_armed: Callable[[FaultSession, bytes], Awaitable[bytes | Reply | None]] | None = None


def _armed_path() -> Callable[[FaultSession, bytes], Awaitable[bytes | Reply | None]]:
    global _armed
    if _armed is None:
        from mocknode.faults.dispatch import handle_armed

        _armed = handle_armed
    return _armed


class Inner(Protocol):
    """What the wrapper needs from the node's JSON-RPC session."""

    @property
    def subscriptions(self) -> Subscriptions | None: ...

    @property
    def context(self) -> Context:
        """The connection's rpc context (chain faults answer reads from a view of the
        chain through it, :meth:`FaultSession.reading`)."""
        ...

    def answer(self, payload: bytes, item_hook: ItemHook | None = None) -> bytes | None:
        """The JSON-RPC answer to ``payload`` (synchronous: the chain runs atomically)."""
        ...

    async def handle_later(self, payload: bytes) -> bytes | Later | None:
        """The JSON-RPC answer to ``payload``, letting other connections in meanwhile;
        a :class:`Later` when a call in it waits for the chain (rpc.deferred). The
        unarmed path serves this one."""
        ...

    async def handle_parsed(self, payload: bytes, value: object, text: str) -> bytes | Later | None:
        """The answer to a message the framing already parsed (IPC: see io.session)."""
        ...

    def quick(self, message: bytes) -> bytes | None:
        """A kept answer to ``message``, or None (io.session's QuickSession)."""
        ...

    async def close(self) -> None: ...


class FaultSession:
    """One connection's session behind the fault layer (see the module doc)."""

    def __init__(self, faults: Host, inner: Inner, info: ConnInfo, push: Push | None) -> None:
        self.faults = faults
        self.inner = inner
        self.info = info
        self.push = push
        self.answer = inner.answer
        self.sequence = 0
        """Messages handled on this connection so far, control calls excepted."""
        self.notifications = 0
        """Notifications seen on this connection so far (while armed)."""
        self.journaled = -1
        """The journal run (epoch) this connection's ``connect`` entry was written in."""
        self._close_after: int | None = None
        self._close_event: Any = None
        self.edge: EdgeState | None = None
        """What stream and notification faults keep for later messages (F2's hook)."""
        faults.attach(self)
        if faults.armed:
            self.hook_notifications(True)

    async def handle(self, payload: bytes) -> bytes | Reply | None:
        if not self.faults.armed:
            return await self.inner.handle_later(payload)
        return await _armed_path()(self, payload)

    async def handle_parsed(self, payload: bytes, value: object, text: str) -> bytes | Reply | None:
        """IPC hands over its parse: unarmed, the JSON-RPC layer answers from it (one parse
        a message); armed, the fault layer reads the message as it reads every other."""
        if not self.faults.armed:
            return await self.inner.handle_parsed(payload, value, text)
        return await _armed_path()(self, payload)

    def quick(self, message: bytes) -> bytes | None:
        """Unarmed, the node's kept answer, if any (io.session's QuickSession); armed,
        None: every message then goes through the fault layer's own path."""
        if self.faults.armed:
            return None
        return self.inner.quick(message)

    async def close(self) -> None:
        self.faults.detach(self)
        if self.journaled == self.faults.journal_epoch and self.faults.armed:
            self.faults.record("close", self.info)
        await self.inner.close()

    # ------------------------------------------------------------------ notifications

    def hook_notifications(self, on: bool) -> None:
        """Route this connection's notifications through the controller (or not)."""
        subscriptions = self.inner.subscriptions
        if subscriptions is not None:
            subscriptions.notify = self._notify if on else None
        if not on and self.edge is not None:
            from mocknode.faults.apply_stream import flush_held

            flush_held(self)  # a coalesced reply no rule will release now

    def _notify(self, kind: SubscriptionKind, sub_id: str, payload: bytes) -> None:
        self.notifications += 1
        self.faults.notification(self, kind, sub_id, payload)

    def send_reply(self, payload: bytes, method: str | None = None, id: Any = None) -> None:
        """Send a reply now through ``push`` (WebSocket and IPC only), journaled."""
        if self.push is not None:
            self.push(payload)
            self.faults.record("response", self.info, method=method, id=id, size=len(payload))
            self.sent(1)

    def send_notification(self, payload: bytes) -> None:
        """Send a notification now (what the notification faults call to deliver)."""
        if self.push is not None:
            self.push(payload)
            self.sent(1)

    # ------------------------------------------------------------------ chain faults

    @contextmanager
    def reading(self, chain: Chain) -> Iterator[None]:
        """Calls run inside the block read ``chain`` (a read-only view of the node's,
        :mod:`mocknode.faults.chain_view`) instead of the node's chain. Calls run
        synchronously, so no other call sees the view."""
        context = self.inner.context
        real = context.chain
        context.chain = chain
        try:
            yield
        finally:
            context.chain = real

    # ------------------------------------------------------------------ message counting

    def close_after(self, messages: int, event: Any) -> None:
        """Set ``event`` once ``messages`` more messages have been sent (``ws_close``)."""
        self._close_after = messages
        self._close_event = event
        if messages <= 0:
            event.set()

    def sent(self, messages: int) -> None:
        if self._close_after is not None:
            self._close_after -= messages
            if self._close_after <= 0:
                self._close_after = None
                self._close_event.set()

    # ------------------------------------------------------------------ requests

    def answer_call(self, method: str, params: Any, id_text: str) -> bytes | None:
        """Run one call on its own (for an item fault that needs its real answer)."""
        text = '{"jsonrpc":"2.0","id":' + id_text + ',"method":' + json.dumps(method)
        if params is not None:
            text += ',"params":' + json.dumps(params)
        return self.answer((text + "}").encode())
