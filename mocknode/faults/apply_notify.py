"""Appliers of the notification kinds: drop, duplicate, delay, reorder, zombie.

Every subscription notification of a WebSocket or IPC connection reaches :func:`notify`
while the node's faults are armed (the rpc layer's ``Subscriptions.notify`` hook, routed
by the connection's :class:`~mocknode.faults.session.FaultSession`). The engine decides at
the ``notification`` point; the event's key is the connection and its own notification
count, so the same seed and the same traffic drop, duplicate or delay the same
notifications whatever other connections do. A rule's ``subscription`` parameter
(``newHeads``, ``logs``, ``newPendingTransactions``) narrows it to one kind; ``first``,
``every`` and ``probability`` pick which of them.

=========================  =====================================================================
kind                       what the subscriber sees
=========================  =====================================================================
``drop_notification``      nothing: this notification is never sent
``duplicate_notification`` the notification ``copies`` times in a row
``delay_notification``     the notification ``seconds`` later (trio's clock), in its own task:
                           later notifications and replies overtake it
``reorder_notifications``  this notification and the next ``count - 1`` of the same kind
                           filter, held and then sent at once in reverse order; those held
                           are not decided again (if the connection never sees that many,
                           they stay held, as lost)
``zombie_subscription``    this notification and every later one of that subscription are
                           never sent; the connection stays open and keeps answering
=========================  =====================================================================

The journal gets a ``fault`` entry per decision and a ``notification`` entry per message
actually written, at the time it is written (so a delayed one shows its delay).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import trio

from mocknode.faults.edge_state import EdgeState, edge_of
from mocknode.faults.events import Event

if TYPE_CHECKING:
    from mocknode.faults.request import Conn, Host

__all__ = ["notify"]

log = logging.getLogger("mocknode.faults")


def notify(faults: Host, conn: Conn, kind: str, sub_id: str, payload: bytes) -> None:
    """Send ``payload`` (subscription ``sub_id`` of ``kind``) on ``conn``, or not, or
    later, or twice, as the rules decide (see the module doc)."""
    state = conn.edge
    if state is not None:
        if sub_id in state.zombies:
            return
        if state.reorder_left and (state.reorder_kind is None or state.reorder_kind == kind):
            _collect(faults, conn, state, payload)
            return
    engine = faults.engine
    if not engine.wants("notification"):
        send(faults, conn, payload)
        return
    event = Event.notification(
        conn.info.transport,
        conn.info.id,
        conn.notifications,
        kind,
        time=faults.now(),
        block=faults.head(),
    )
    decision = engine.decide(event)
    if decision is None:
        send(faults, conn, payload)
        return
    faults.record_fault(decision, event, id=sub_id)
    fault = decision.kind
    params = decision.params
    if fault == "drop_notification":
        return
    if fault == "duplicate_notification":
        for _ in range(params["copies"]):
            send(faults, conn, payload)
    elif fault == "delay_notification":
        _later(params["seconds"], lambda: send(faults, conn, payload))
    elif fault == "reorder_notifications":
        state = edge_of(conn)
        state.reorder_left = params["count"]
        state.reorder_kind = params["subscription"]
        _collect(faults, conn, state, payload)
    elif fault == "zombie_subscription":
        edge_of(conn).zombies.add(sub_id)
    else:  # pragma: no cover - the catalogue decides only these kinds here
        raise ValueError(f"{fault} is not a notification fault")


def send(faults: Host, conn: Conn, payload: bytes) -> None:
    """Write one notification now, journaled (a coalesced reply held on the connection
    goes out in the same write, ahead of it)."""
    faults.record("notification", conn.info, method="eth_subscription", size=len(payload))
    state = conn.edge
    if state is not None and state.held is not None:
        payload, state.held = state.held + b"\n" + payload, None
    conn.send_notification(payload)


def _collect(faults: Host, conn: Conn, state: EdgeState, payload: bytes) -> None:
    state.reorder.append(payload)
    state.reorder_left -= 1
    if state.reorder_left == 0:
        held, state.reorder = state.reorder, []
        for message in reversed(held):
            send(faults, conn, message)


def _later(seconds: float, action: Callable[[], None]) -> None:
    """Run ``action`` after ``seconds`` of trio's clock, in a task of its own.

    A system task: the notification hook is a plain call from the chain (no nursery at
    hand), and the task must not outlive the trio run that serves the node, which system
    tasks do not (they are cancelled when the run's main task ends). A connection closed
    meanwhile makes the send a no-op.
    """

    async def wait_then_act() -> None:
        await trio.sleep(seconds)
        try:
            action()
        except Exception:
            log.exception("a delayed notification failed")

    trio.lowlevel.spawn_system_task(wait_then_act, name="mocknode delayed notification")
