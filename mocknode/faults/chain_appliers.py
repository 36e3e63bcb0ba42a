"""Every request-point chain kind's appliers, as the session looks them up by kind.

Kept apart so the session imports one small table, and the kinds' modules
(:mod:`~mocknode.faults.chain_reads`, :mod:`~mocknode.faults.chain_pool`) need not know
each other.
"""

from __future__ import annotations

from typing import Final

from mocknode.faults.chain_call import Core, item_applier, message_applier
from mocknode.faults.chain_pool import pool_error
from mocknode.faults.chain_reads import READ_CORES
from mocknode.faults.request import Applier, ItemApplier

__all__ = ["CHAIN_ITEM_APPLIERS", "CHAIN_REQUEST_APPLIERS"]

_CORES: Final[dict[str, Core]] = {**READ_CORES, "pool_error": pool_error}

CHAIN_REQUEST_APPLIERS: Final[dict[str, Applier]] = {
    kind: message_applier(core) for kind, core in _CORES.items()
}
"""Kind -> applier for a single call."""
CHAIN_ITEM_APPLIERS: Final[dict[str, ItemApplier]] = {
    kind: item_applier(core) for kind, core in _CORES.items()
}
"""Kind -> applier for one call of a batch."""
