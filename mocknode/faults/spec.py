"""What a fault kind is: :class:`KindSpec`, the record every catalogue entry fills in.

Layers (who applies a decision; the wiring of each lives outside this package's pure core):

* ``accept``: the connection hooks (``on_accept``, the WebSocket upgrade, the IPC listener);
* ``stream``: the bytes of one reply or of the connection (dribble, truncation, garbage...);
* ``message``: the session, which answers with something other than the normal reply;
* ``batch_item``: the batch hook, per item of a batch;
* ``notification``: the hook between the chain's events and a connection's subscriptions;
* ``chain``: the chain's own operations (reorg, drop, delay, stale reads), never by corrupting
  state or caches other clients share.

A kind's ``points`` say where the engine decides it (see :mod:`mocknode.faults.events`);
``methods``, when set, are the only methods it is consulted for; ``applies`` filters events
on the kind's own parameters (a notification's subscription kind, a transaction's hash);
``check`` refuses inconsistent parameter combinations; ``resolve`` draws a decision's random
values (a delay from a distribution, a replica).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from random import Random
from typing import Any, Final, Literal

from mocknode.faults.events import TRANSPORTS, Event, Point, Scope, Transport
from mocknode.faults.params import MAX_SECONDS, Param
from mocknode.values import dataclass

__all__ = [
    "ALL",
    "CALL",
    "NONE_SCOPE",
    "STREAMS",
    "WHOLE",
    "KindSpec",
    "Layer",
    "Params",
    "Resolve",
    "Table",
    "sample_seconds",
]

Layer = Literal["accept", "stream", "message", "batch_item", "notification", "chain"]
Table = Literal["transport", "json-rpc", "chain"]
Params = Mapping[str, Any]
Resolve = Callable[[Params, Random, Event, int], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class KindSpec:
    """One fault kind. ``transports == ()`` means not tied to a connection (chain events);
    ``scopes`` are the request scopes it can act at (``()`` for other points)."""

    name: str
    table: Table
    layer: Layer
    points: tuple[Point, ...]
    transports: tuple[Transport, ...]
    scopes: tuple[Scope, ...]
    params: tuple[Param, ...]
    summary: str
    incident: str
    methods: tuple[str, ...] | None = None
    check: Callable[[Params, str], None] | None = None
    point_of: Callable[[Params], Point] | None = None
    applies: Callable[[Params, Event], bool] | None = None
    resolve: Resolve | None = None

    def point(self, params: Params) -> Point:
        """Where a rule with these (valid) parameters is decided."""
        return self.point_of(params) if self.point_of is not None else self.points[0]

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(name)


def sample_seconds(value: Any, rng: Random) -> float:
    """A ``Distribution`` parameter's seconds for one decision (fixed, uniform, lognormal),
    capped at a day like fixed values."""
    if isinstance(value, float):
        return value
    if "uniform" in value:
        low, high = value["uniform"]
        return rng.uniform(low, high)
    mu, sigma = value["lognormal"]
    return min(rng.lognormvariate(mu, sigma), MAX_SECONDS)


ALL: Final[tuple[Transport, ...]] = TRANSPORTS
STREAMS: Final[tuple[Transport, ...]] = ("ws", "ipc")
WHOLE: Final[tuple[Scope, ...]] = ("single", "batch")
CALL: Final[tuple[Scope, ...]] = ("single", "item")
NONE_SCOPE: Final[tuple[Scope, ...]] = ()
