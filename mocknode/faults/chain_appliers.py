"""The request-point chain kinds' appliers, as the session looks them up by kind.

The tables hold small wrappers that import the kinds' modules
(:mod:`~mocknode.faults.chain_reads`, :mod:`~mocknode.faults.chain_pool`, and the chain
views under them) the first time a chain rule is applied, so a session, imported by
every armed node, does not pay for chain faults it never uses.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Final

from mocknode.faults.request import (
    Applier,
    Declined,
    Item,
    ItemApplier,
    ItemResult,
    MessageResult,
    Request,
)

if TYPE_CHECKING:
    from mocknode.faults.chain_call import Core
    from mocknode.faults.engine import Decision

__all__ = ["CHAIN_ITEM_APPLIERS", "CHAIN_REQUEST_APPLIERS", "REQUEST_KINDS"]

REQUEST_KINDS: Final = (
    "stale_head",
    "replicas",
    "pruned_state",
    "index_lag",
    "filter_expiry",
    "pool_error",
)
"""The chain kinds decided per request (a test checks them against the catalogue)."""


@cache
def _tables() -> tuple[dict[str, Applier], dict[str, ItemApplier]]:
    from mocknode.faults.chain_call import item_applier, message_applier
    from mocknode.faults.chain_pool import pool_error
    from mocknode.faults.chain_reads import READ_CORES

    cores: dict[str, Core] = {**READ_CORES, "pool_error": pool_error}
    return (
        {kind: message_applier(core) for kind, core in cores.items()},
        {kind: item_applier(core) for kind, core in cores.items()},
    )


def _message(kind: str) -> Applier:
    async def apply(request: Request, decision: Decision) -> MessageResult | Declined:
        return await _tables()[0][kind](request, decision)

    return apply


def _item(kind: str) -> ItemApplier:
    def apply(item: Item, decision: Decision) -> ItemResult | Declined:
        return _tables()[1][kind](item, decision)

    return apply


CHAIN_REQUEST_APPLIERS: Final[dict[str, Applier]] = {k: _message(k) for k in REQUEST_KINDS}
"""Kind -> applier for a single call."""
CHAIN_ITEM_APPLIERS: Final[dict[str, ItemApplier]] = {k: _item(k) for k in REQUEST_KINDS}
"""Kind -> applier for one call of a batch."""
