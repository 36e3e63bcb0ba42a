"""eth_sendRawTransactionSync (EIP-7966): send, and answer with the receipt.

geth 1.16 (``internal/ethapi`` ``SendRawTransactionSync``) submits the transaction, looks
for its receipt once, then waits for the chain events that include it, up to the timeout
the client gives in milliseconds (a hex quantity; 0 or none means geth's default of 20 s,
and more than a minute is cut to one). It answers with the receipt as
``eth_getTransactionReceipt`` would, or with error code 4, ``The transaction was added to
the transaction pool but wasn't processed in <timeout>``, the hash as ``data``.

With automine (the default) the transaction is mined inside the send, so the receipt is
there at once and the answer is immediate. Otherwise (automine off, interval mining, a
nonce gap) the call files a :class:`~mocknode.rpc.deferred.Deferred`: the session waits,
without holding up other connections, for a block that holds the receipt (another
client's ``evm_mine``, the interval miner) and answers then, or with the timeout error
when the time is up. The transaction stays in the pool either way, as in geth.
"""

from __future__ import annotations

from typing import Final

from mocknode.rpc import params, render
from mocknode.rpc.context import Context
from mocknode.rpc.deferred import Deferred
from mocknode.rpc.errors import RpcError
from mocknode.rpc.jsonrpc import RawJson
from mocknode.rpc.registry import method, optional
from mocknode.types import Hash32

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


def timeout_error(tx_hash: Hash32, waited_ms: int) -> RpcError:
    return RpcError(
        TX_SYNC_TIMEOUT,
        "The transaction was added to the transaction pool but wasn't processed in "
        + go_duration(waited_ms),
        "0x" + tx_hash.hex(),
    )


@method("eth_sendRawTransactionSync", params.data, optional(params.uint64, None))
def eth_sendRawTransactionSync(ctx: Context, raw: bytes, requested_ms: int | None) -> RawJson:
    chain = ctx.chain
    tx_hash = chain.send_raw_transaction(raw)
    location = chain.receipt(tx_hash)
    if location is not None:
        return render.receipt_text(location)
    waited = timeout_ms(requested_ms)

    def poll() -> str | None:
        found = chain.receipt(tx_hash)
        return None if found is None else render.receipt_text(found)

    entry = Deferred(poll, lambda: timeout_error(tx_hash, waited), waited / 1000)
    ctx.deferred.append(entry)
    return entry.placeholder
