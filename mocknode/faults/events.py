"""What the fault engine is asked about: one :class:`Event` per point where a fault can act.

The layers that apply faults (stream wrappers, sessions, the batch and notification hooks,
the chain hooks) describe what is happening as an ``Event`` and ask
:meth:`FaultEngine.decide <mocknode.faults.engine.FaultEngine.decide>`. The event carries
only plain values the caller already has, so building one costs a small object and the
engine never reaches back into io, rpc or the chain.

Points, and what identifies an event at each (the *key* its probability draw is derived
from, so that draws never depend on how connections interleave):

========== ======================================================== =========================
point      when                                                     key
========== ======================================================== =========================
accept     a connection was accepted (for ``ws``: the upgrade       connection
           request arrived)
request    a JSON-RPC message arrived: a single call, a whole       scope, connection,
           batch, or one item of a batch                            sequence, index (of the
                                                                    item in its batch)
notification  a subscription notification is about to be sent      connection, sequence (of
                                                                    that connection's
                                                                    notifications)
tx         a transaction entered the pool                           transaction hash
block      a block was mined (the head moved)                       block number
========== ======================================================== =========================

``sequence`` is the connection's own counter (1 for its first message), kept by whoever owns
the connection; ``connection`` ids come from the serving node's counter, starting at 1.
"""

from __future__ import annotations

from typing import Any, Literal

from mocknode.values import dataclass

__all__ = [
    "POINTS",
    "SCOPES",
    "TRANSPORTS",
    "Event",
    "Point",
    "Scope",
    "ScopeMatch",
    "Transport",
    "TransportMatch",
]

Transport = Literal["http", "ws", "ipc"]
TransportMatch = Literal["any", "http", "ws", "ipc"]
Scope = Literal["single", "batch", "item"]
ScopeMatch = Literal["single", "batch", "item", "any"]
Point = Literal["accept", "request", "notification", "tx", "block"]

TRANSPORTS: tuple[Transport, ...] = ("http", "ws", "ipc")
SCOPES: tuple[Scope, ...] = ("single", "batch", "item")
POINTS: tuple[Point, ...] = ("accept", "request", "notification", "tx", "block")


@dataclass(frozen=True, slots=True)
class Event:
    """Something a fault may act on. Build it with the classmethods, one per point.

    ``time`` is the node clock (trio's clock on the serving node, seconds), ``block`` the head
    block number when the event happened; both feed the trigger windows.
    """

    point: Point
    transport: Transport | None = None
    connection: int = 0
    sequence: int = 0
    index: int = 0
    method: str | None = None
    params: Any = None
    scope: Scope | None = None
    batch_methods: tuple[str, ...] = ()
    time: float = 0.0
    block: int = 0
    subscription: str | None = None
    tx_hash: str | None = None
    sender: str | None = None

    @classmethod
    def accept(cls, transport: Transport, connection: int, *, time: float, block: int) -> Event:
        return cls("accept", transport, connection, time=time, block=block)

    @classmethod
    def request(
        cls,
        transport: Transport,
        connection: int,
        sequence: int,
        method: str,
        params: Any = None,
        *,
        time: float,
        block: int,
        index: int | None = None,
    ) -> Event:
        """A single call (``index=None``) or item ``index`` (0-based) of a batch."""
        return cls(
            "request",
            transport,
            connection,
            sequence,
            0 if index is None else index,
            method,
            params,
            "single" if index is None else "item",
            time=time,
            block=block,
        )

    @classmethod
    def batch(
        cls,
        transport: Transport,
        connection: int,
        sequence: int,
        methods: tuple[str, ...],
        *,
        time: float,
        block: int,
    ) -> Event:
        """A whole batch; ``methods`` are its calls' methods, in order (its size is theirs)."""
        return cls(
            "request",
            transport,
            connection,
            sequence,
            scope="batch",
            batch_methods=methods,
            time=time,
            block=block,
        )

    @classmethod
    def notification(
        cls,
        transport: Transport,
        connection: int,
        sequence: int,
        subscription: str,
        *,
        time: float,
        block: int,
    ) -> Event:
        """``subscription`` is the subscription's kind (``newHeads``, ``logs``, ...)."""
        return cls(
            "notification",
            transport,
            connection,
            sequence,
            method="eth_subscription",
            time=time,
            block=block,
            subscription=subscription,
        )

    @classmethod
    def tx(
        cls,
        tx_hash: str,
        sender: str,
        *,
        transport: Transport | None,
        connection: int,
        method: str | None,
        time: float,
        block: int,
    ) -> Event:
        """A transaction entering the pool, with the request that submitted it (if any).

        ``tx_hash`` and ``sender`` are ``0x`` hex, any case."""
        return cls(
            "tx",
            transport,
            connection,
            method=method,
            time=time,
            block=block,
            tx_hash=tx_hash.lower(),
            sender=sender.lower(),
        )

    @classmethod
    def new_block(cls, number: int, *, time: float) -> Event:
        return cls("block", time=time, block=number)

    @property
    def batch_size(self) -> int:
        return len(self.batch_methods)

    def key(self) -> str:
        """What identifies this event among all events at its point (see the module doc)."""
        if self.point == "tx":
            return f"tx|{self.tx_hash}"
        if self.point == "block":
            return f"block|{self.block}"
        return f"{self.point}|{self.scope}|{self.connection}|{self.sequence}|{self.index}"
