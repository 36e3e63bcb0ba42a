"""The transaction pool as geth shows it: txpool_* and eth_pendingTransactions.

geth's txpool namespace answers Go maps, so senders (checksummed) and nonces (decimal
strings) come out in sorted string order; pooled transactions are rendered as pending
ones (no block fields, the fee cap as gas price). *Pending* is each sender's gapless run
of nonces from its account nonce, *queued* what waits behind a gap
(:mod:`mocknode.chain.tx.pool_view`).
"""

from __future__ import annotations

from typing import Any

from mocknode.chain.tx.pool_view import PoolSplit, split_pool
from mocknode.rpc import params, render
from mocknode.rpc.context import Context
from mocknode.rpc.registry import method
from mocknode.types import LATEST, Address


def _split(ctx: Context) -> PoolSplit:
    chain = ctx.chain
    return split_pool(chain.pool, lambda sender: chain.nonce(sender, LATEST))


@method("txpool_status")
def txpool_status(ctx: Context) -> dict[str, str]:
    pending, queued = _split(ctx)
    return {
        "pending": hex(sum(map(len, pending.values()))),
        "queued": hex(sum(map(len, queued.values()))),
    }


@method("txpool_content")
def txpool_content(ctx: Context) -> dict[str, Any]:
    return render.txpool_content_json(*_split(ctx))


@method("txpool_contentFrom", params.address)
def txpool_contentFrom(ctx: Context, address: Address) -> dict[str, Any]:
    pending, queued = _split(ctx)
    return render.txpool_content_from_json(pending.get(address, []), queued.get(address, []))


@method("txpool_inspect")
def txpool_inspect(ctx: Context) -> dict[str, Any]:
    return render.txpool_inspect_json(*_split(ctx))


@method("eth_pendingTransactions")
def eth_pendingTransactions(ctx: Context) -> list[dict[str, Any]]:
    """geth's PendingTransactions: the pool's pending (executable) transactions sent
    from accounts the node holds keys for, dev account order, then nonce (geth walks a
    Go map, in no fixed order)."""
    pending, _ = _split(ctx)
    return [
        render.tx_json(tx, None, None, None)
        for account in ctx.chain.accounts
        for tx in pending.get(account.address, [])
    ]
