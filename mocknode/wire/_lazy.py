"""Import a module when it is first used, not when its user is imported.

h11 and wsproto only serve the unusual requests and the WebSocket upgrade (the fast
paths in :mod:`mocknode.wire.http` and :mod:`mocknode.wire.ws` handle the rest), yet
importing them costs ~75 ms and ~1.5 MB: a quarter of the CLI's start-up budget.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for a module; the first attribute access imports it."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attribute)
