"""Appliers of the accept-point kinds: what a new connection meets before anything is read.

:meth:`Faults.on_accept <mocknode.faults.controller.Faults.on_accept>` goes to both
listeners. ``io`` asks it once per accepted connection (transport ``http`` for the TCP
port, ``ipc`` for the unix socket) and, on the TCP port, again when a connection asks to
upgrade to WebSocket (transport ``ws``), before the ``101`` is written: a WebSocket
endpoint is accepted at its handshake, which is where ``ws_reject`` answers with an HTTP
status. So a WebSocket client's connection meets the accept-point rules twice, as ``http``
then as ``ws``: a rule for ``any`` transport is consulted (and counts) at both; a rule
for ``http`` refuses WebSocket clients too, since they connect over HTTP first, as a node
whose port is down refuses both.

==========================  ==================================================================
kind                        reply
==========================  ==================================================================
``refuse``                  reset before anything is read (RST on TCP; EOF on a unix socket,
                            which has no reset); with ``seconds``, every connection in the
                            window is refused as well without the rules being consulted
                            (the engine's down-window, journaled each time)
``reset`` (``at: connect``)  reset before anything is read
``ws_reject``               the upgrade is answered with ``status`` (and ``Connection:
                            close``) instead of ``101``: the client's handshake fails with
                            that status
==========================  ==================================================================

Why a reset models "refused": the listening socket stays open (closing and re-binding it
would race other connections and the port could be taken meanwhile), so the closest a
client can observe is a connection that dies before any byte is exchanged, which every
client treats as the node being unreachable (``requests``' ``ConnectionError``, web3's
retry paths).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

from mocknode.faults.engine import Decision
from mocknode.faults.events import Event
from mocknode.io.reply import HttpStatus, Reply, ResetConnection
from mocknode.io.session import ConnInfo

if TYPE_CHECKING:
    from mocknode.faults.request import Host

__all__ = ["accept_reply", "reply_for"]


def reply_for(decision: Decision) -> Reply:
    """The reply that applies an accept-point decision (see the module doc)."""
    kind = decision.kind
    if kind == "ws_reject":
        status: int = decision.params["status"]
        try:
            text = f"{status} {HTTPStatus(status).phrase}\n"
        except ValueError:
            text = f"{status}\n"
        return HttpStatus(status, text.encode(), keep_alive=False)
    if kind in ("refuse", "reset"):
        return ResetConnection()
    raise ValueError(f"{kind} is not decided when a connection is accepted")


def accept_reply(faults: Host, info: ConnInfo) -> Reply | None:
    """Decide the accept-point rules for ``info``'s connection (or its upgrade, for
    ``ws``); journal and return the reply of the rule that fired, or ``None``."""
    engine = faults.engine
    if not engine.wants("accept"):
        return None
    event = Event.accept(info.transport, info.id, time=faults.now(), block=faults.head())
    decision = engine.decide(event)
    if decision is None:
        return None
    faults.record_fault(decision, event)
    return reply_for(decision)
