"""rpc_modules: the namespaces this node serves, each at version "1.0", as geth lists them."""

from __future__ import annotations

from mocknode.rpc.context import Context
from mocknode.rpc.registry import method, registry


@method("rpc_modules")
def rpc_modules(ctx: Context) -> dict[str, str]:
    """geth's RPCService.Modules: a Go map (sorted keys) of every registered namespace,
    ``rpc`` included (methods whose module is not imported yet count too)."""
    names = {name.split("_", 1)[0] for name in registry.names()}
    return dict.fromkeys(sorted(names), "1.0")
