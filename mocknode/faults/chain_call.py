"""One call under a request-point chain fault, and the two applier shapes around it.

The chain kinds decided per request (:mod:`mocknode.faults.chain_reads`,
:mod:`mocknode.faults.chain_pool`) act on one call at a time, whether it came alone or
inside a batch: each is written once as a *core*, ``core(call, decision) -> Outcome``,
and :func:`message_applier` / :func:`item_applier` make the session's two applier shapes
of it (:mod:`mocknode.faults.request`). A core answers with the call's whole faulted
response (new bytes, never the rpc layer's own, which its render caches may share),
:class:`Same` when it ran the call and the answer is the normal one, or :class:`Pass`
when the fault does not apply: neither of those is journaled as a fault
(:class:`~mocknode.faults.request.Declined`), and a call is never run twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from mocknode.faults.request import (
    Applier,
    Conn,
    Declined,
    Host,
    Item,
    ItemApplier,
    ItemResult,
    MessageResult,
    Request,
)
from mocknode.rpc.errors import SERVER_ERROR, RpcError
from mocknode.rpc.jsonrpc import RawResponse, error_response
from mocknode.values import dataclass

if TYPE_CHECKING:
    from mocknode.chain.chain import Chain
    from mocknode.faults.chain_events import ChainFaults
    from mocknode.faults.engine import Decision

__all__ = [
    "PASS",
    "Call",
    "Core",
    "Outcome",
    "Pass",
    "Same",
    "item_applier",
    "message_applier",
    "number",
    "response",
]

_dumps: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(slots=True)
class Call:
    """One call under a chain fault: a single request or one call of a batch."""

    conn: Conn
    faults: Host
    method: str
    params: Any
    id_text: str
    time: float
    run: Callable[[], bytes | None]

    @classmethod
    def of_request(cls, request: Request) -> Call:
        event = request.event
        assert event.method is not None  # chain kinds act on calls only
        return cls(
            request.conn,
            request.faults,
            event.method,
            event.params,
            request.id_text or "null",
            event.time,
            request.run,
        )

    @classmethod
    def of_item(cls, item: Item) -> Call:
        return cls(
            item.conn,
            item.faults,
            item.method,
            item.params,
            item.id_text,
            item.event.time,
            item.run,
        )

    @property
    def state(self) -> ChainFaults:
        return self.faults.chain_faults

    @property
    def chain(self) -> Chain:
        return self.faults.chain_faults.chain

    def run_on(self, view: Chain) -> bytes | None:
        """The call's answer from ``view`` instead of the node's chain."""
        with self.conn.reading(view):
            return self.run()

    def result(self, value: Any) -> bytes:
        """A response with ``value`` as the result, under the call's id."""
        return (
            '{"jsonrpc":"2.0","id":' + self.id_text + ',"result":' + _dumps(value) + "}"
        ).encode()

    def error(self, message: str) -> bytes:
        """geth's ``-32000`` response with ``message``, under the call's id."""
        return error_response(RpcError(SERVER_ERROR, message), self.id_text)

    def first_param(self) -> Any:
        params = self.params
        return params[0] if isinstance(params, list) and params else None


class Pass:
    """The fault does not apply to this call: run it normally (nothing journaled)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Same:
    """The call ran and its answer is the normal one (nothing journaled)."""

    reply: bytes | None


Outcome = bytes | Same | Pass
"""A faulted answer (the call's whole response), or :class:`Same`, or :class:`Pass`."""

PASS: Final = Pass()
Core = Callable[["Call", "Decision"], Outcome]
"""A chain kind's behaviour on one call."""


def message_applier(core: Core) -> Applier:
    """``core`` as an applier for a single request."""

    async def apply(request: Request, decision: Decision) -> MessageResult | Declined:
        outcome = core(Call.of_request(request), decision)
        if isinstance(outcome, Pass):
            return Declined(request.run())
        if isinstance(outcome, Same):
            return Declined(outcome.reply)
        return outcome

    return apply


def item_applier(core: Core) -> ItemApplier:
    """``core`` as an applier for one call of a batch."""

    def apply(item: Item, decision: Decision) -> ItemResult | Declined:
        outcome = core(Call.of_item(item), decision)
        if isinstance(outcome, Pass):
            return Declined(None)
        if isinstance(outcome, Same):
            reply = outcome.reply
            return Declined(None if reply is None else RawResponse(reply.decode()))
        return RawResponse(outcome.decode())

    return apply


def response(reply: bytes | None) -> dict[str, Any] | None:
    """A response's JSON object, if it is one with a ``result``."""
    if reply is None:
        return None
    try:
        obj = json.loads(reply)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) and "result" in obj else None


def number(value: Any) -> int | None:
    if isinstance(value, str) and value[:2] == "0x":
        try:
            return int(value, 16)
        except ValueError:
            return None
    return None
