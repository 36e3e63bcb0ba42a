"""What the ``mock_*`` methods need from the fault layer, as a protocol the rpc layer owns.

The fault layer sits above rpc (it wraps rpc's sessions), so rpc cannot import it; the
node hands each :class:`~mocknode.rpc.context.Context` an object with these methods
(``mocknode.faults.controller.FaultControlAdapter``). Values are JSON in and JSON out.
Every refusal (an unknown kind, a bad parameter, a bad journal query) is a ``ValueError``
whose text names the field; the methods answer it with ``-32602`` and that text.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["FaultControl"]


class FaultControl(Protocol):
    def add(self, rule: Any) -> int:
        """Add a rule given in its JSON shape; its id."""
        ...

    def remove(self, rule_id: int) -> bool: ...

    def clear(self) -> None: ...

    def list(self) -> list[dict[str, Any]]:
        """The rules in evaluation order, each with ``id``, ``matched`` and ``fired``."""
        ...

    def set_seed(self, seed: Any) -> None: ...

    def journal(self, query: Any) -> dict[str, Any]:
        """``{"entries": [...], "next": N, "oldest": N, "dropped": N}`` for
        ``{"since": N, "limit": N}`` (or ``None``)."""
        ...
