"""The armed request path: each message read, journaled, decided and answered.

:class:`~mocknode.faults.session.FaultSession` hands a message here once the node is armed
(a rule, a persona or recording); this module, with the fault core it imports, is loaded
on the first armed message, never by a node that injects nothing. For each message:

1. it is read once (``json.loads``) to find its calls; a message made only of control
   calls (``mock_*``) is answered at once, never journaled, never counted, so adding a rule
   over JSON-RPC leaves the connection's sequence exactly as adding it from Python does;
2. the connection's sequence number goes up, and each call is journaled (``request``:
   method, id, and for a single call the message size), after a ``connect`` entry if this
   journal run has not seen the connection yet;
3. the engine decides for the single call, or for the whole batch (the user's rules, then
   the persona's); a decision is journaled (``fault``: rule id, draw) and its applier
   answers (:data:`REQUEST_APPLIERS`);
4. otherwise the message runs normally; in a batch every call first meets the item hook,
   where the engine decides per item (:data:`ITEM_APPLIERS`);
5. whatever is sent is journaled (``response``: its size; method and id for a single call).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from mocknode.faults.apply_request import ITEM_APPLIERS, MESSAGE_APPLIERS
from mocknode.faults.apply_stream import STREAM_APPLIERS, release_held
from mocknode.faults.chain_appliers import CHAIN_ITEM_APPLIERS, CHAIN_REQUEST_APPLIERS
from mocknode.faults.chain_submitter import SUBMITTER
from mocknode.faults.events import Event
from mocknode.faults.request import (
    Applier,
    BatchOutcome,
    Conn,
    Declined,
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
from mocknode.rpc.jsonrpc import ItemHook, Replacement

if TYPE_CHECKING:
    from mocknode.faults.engine import Decision

__all__ = ["DECLINABLE", "ITEM_APPLIERS", "REQUEST_APPLIERS", "handle_armed", "reply_size"]

REQUEST_APPLIERS: Final[dict[str, Applier]] = {
    **MESSAGE_APPLIERS,
    **STREAM_APPLIERS,
    **CHAIN_REQUEST_APPLIERS,
}
"""Kind -> applier for every kind decided for a whole message (single call or batch)."""
ITEM_APPLIERS.update(CHAIN_ITEM_APPLIERS)  # the chain kinds act on batch items too

DECLINABLE: Final = frozenset({"provider_limit", *CHAIN_REQUEST_APPLIERS})
"""Kinds whose applier may find the fault does not apply (:class:`Declined`): their fault
entry is written after the applier ran, the others' before (so a batch's whole-message
fault comes before its items' faults, and a delay's entry before its wait)."""

# Bracket count past which a message is not parsed here (see rpc.jsonrpc.MAX_NESTING: the
# C JSON scanner recurses on the C stack). Such a message is still answered by the rpc
# layer (a parse error); it is just not matched against rules.
_MAX_BRACKETS: Final = 512


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


def _decide(conn: Conn, event: Event) -> tuple[Decision | None, bool]:
    """The user's rules first, then the persona's; ``(decision, by_persona)``."""
    faults = conn.faults
    decision = faults.engine.decide(event)
    if decision is not None:
        return decision, False
    persona = faults.persona_engine
    if persona is not None:
        decision = persona.decide(event)
        if decision is not None:
            return decision, True
    return None, False


def _record_fault(
    conn: Conn, decision: Decision, by_persona: bool, event: Event, ident: Any
) -> None:
    faults = conn.faults
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


async def handle_armed(conn: Conn, payload: bytes) -> bytes | Reply | None:
    """Answer one message of an armed node (see the module doc)."""
    faults = conn.faults
    info = conn.info
    is_batch, calls, single = _parse(payload)
    if calls and all(is_control(call.method) for call in calls):
        return conn.answer(payload)
    conn.sequence += 1
    sequence = conn.sequence
    time = faults.now()
    block = faults.head()
    transport = info.transport
    if conn.journaled != faults.journal_epoch:
        conn.journaled = faults.journal_epoch
        faults.record("connect", info, time=time)
    SUBMITTER.set((info, None, None))  # who sends a transaction now (tx events)
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
            conn,
            payload,
            event,
            None,
            _item_hook(conn, sequence, time, block, outcome),
            tuple(c.id_text for c in calls),
        )
        ident = None
    elif calls:
        call = calls[0]
        faults.record("request", info, method=call.method, id=call.id, size=len(payload), time=time)
        event = Event.request(
            transport, info.id, sequence, call.method, call.params, time=time, block=block
        )
        outcome = None
        request = Request(conn, payload, event, call.id_text, None, (call.id_text,))
        SUBMITTER.set((info, call.method, call.id_text))
        ident = call.id
    else:
        method = single.get("method") if type(single) is dict else None
        faults.record(
            "request",
            info,
            method=method if type(method) is str else None,
            size=len(payload),
        )
        out: bytes | Reply | None = conn.answer(payload)
        if conn.edge is not None:
            out = release_held(conn, out)
        _sent(conn, out, None, None)
        return out
    decision, by_persona = _decide(conn, event)
    if decision is not None:
        kind = decision.kind
        if kind not in DECLINABLE:
            _record_fault(conn, decision, by_persona, event, ident)
        applied = await REQUEST_APPLIERS[kind](request, decision)
        if isinstance(applied, Declined):
            out = applied.value
        else:
            if kind in DECLINABLE:
                _record_fault(conn, decision, by_persona, event, ident)
            out = applied
    else:
        out = request.run()
    if outcome is not None and outcome.refusal is not None:
        out = outcome.refusal
    if conn.edge is not None:
        out = release_held(conn, out)  # a coalesced reply goes out with this one
    _sent(conn, out, None if is_batch else calls[0].method, ident)
    return out


def _sent(conn: Conn, out: bytes | Reply | None, method: str | None, ident: Any) -> None:
    size = reply_size(out)
    if size is not None:
        conn.faults.record("response", conn.info, method=method, id=ident, size=size)
        conn.sent(len(out.payloads) if isinstance(out, Frames) else 1)


def _item_hook(
    conn: Conn, sequence: int, time: float, block: int, outcome: BatchOutcome
) -> ItemHook:
    """The JSON-RPC item hook for one batch: decides per call (index in call order)."""
    index = 0
    info = conn.info

    def hook(method: str, params: Any, id_text: str, in_batch: bool) -> Replacement | None:
        nonlocal index
        position = index
        index += 1
        if is_control(method):
            return None
        SUBMITTER.set((info, method, id_text))
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
        decision, by_persona = _decide(conn, event)
        if decision is None:
            return None
        kind = decision.kind
        ident = json.loads(id_text)
        if kind not in DECLINABLE:
            _record_fault(conn, decision, by_persona, event, ident)
        applier: ItemApplier = ITEM_APPLIERS[kind]
        applied = applier(Item(conn, method, params, id_text, event, outcome), decision)
        if isinstance(applied, Declined):
            declined: Replacement | None = applied.value
            return declined
        if kind in DECLINABLE:
            _record_fault(conn, decision, by_persona, event, ident)
        return applied

    return hook
