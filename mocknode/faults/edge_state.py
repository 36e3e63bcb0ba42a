"""What the stream and notification faults remember about one connection.

Most faults act on one message and forget it. A few change what happens to *later*
messages of the same connection, and keep that here, on the connection's
:class:`~mocknode.faults.session.FaultSession` (its ``edge`` attribute, made on first use,
so a connection that never meets such a fault carries nothing):

* ``held``: a reply that ``ipc_framing`` (``form: coalesce``) holds back, to be written in
  the same write as the next message on the connection (a reply or a notification);
* ``zombies``: subscriptions that ``zombie_subscription`` silenced: their notifications are
  never sent again, while the connection keeps answering;
* ``reorder``: notifications ``reorder_notifications`` is collecting, to send them in
  reverse order once it has ``reorder_left`` more (only those of ``reorder_kind``, the
  rule's subscription kind, or of every kind when that is ``None``).
"""

from __future__ import annotations

from typing import Protocol

from mocknode.values import dataclass, field

__all__ = ["EdgeState", "HasEdge", "edge_of"]


@dataclass(slots=True)
class EdgeState:
    held: bytes | None = None
    zombies: set[str] = field(default_factory=set)
    reorder: list[bytes] = field(default_factory=list)
    reorder_left: int = 0
    reorder_kind: str | None = None


class HasEdge(Protocol):
    """A connection's fault session, as far as this module needs it."""

    edge: EdgeState | None


def edge_of(conn: HasEdge) -> EdgeState:
    """The connection's state, made on first use."""
    state = conn.edge
    if state is None:
        state = conn.edge = EdgeState()
    return state
