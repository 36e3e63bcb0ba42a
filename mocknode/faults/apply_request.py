"""Appliers of the request-point kinds: what a client receives for each decision.

(Filled in kind by kind; see :mod:`mocknode.faults.request` for the two applier shapes.)
"""

from __future__ import annotations

from typing import Final

from mocknode.faults.engine import Decision
from mocknode.faults.request import Applier, ItemApplier, Request
from mocknode.io.reply import CloseConnection, Delayed, Reply, Stall

__all__ = ["ITEM_APPLIERS", "MESSAGE_APPLIERS"]


async def _close(request: Request, decision: Decision) -> bytes | Reply | None:
    return CloseConnection()


async def _hang(request: Request, decision: Decision) -> bytes | Reply | None:
    return Stall(decision.params["seconds"])


async def _delay(request: Request, decision: Decision) -> bytes | Reply | None:
    reply = request.run()
    return None if reply is None else Delayed(decision.params["seconds"], reply)


MESSAGE_APPLIERS: Final[dict[str, Applier]] = {
    "close": _close,
    "hang": _hang,
    "delay": _delay,
}
ITEM_APPLIERS: Final[dict[str, ItemApplier]] = {}
