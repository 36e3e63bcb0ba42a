"""eth_sendRawTransactionSync (EIP-7966): send, and answer with the receipt.

geth 1.16 submits the transaction, then waits for the block that includes it, up to the
timeout the client gives in milliseconds (a hex quantity; 0 or none means geth's default
of 20 s, and more than a minute is cut to one). It answers with the receipt as
``eth_getTransactionReceipt`` would, or with error code 4, ``The transaction was added to
the transaction pool but wasn't processed in <timeout>``, the hash as ``data``.

With automine (the default) the transaction is mined inside the send, so the receipt is
there at once. A method here is synchronous (the JSON-RPC layer is sans-io, and a
request is answered before the next is read), so it cannot wait for a block another
request or the interval miner will produce: when the transaction is not mined by the
send (automine off, or a nonce gap), the timeout error is answered at once rather than
after the timeout, and the transaction stays in the pool as in geth.
"""

from __future__ import annotations

from typing import Final

from mocknode.rpc import params, render
from mocknode.rpc.context import Context
from mocknode.rpc.errors import RpcError
from mocknode.rpc.jsonrpc import RawJson
from mocknode.rpc.registry import method, optional

DEFAULT_TIMEOUT_MS: Final = 20_000  # ethconfig TxSyncDefaultTimeout
MAX_TIMEOUT_MS: Final = 60_000  # ethconfig TxSyncMaxTimeout
TX_SYNC_TIMEOUT: Final = 4  # geth's errCodeTxSyncTimeout


def go_duration(milliseconds: int) -> str:
    """Go's time.Duration.String for whole milliseconds up to a minute: ``500ms``,
    ``1.5s``, ``20s``, ``1m0s``."""
    if milliseconds < 1000:
        return f"{milliseconds}ms"
    minutes, rest = divmod(milliseconds, 60_000)
    seconds = f"{rest // 1000}" + (f".{rest % 1000:03d}".rstrip("0") if rest % 1000 else "")
    return f"{minutes}m{seconds}s" if minutes else f"{seconds}s"


def timeout_ms(requested: int | None) -> int:
    if not requested:
        return DEFAULT_TIMEOUT_MS
    return min(requested, MAX_TIMEOUT_MS)


@method("eth_sendRawTransactionSync", params.data, optional(params.uint64, None))
def eth_sendRawTransactionSync(ctx: Context, raw: bytes, requested_ms: int | None) -> RawJson:
    tx_hash = ctx.chain.send_raw_transaction(raw)
    location = ctx.chain.receipt(tx_hash)
    if location is not None:
        return render.receipt_text(location)
    waited = go_duration(timeout_ms(requested_ms))
    raise RpcError(
        TX_SYNC_TIMEOUT,
        f"The transaction was added to the transaction pool but wasn't processed in {waited}",
        "0x" + tx_hash.hex(),
    )
