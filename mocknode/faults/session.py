"""The per-connection wrapper: request-point faults and the journal, around the real session.

:class:`FaultSession` stands between ``io`` and the node's JSON-RPC session for every
connection. Unarmed (no rule, no persona, no recording) :meth:`FaultSession.handle` is one
attribute check and a call into the real session: no parsing, no event, no journal.

Armed, each message goes through :meth:`FaultSession._handle_armed`:

1. it is read once (``json.loads``) to find its calls; a message made only of control
   calls (``mock_*``) is answered at once, never journaled, never counted, so adding a rule
   over JSON-RPC leaves the connection's sequence exactly as adding it from Python does;
2. the connection's sequence number goes up, and each call is journaled (``request``:
   method, id, and for a single call the message size);
3. the engine decides for the single call, or for the whole batch (then the user's rules,
   then the persona's); a decision is journaled (``fault``: rule id, draw) and its applier
   answers (:data:`REQUEST_APPLIERS`);
4. otherwise the message runs normally; in a batch every call first meets the item hook,
   where the engine decides per item (:data:`ITEM_APPLIERS`);
5. whatever is sent is journaled (``response``: its size).

A connection appears in the journal with its first journaled message (a ``connect`` entry
just before it) and leaves it with a ``close`` entry; a connection that only carries
control calls never appears, so scripting faults over JSON-RPC does not change the
journal.

Notifications pass through :meth:`Faults.notification
<mocknode.faults.controller.Faults.notification>` only while armed: the controller sets
and clears the subscriptions' ``notify`` hook of every live session when arming changes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final, Protocol

from mocknode.faults.apply_request import ITEM_APPLIERS, MESSAGE_APPLIERS
from mocknode.faults.apply_stream import STREAM_APPLIERS, flush_held, release_held
from mocknode.faults.events import Event
from mocknode.faults.request import (
    Applier,
    BatchOutcome,
    Declined,
    Host,
    Item,
    ItemApplier,
    Request,
)
from mocknode.faults.rules import is_control
from mocknode.io.reply import (
    Delayed,
    Dribble,
    Frames,
    HttpStatus,
    RawBytes,
    Reply,
    ResetAfter,
    Truncated,
)
from mocknode.io.session import ConnInfo, Push
from mocknode.rpc.jsonrpc import ItemHook, Replacement
from mocknode.rpc.subscriptions import SubscriptionKind, Subscriptions

if TYPE_CHECKING:
    from mocknode.faults.edge_state import EdgeState
    from mocknode.faults.engine import Decision

__all__ = ["ITEM_APPLIERS", "REQUEST_APPLIERS", "FaultSession", "Inner"]

REQUEST_APPLIERS: Final[dict[str, Applier]] = {**MESSAGE_APPLIERS, **STREAM_APPLIERS}
"""Kind -> applier for every kind decided for a whole message (single call or batch)."""

DECLINABLE: Final = frozenset({"provider_limit"})
"""Kinds whose applier may find the fault does not apply (:class:`Declined`): their fault
entry is written after the applier ran, the others' before (so a batch's whole-message
fault comes before its items' faults, and a delay's entry before its wait)."""

# Bracket count past which a message is not parsed here (see rpc.jsonrpc.MAX_NESTING: the
# C JSON scanner recurses on the C stack). Such a message is still answered by the rpc
# layer (a parse error); it is just not matched against rules.
_MAX_BRACKETS: Final = 512


class Inner(Protocol):
    """What the wrapper needs from the node's JSON-RPC session."""

    @property
    def subscriptions(self) -> Subscriptions | None: ...

    def answer(self, payload: bytes, item_hook: ItemHook | None = None) -> bytes | None:
        """The JSON-RPC answer to ``payload`` (synchronous: the chain runs atomically)."""
        ...

    async def close(self) -> None: ...


class _Call:
    __slots__ = ("id", "id_text", "method", "params")

    def __init__(self, method: str, params: Any, ident: Any) -> None:
        self.method = method
        self.params = params
        self.id = ident
        self.id_text = json.dumps(ident, ensure_ascii=False, separators=(",", ":"))


def _as_call(obj: object) -> _Call | None:
    """A JSON-RPC call (version 2.0, a method, an id that is not an object or array)."""
    if type(obj) is not dict or obj.get("jsonrpc") != "2.0" or "id" not in obj:
        return None
    method = obj.get("method")
    ident = obj["id"]
    if type(method) is not str or not method or isinstance(ident, dict | list):
        return None
    return _Call(method, obj.get("params"), ident)


def _parse(payload: bytes) -> tuple[bool, list[_Call], object]:
    """``(is_batch, calls, first)`` where ``first`` is a single message as decoded (for
    journaling what is not a call); unreadable input gives ``(False, [], None)``."""
    if payload.count(b"[") + payload.count(b"{") > _MAX_BRACKETS:
        return False, [], None
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError):
        return False, [], None
    if type(value) is list:
        return True, [c for c in map(_as_call, value) if c is not None], None
    call = _as_call(value)
    return False, [] if call is None else [call], value


def reply_size(reply: bytes | Reply | None) -> int | None:
    """Bytes of JSON-RPC payload a reply sends (``None``: it sends none)."""
    if reply is None:
        return None
    if isinstance(reply, bytes):
        return len(reply)
    if isinstance(reply, Delayed):
        return reply_size(reply.then)
    if isinstance(reply, Frames):
        return sum(len(p) for p in reply.payloads)
    if isinstance(reply, HttpStatus):
        return len(reply.body)
    if isinstance(reply, RawBytes):
        return len(reply.data)
    if isinstance(reply, Truncated | ResetAfter):
        return min(reply.after_bytes, len(reply.payload))
    if isinstance(reply, Dribble):
        return len(reply.payload)
    return None


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
        self._journaled = False  # a "connect" entry was written for this connection
        self._close_after: int | None = None
        self._close_event: Any = None
        self.edge: EdgeState | None = None
        """What stream and notification faults keep for later messages (F2's hook)."""
        faults.attach(self)
        if faults.armed:
            self.hook_notifications(True)

    async def handle(self, payload: bytes) -> bytes | Reply | None:
        if not self.faults.armed:
            return self.answer(payload)
        return await self._handle_armed(payload)

    async def close(self) -> None:
        self.faults.detach(self)
        if self._journaled and self.faults.armed:
            self.faults.record("close", self.info)
        await self.inner.close()

    # ------------------------------------------------------------------ notifications

    def hook_notifications(self, on: bool) -> None:
        """Route this connection's notifications through the controller (or not)."""
        subscriptions = self.inner.subscriptions
        if subscriptions is not None:
            subscriptions.notify = self._notify if on else None
        if not on and self.edge is not None:
            flush_held(self)  # a coalesced reply no rule will release now

    def _notify(self, kind: SubscriptionKind, sub_id: str, payload: bytes) -> None:
        self.notifications += 1
        self.faults.notification(self, kind, sub_id, payload)

    def send_reply(self, payload: bytes) -> None:
        """Send a reply now through ``push`` (WebSocket and IPC only), journaled."""
        if self.push is not None:
            self.push(payload)
            self.faults.record("response", self.info, size=len(payload))
            self.sent(1)

    def send_notification(self, payload: bytes) -> None:
        """Send a notification now (what the notification faults call to deliver)."""
        if self.push is not None:
            self.push(payload)
            self.sent(1)

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

    def _decide(self, event: Event) -> tuple[Decision | None, bool]:
        """The user's rules first, then the persona's; ``(decision, by_persona)``."""
        faults = self.faults
        decision = faults.engine.decide(event)
        if decision is not None:
            return decision, False
        persona = faults.persona_engine
        if persona is not None:
            decision = persona.decide(event)
            if decision is not None:
                return decision, True
        return None, False

    def _record_fault(self, decision: Decision, by_persona: bool, event: Event, ident: Any) -> None:
        faults = self.faults
        if by_persona:
            faults.journal.record(
                "fault",
                time=event.time,
                connection=event.connection,
                transport=event.transport,
                method=event.method,
                id=ident,
                fault=decision.kind,
            )
        else:
            faults.record_fault(decision, event, id=ident)

    async def _handle_armed(self, payload: bytes) -> bytes | Reply | None:
        faults = self.faults
        info = self.info
        is_batch, calls, single = _parse(payload)
        if calls and all(is_control(call.method) for call in calls):
            return self.answer(payload)
        self.sequence += 1
        sequence = self.sequence
        time = faults.now()
        block = faults.head()
        transport = info.transport
        if not self._journaled:
            self._journaled = True
            faults.record("connect", info, time=time)
        if is_batch:
            for call in calls:
                if not is_control(call.method):
                    faults.record("request", info, method=call.method, id=call.id, time=time)
            event = Event.batch(
                transport,
                info.id,
                sequence,
                tuple(c.method for c in calls),
                time=time,
                block=block,
            )
            outcome = BatchOutcome()
            request = Request(
                self,
                payload,
                event,
                None,
                self._item_hook(sequence, time, block, outcome),
                tuple(c.id_text for c in calls),
            )
            ident = None
        elif calls:
            call = calls[0]
            faults.record(
                "request", info, method=call.method, id=call.id, size=len(payload), time=time
            )
            event = Event.request(
                transport, info.id, sequence, call.method, call.params, time=time, block=block
            )
            outcome = None
            request = Request(self, payload, event, call.id_text, None, (call.id_text,))
            ident = call.id
        else:
            method = single.get("method") if type(single) is dict else None
            faults.record(
                "request",
                info,
                method=method if type(method) is str else None,
                size=len(payload),
            )
            out: bytes | Reply | None = self.answer(payload)
            if self.edge is not None:
                out = release_held(self, out)
            self._sent(out, None, None)
            return out
        decision, by_persona = self._decide(event)
        if decision is not None:
            kind = decision.kind
            if kind not in DECLINABLE:
                self._record_fault(decision, by_persona, event, ident)
            applied = await REQUEST_APPLIERS[kind](request, decision)
            if isinstance(applied, Declined):
                out = applied.value
            else:
                if kind in DECLINABLE:
                    self._record_fault(decision, by_persona, event, ident)
                out = applied
        else:
            out = request.run()
        if outcome is not None and outcome.refusal is not None:
            out = outcome.refusal
        if self.edge is not None:
            out = release_held(self, out)  # a coalesced reply goes out with this one
        self._sent(out, None if is_batch else calls[0].method, ident)
        return out

    def _sent(self, out: bytes | Reply | None, method: str | None, ident: Any) -> None:
        size = reply_size(out)
        if size is not None:
            self.faults.record("response", self.info, method=method, id=ident, size=size)
            self.sent(len(out.payloads) if isinstance(out, Frames) else 1)

    def _item_hook(self, sequence: int, time: float, block: int, outcome: BatchOutcome) -> ItemHook:
        """The JSON-RPC item hook for one batch: decides per call (index in call order)."""
        index = 0
        info = self.info

        def hook(method: str, params: Any, id_text: str, in_batch: bool) -> Replacement | None:
            nonlocal index
            position = index
            index += 1
            if is_control(method):
                return None
            event = Event.request(
                info.transport,
                info.id,
                sequence,
                method,
                params,
                time=time,
                block=block,
                index=position,
            )
            decision, by_persona = self._decide(event)
            if decision is None:
                return None
            kind = decision.kind
            ident = json.loads(id_text)
            if kind not in DECLINABLE:
                self._record_fault(decision, by_persona, event, ident)
            applier: ItemApplier = ITEM_APPLIERS[kind]
            applied = applier(Item(self, method, params, id_text, event, outcome), decision)
            if isinstance(applied, Declined):
                declined: Replacement | None = applied.value
                return declined
            if kind in DECLINABLE:
                self._record_fault(decision, by_persona, event, ident)
            return applied

        return hook
