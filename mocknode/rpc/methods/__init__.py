"""Every JSON-RPC method mocknode answers, one typed function each.

Importing this package registers every method on :data:`mocknode.rpc.registry.registry`.
"""

from mocknode.rpc.methods import (
    account_info,
    blocks,
    debug,
    dev,
    dev_env,
    dev_node,
    dev_tokens,
    fees,
    info,
    logs,
    lookups,
    mock,
    modules,
    reorg,
    send,
    send_sync,
    signing,
    simulate,
    state,
    state_io,
    txpool,
    virtual_time,
)

__all__ = [
    "account_info",
    "blocks",
    "debug",
    "dev",
    "dev_env",
    "dev_node",
    "dev_tokens",
    "fees",
    "info",
    "logs",
    "lookups",
    "mock",
    "modules",
    "reorg",
    "send",
    "send_sync",
    "signing",
    "simulate",
    "state",
    "state_io",
    "txpool",
    "virtual_time",
]
