"""Which call is running now, for the chain faults decided when a transaction enters the
pool (:mod:`mocknode.faults.chain_events`): the fault session sets :data:`SUBMITTER` for
every call it runs while armed. A context variable, so each connection's task sees its
own; a module of its own, so the session does not import the chain faults to set it."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Final

from mocknode.io.session import ConnInfo

__all__ = ["SUBMITTER"]

SUBMITTER: Final[ContextVar[tuple[ConnInfo, str | None, str | None] | None]] = ContextVar(
    "mocknode_fault_submitter", default=None
)
"""The connection, method and id (its JSON text) of the call running now in this task;
``None`` outside calls (a transaction sent from Python)."""
