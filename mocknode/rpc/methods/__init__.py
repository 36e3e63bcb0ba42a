"""JSON-RPC methods, one typed function each, grouped by what they touch.

Importing this package registers every method on :data:`mocknode.rpc.registry.registry`.
"""

from mocknode.rpc.methods import (
    blocks,
    dev,
    fees,
    info,
    logs,
    lookups,
    modules,
    send,
    send_sync,
    signing,
    state,
    txpool,
)

__all__ = [
    "blocks",
    "dev",
    "fees",
    "info",
    "logs",
    "lookups",
    "modules",
    "send",
    "send_sync",
    "signing",
    "state",
    "txpool",
]
