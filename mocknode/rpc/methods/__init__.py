"""JSON-RPC methods, one typed function each, grouped by what they touch.

Importing this package registers every method on :data:`mocknode.rpc.registry.registry`.
"""

from mocknode.rpc.methods import (
    blocks,
    dev,
    dev_env,
    dev_node,
    dev_tokens,
    info,
    logs,
    reorg,
    send,
    state,
)

__all__ = [
    "blocks",
    "dev",
    "dev_env",
    "dev_node",
    "dev_tokens",
    "info",
    "logs",
    "reorg",
    "send",
    "state",
]
