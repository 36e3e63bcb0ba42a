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
    reorg,
    send,
    send_sync,
    signing,
    state,
    state_io,
    txpool,
    virtual_time,
)

__all__ = [
    "blocks",
    "dev",
    "fees",
    "info",
    "logs",
    "lookups",
    "modules",
    "reorg",
    "send",
    "send_sync",
    "signing",
    "state",
    "state_io",
    "txpool",
    "virtual_time",
]
