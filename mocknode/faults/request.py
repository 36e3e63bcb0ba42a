"""What an applier of a request-point fault is given, and what it returns.

A *message applier* answers a whole message (a single call or a whole batch) for which the
engine decided a fault: it gets a :class:`Request` and the
:class:`~mocknode.faults.engine.Decision` and returns what the session returns to ``io``:
reply bytes, ``None`` or a :mod:`~mocknode.io.reply` value. ``Request.run()`` runs the
message through the real JSON-RPC session (once) when the fault needs the real answer.

An *item applier* answers one call inside a batch, through the JSON-RPC layer's item
hook: it gets an :class:`Item` and returns the hook's replacement (an ``RpcError``, a
``RawResponse`` or ``DROP``), or ``None`` to let the call run.

Appliers build new bytes and never touch the ones the rpc layer returned in place: those
may be cached and shared with other clients.

:class:`Host` and :class:`Conn` are what appliers and the session need from the controller
and from the connection's session, as protocols: the modules below the controller never
import it (``controller`` -> ``session`` -> ``apply_request`` -> ``request``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from mocknode.io.reply import Reply
from mocknode.io.session import ConnInfo, Push
from mocknode.rpc.jsonrpc import ItemHook, Replacement
from mocknode.values import dataclass

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from mocknode.chain.chain import Chain
    from mocknode.faults.chain_events import ChainFaults
    from mocknode.faults.edge_state import EdgeState
    from mocknode.faults.engine import Decision, FaultEngine
    from mocknode.faults.events import Event, Transport
    from mocknode.faults.journal import EntryKind, Journal, JournalEntry
    from mocknode.rpc.subscriptions import SubscriptionKind

__all__ = [
    "Applier",
    "BatchOutcome",
    "Conn",
    "Declined",
    "Host",
    "Item",
    "ItemApplier",
    "ItemResult",
    "MessageResult",
    "Request",
]

MessageResult = bytes | Reply | None
"""What a message applier answers with (what ``Session.handle`` returns to io)."""
ItemResult = Replacement | None
"""What an item applier answers with (what the JSON-RPC item hook returns)."""


@dataclass(frozen=True, slots=True)
class Declined:
    """An applier's answer when the rule matched but the fault does not apply after all
    (an ``eth_getLogs`` within the provider's caps): ``value`` is the normal answer, and no
    fault is journaled."""

    value: Any


class Host(Protocol):
    """The controller (:class:`~mocknode.faults.controller.Faults`), as sessions use it."""

    armed: bool
    journal_epoch: int
    restart_ipc: Callable[[float], None] | None

    @property
    def engine(self) -> FaultEngine: ...

    @property
    def persona_engine(self) -> FaultEngine | None: ...

    @property
    def persona(self) -> str | None: ...

    @property
    def journal(self) -> Journal: ...

    @property
    def chain_faults(self) -> ChainFaults:
        """The node's chain-fault state and hooks (:mod:`mocknode.faults.chain_events`)."""
        ...

    def now(self) -> float: ...

    def head(self) -> int: ...

    def record(
        self,
        kind: EntryKind,
        info: ConnInfo | None,
        *,
        method: str | None = None,
        id: Any = None,
        size: int | None = None,
        transport: Transport | None = None,
        time: float | None = None,
    ) -> JournalEntry: ...

    def record_fault(self, decision: Decision, event: Event, *, id: Any = None) -> None: ...

    def notification(
        self, conn: Conn, kind: SubscriptionKind, sub_id: str, payload: bytes
    ) -> None: ...

    def attach(self, session: Conn) -> None: ...

    def detach(self, session: Conn) -> None: ...


class Conn(Protocol):
    """One connection's fault session (:class:`~mocknode.faults.session.FaultSession`)."""

    faults: Host
    info: ConnInfo
    push: Push | None
    sequence: int
    journaled: int
    notifications: int
    edge: EdgeState | None

    def sent(self, messages: int) -> None: ...

    def answer(self, payload: bytes, item_hook: ItemHook | None = None) -> bytes | None: ...

    def answer_call(self, method: str, params: Any, id_text: str) -> bytes | None: ...

    def send_notification(self, payload: bytes) -> None: ...

    def send_reply(self, payload: bytes, method: str | None = None, id: Any = None) -> None: ...

    def reading(self, chain: Chain) -> AbstractContextManager[None]:
        """Run the calls inside the block on ``chain`` (a view), not the node's chain."""
        ...

    def hook_notifications(self, on: bool) -> None: ...

    def close_after(self, messages: int, event: Any) -> None: ...


@dataclass(slots=True)
class Request:
    """One message under a fault: its bytes, its event, and the connection."""

    conn: Conn
    payload: bytes
    event: Event
    id_text: str | None = None
    """The single call's raw id text (``'7'``, ``'"a"'``); ``None`` for a batch."""
    item_hook: ItemHook | None = None
    """What :meth:`run` passes to the JSON-RPC layer (the batch items' faults)."""
    call_ids: tuple[str, ...] = ()
    """The ids (JSON text) of the message's calls, in order."""

    @property
    def faults(self) -> Host:
        return self.conn.faults

    @property
    def info(self) -> ConnInfo:
        return self.conn.info

    @property
    def push(self) -> Push | None:
        return self.conn.push

    def run(self) -> bytes | None:
        """The real answer (the call or batch runs now, once)."""
        return self.conn.answer(self.payload, self.item_hook)

    def send_now(self, reply: bytes) -> None:
        """Send a reply at once, ahead of what the applier returns (WebSocket and IPC: a
        reply followed by a close)."""
        ident = None if self.id_text is None else json.loads(self.id_text)
        self.conn.send_reply(reply, self.event.method, ident)

    def replace(self, replacement: Replacement) -> bytes | None:
        """The single call answered with ``replacement`` instead (the call does not run;
        the JSON-RPC layer echoes the id exactly as the client wrote it)."""

        def hook(method: str, params: Any, id_text: str, in_batch: bool) -> Replacement:
            return replacement

        return self.conn.answer(self.payload, hook)


@dataclass(slots=True)
class Item:
    """One call of a batch, as the JSON-RPC item hook sees it."""

    conn: Conn
    method: str
    params: Any
    id_text: str
    event: Event
    batch: BatchOutcome

    @property
    def faults(self) -> Host:
        return self.conn.faults

    def run(self) -> bytes | None:
        """This call's real answer, run alone (then its item is replaced)."""
        return self.conn.answer_call(self.method, self.params, self.id_text)


@dataclass(slots=True)
class BatchOutcome:
    """What the items of one batch decided for the batch as a whole: ``refusal`` replaces
    the whole answer (an item rate-limited with ``reply: http_429`` turns the HTTP
    response into a 429, as a provider refuses the whole request)."""

    refusal: Reply | None = None


Applier = Callable[["Request", "Decision"], Awaitable[MessageResult | Declined]]
ItemApplier = Callable[["Item", "Decision"], ItemResult | Declined]
