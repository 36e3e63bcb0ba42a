"""Every JSON-RPC method mocknode answers, one typed function each.

Importing this package registers every method on :data:`mocknode.rpc.registry.registry`.
"""

from mocknode.rpc.methods import (
    blocks,
    dev,
    info,
    logs,
    mock,
    reorg,
    send,
    state,
    state_io,
    virtual_time,
)

__all__ = [
    "blocks",
    "dev",
    "info",
    "logs",
    "mock",
    "reorg",
    "send",
    "state",
    "state_io",
    "virtual_time",
]
