"""JSON-RPC methods, one typed function each, grouped by what they touch.

Importing this package registers every method on :data:`mocknode.rpc.registry.registry`.
"""

from mocknode.rpc.methods import (
    blocks,
    dev,
    info,
    logs,
    reorg,
    send,
    state,
    state_io,
    virtual_time,
)

__all__ = ["blocks", "dev", "info", "logs", "reorg", "send", "state", "state_io", "virtual_time"]
