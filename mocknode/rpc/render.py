"""Typed values in, geth's JSON out: the one place hex text is written.

Every renderer gives geth 1.16's field names, encodings and key order, because clients
and snapshot tests compare them: blocks and receipts are Go maps in geth, so their keys
come out sorted; transactions, logs and proofs are Go structs and keep declaration
order. Quantities are minimal hex (``0x0``), data is even-length hex.

Mined blocks, receipts and logs never change (a reverted block's hash is never reused),
and clients ask for the same ones again and again (indexers re-read ranges, wallets poll
the head and their receipts), so their JSON text is rendered once and kept in a bounded
cache keyed by block hash, spliced into responses as :class:`RawJson`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from mocknode.chain.fees import blob_base_fee, blob_gas
from mocknode.chain.logs.query import LogEntry
from mocknode.chain.primitives.hashing import checksum_address
from mocknode.chain.records import Authorization, Block, Log, Tx, TxLocation
from mocknode.rpc.jsonrpc import RawJson
from mocknode.rpc.scalars import hex_addresses, hex_data, hex_quantity, hex_word
from mocknode.types import Address

if TYPE_CHECKING:
    # Only named in annotations: a node's first answer (through eth_blockNumber's
    # module, which imports this one) does not wait for proofs, blobs and codecs.
    from mocknode.chain.feehistory import FeeHistory
    from mocknode.chain.state.proofs import AccountProof
    from mocknode.chain.tx.blobs import BlobSidecar

__all__ = [
    "account_json",
    "block_json",
    "block_text",
    "fee_history_text",
    "go_float",
    "header_json",
    "header_text",
    "hex_addresses",
    "hex_data",
    "hex_quantity",
    "hex_word",
    "log_entries_json",
    "log_entry_json",
    "log_entry_text",
    "log_json",
    "pending_block_text",
    "pending_header_json",
    "proof_json",
    "receipt_json",
    "receipt_text",
    "signed_transaction_json",
    "tx_json",
    "tx_object_json",
    "txpool_content_from_json",
    "txpool_content_json",
    "txpool_inspect_json",
]


def block_json(block: Block, full: bool) -> dict[str, Any]:
    """geth's RPCMarshalBlock: transaction hashes, or full transactions when ``full``."""
    h = block.header
    if full:
        base_fee = h.base_fee_per_gas
        transactions: list[Any] = [
            tx_json(tx, block, i, base_fee) for i, tx in enumerate(block.transactions)
        ]
    else:
        transactions = ["0x" + tx.hash.hex() for tx in block.transactions]
    # keys in geth's (alphabetical) order
    return {
        "baseFeePerGas": hex(h.base_fee_per_gas),
        "blobGasUsed": hex(h.blob_gas_used),
        "difficulty": hex(h.difficulty),
        "excessBlobGas": hex(h.excess_blob_gas),
        "extraData": "0x" + h.extra_data.hex(),
        "gasLimit": hex(h.gas_limit),
        "gasUsed": hex(h.gas_used),
        "hash": "0x" + block.hash.hex(),
        "logsBloom": "0x" + h.logs_bloom.hex(),
        "miner": "0x" + h.coinbase.hex(),
        "mixHash": "0x" + h.mix_hash.hex(),
        "nonce": "0x" + h.nonce.hex(),
        "number": hex(h.number),
        "parentBeaconBlockRoot": "0x" + h.parent_beacon_block_root.hex(),
        "parentHash": "0x" + h.parent_hash.hex(),
        "receiptsRoot": "0x" + h.receipts_root.hex(),
        "requestsHash": "0x" + h.requests_hash.hex(),
        "sha3Uncles": "0x" + h.ommers_hash.hex(),
        "size": hex(block.size),
        "stateRoot": "0x" + h.state_root.hex(),
        "timestamp": hex(h.timestamp),
        "transactions": transactions,
        "transactionsRoot": "0x" + h.transactions_root.hex(),
        "uncles": [],
        "withdrawals": [],
        "withdrawalsRoot": "0x" + h.withdrawals_root.hex(),
    }


def header_json(block: Block) -> dict[str, Any]:
    """geth's RPCMarshalHeader (newHeads notifications): a block without its bodies."""
    out = block_json(block, False)
    for key in ("size", "transactions", "uncles", "withdrawals"):
        del out[key]
    return out


def tx_json(tx: Tx, block: Block | None, index: int | None, base_fee: int | None) -> dict[str, Any]:
    """geth's RPCTransaction: struct order; pending when ``block`` is None (no block
    fields, and the fee cap as gas price for dynamic-fee transactions)."""
    mined = block is not None
    if tx.type >= 2:
        gas_price = (
            tx.effective_gas_price(base_fee)
            if mined and base_fee is not None
            else tx.max_fee_per_gas
        )
    else:
        gas_price = tx.gas_price or 0
    out: dict[str, Any] = {
        "blockHash": "0x" + block.hash.hex() if block is not None else None,
        "blockNumber": hex(block.number) if block is not None else None,
        "from": "0x" + tx.sender.hex(),
        "gas": hex(tx.gas),
        "gasPrice": hex(gas_price),
    }
    if tx.type >= 2:
        out["maxFeePerGas"] = hex(tx.max_fee_per_gas)
        out["maxPriorityFeePerGas"] = hex(tx.max_priority_fee_per_gas)
        if tx.type == 3:
            out["maxFeePerBlobGas"] = hex(tx.max_fee_per_blob_gas)
    out["hash"] = "0x" + tx.hash.hex()
    out["input"] = "0x" + tx.data.hex()
    out["nonce"] = hex(tx.nonce)
    out["to"] = "0x" + tx.to.hex() if tx.to is not None else None
    out["transactionIndex"] = hex(index) if index is not None and mined else None
    out["value"] = hex(tx.value)
    out["type"] = hex(tx.type)
    if tx.type >= 1:
        out["accessList"] = [
            {"address": "0x" + a.hex(), "storageKeys": ["0x" + k.hex() for k in keys]}
            for a, keys in tx.access_list
        ]
    if tx.chain_id is not None:
        out["chainId"] = hex(tx.chain_id)
    if tx.type == 3:
        out["blobVersionedHashes"] = ["0x" + h.hex() for h in tx.blob_versioned_hashes]
    if tx.type == 4:
        out["authorizationList"] = [
            {
                "chainId": hex(a.chain_id),
                "address": "0x" + a.address.hex(),
                "nonce": hex(a.nonce),
                "yParity": hex(a.y_parity),
                "r": hex(a.r),
                "s": hex(a.s),
            }
            for a in tx.authorization_list
        ]
    out["v"] = hex(tx.v)
    out["r"] = hex(tx.r)
    out["s"] = hex(tx.s)
    if tx.type >= 1:
        out["yParity"] = hex(tx.v)
    return out


def log_json(
    log: Log, block: Block, tx_index: int, log_index: int, removed: bool = False
) -> dict[str, Any]:
    """geth's types.Log (struct order)."""
    return {
        "address": "0x" + log.address.hex(),
        "topics": ["0x" + t.hex() for t in log.topics],
        "data": "0x" + log.data.hex(),
        "blockNumber": hex(block.number),
        "transactionHash": "0x" + block.transactions[tx_index].hash.hex(),
        "transactionIndex": hex(tx_index),
        "blockHash": "0x" + block.hash.hex(),
        "blockTimestamp": hex(block.header.timestamp),
        "logIndex": hex(log_index),
        "removed": removed,
    }


def log_entry_json(entry: LogEntry) -> dict[str, Any]:
    return log_json(entry.log, entry.block, entry.tx_index, entry.log_index, entry.removed)


def receipt_json(location: TxLocation) -> dict[str, Any]:
    """geth's MarshalReceipt (a map: sorted keys)."""
    block, index = location.block, location.index
    tx, receipt = location.tx, location.receipt
    out = {
        "blockHash": "0x" + block.hash.hex(),
        "blockNumber": hex(block.number),
        "contractAddress": (
            "0x" + receipt.contract_address.hex() if receipt.contract_address is not None else None
        ),
        "cumulativeGasUsed": hex(receipt.cumulative_gas_used),
        "effectiveGasPrice": hex(receipt.effective_gas_price),
        "from": "0x" + tx.sender.hex(),
        "gasUsed": hex(receipt.gas_used),
        "logs": [
            log_json(log, block, index, receipt.first_log_index + i)
            for i, log in enumerate(receipt.logs)
        ],
        "logsBloom": "0x" + receipt.bloom.hex(),
        "status": "0x1" if receipt.success else "0x0",
        "to": "0x" + tx.to.hex() if tx.to is not None else None,
        "transactionHash": "0x" + tx.hash.hex(),
        "transactionIndex": hex(index),
        "type": hex(tx.type),
    }
    if tx.type == 3:
        return _with_blob_fields(out, tx, block)
    return out


def _with_blob_fields(out: dict[str, Any], tx: Tx, block: Block) -> dict[str, Any]:
    """A blob transaction's receipt: its blob gas and the block's blob base fee, in
    sorted place (geth's receipt is a map)."""
    out["blobGasUsed"] = hex(blob_gas(len(tx.blob_versioned_hashes)))
    out["blobGasPrice"] = hex(blob_base_fee(block.header.excess_blob_gas))
    return dict(sorted(out.items()))


def proof_json(proof: AccountProof, key_widths: Sequence[int]) -> dict[str, Any]:
    """geth's AccountResult (struct order). Each storage key comes back as the client
    sent it: a 32-byte key as 32 bytes, any other as a quantity (``key_widths`` holds the
    byte length of each key as given, in ``proof.storage_proof`` order)."""
    return {
        "address": "0x" + proof.address.hex(),
        "accountProof": ["0x" + node.hex() for node in proof.account_proof],
        "balance": hex(proof.balance),
        "codeHash": "0x" + proof.code_hash.hex(),
        "nonce": hex(proof.nonce),
        "storageHash": "0x" + proof.storage_hash.hex(),
        "storageProof": [
            {
                "key": "0x" + p.key.to_bytes(32, "big").hex() if width == 32 else hex(p.key),
                "value": hex(p.value),
                "proof": ["0x" + node.hex() for node in p.proof],
            }
            for p, width in zip(proof.storage_proof, key_widths, strict=True)
        ],
    }


# -- rendered text, cached -------------------------------------------------------------

_RENDERED: dict[tuple[Any, ...], str] = {}
_RENDERED_LIMIT: Final = 200_000  # entries; the cache is cleared when full


def _rendered(key: tuple[Any, ...], render: Callable[[], Any]) -> str:
    text = _RENDERED.get(key)
    if text is None:
        if len(_RENDERED) >= _RENDERED_LIMIT:
            _RENDERED.clear()
        text = _RENDERED[key] = json.dumps(render(), separators=(",", ":"))
    return text


def block_text(block: Block, full: bool) -> RawJson:
    """:func:`block_json` as compact JSON text, rendered once per block."""
    return RawJson(_rendered(("block", block.hash, full), lambda: block_json(block, full)))


def receipt_text(location: TxLocation) -> RawJson:
    """:func:`receipt_json` as compact JSON text, rendered once per receipt."""
    key = ("receipt", location.block.hash, location.index)
    return RawJson(_rendered(key, lambda: receipt_json(location)))


def header_text(block: Block) -> RawJson:
    """:func:`header_json` as compact JSON text (one per block, for every newHeads
    subscription)."""
    return RawJson(_rendered(("header", block.hash), lambda: header_json(block)))


def _log_text(entry: LogEntry) -> str:
    key = ("log", entry.block.hash, entry.log_index, entry.removed)
    return _rendered(key, lambda: log_entry_json(entry))


def log_entry_text(entry: LogEntry) -> RawJson:
    """:func:`log_entry_json` as compact JSON text, rendered once per log."""
    return RawJson(_log_text(entry))


def log_entries_json(entries: list[LogEntry]) -> RawJson:
    """A JSON array of logs, each rendered once and reused."""
    return RawJson("[" + ",".join(_log_text(e) for e in entries) + "]")


# -- the pending block -----------------------------------------------------------------

# geth's GetBlockByNumber / GetHeaderByNumber null these for the pending block; its miner
# builds it with no beacon root, so parentBeaconBlockRoot is absent (RPCMarshalHeader
# writes only the fields a header has).
_PENDING_NULLS: Final = ("hash", "nonce", "miner")


def _as_pending(out: dict[str, Any]) -> dict[str, Any]:
    for key in _PENDING_NULLS:
        out[key] = None
    del out["parentBeaconBlockRoot"]
    return out


def pending_block_text(block: Block, full: bool) -> RawJson:
    """:func:`block_json` of the pending block as geth shows it: ``hash``, ``nonce`` and
    ``miner`` null, no ``parentBeaconBlockRoot``; full transactions keep the block's
    hash and number, as geth's do. Rendered once per pending block."""
    key = ("pending", block.hash, full)
    return RawJson(_rendered(key, lambda: _as_pending(block_json(block, full))))


def pending_header_json(block: Block) -> dict[str, Any]:
    """:func:`header_json` of the pending block (eth_getHeaderByNumber("pending"))."""
    return _as_pending(header_json(block))


# -- fee history -----------------------------------------------------------------------


def go_float(value: float) -> str:
    """A float64 as Go's encoding/json writes it: the shortest digits, in fixed notation
    from 1e-6 up to 1e21 (``0``, ``0.0007``, ``1``), else in exponent form with no
    leading zero in a negative exponent (``1e-7``, ``1e+21``)."""
    if value == 0:
        return "-0" if str(value)[0] == "-" else "0"
    magnitude = abs(value)
    if magnitude < 1e-6 or magnitude >= 1e21:
        text = repr(value)
        mantissa, exponent = text.split("e")
        if exponent[0] == "-" and len(exponent) == 3 and exponent[1] == "0":
            exponent = "-" + exponent[2]
        return mantissa + "e" + exponent
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _quantities(values: Sequence[int]) -> str:
    return "[" + ",".join('"' + hex(v) + '"' for v in values) + "]"


def _floats(values: Sequence[float] | None) -> str:
    if values is None:
        return "null"
    return "[" + ",".join(go_float(v) for v in values) + "]"


def fee_history_text(history: FeeHistory) -> RawJson:
    """geth's feeHistoryResult (struct order; ``reward``, ``baseFeePerGas``,
    ``baseFeePerBlobGas`` and ``blobGasUsedRatio`` left out when empty, ``gasUsedRatio``
    null when there are no blocks). Written as text so the ratios come out as Go writes
    floats, not as Python's repr does (``0`` rather than ``0.0``)."""
    parts = ['"oldestBlock":"' + hex(history.oldest_block) + '"']
    if history.reward:
        parts.append('"reward":[' + ",".join(_quantities(row) for row in history.reward) + "]")
    if history.base_fee:
        parts.append('"baseFeePerGas":' + _quantities(history.base_fee))
    parts.append('"gasUsedRatio":' + _floats(history.gas_used_ratio))
    if history.blob_base_fee:
        parts.append('"baseFeePerBlobGas":' + _quantities(history.blob_base_fee))
    if history.blob_gas_used_ratio:
        parts.append('"blobGasUsedRatio":' + _floats(history.blob_gas_used_ratio))
    return RawJson("{" + ",".join(parts) + "}")


# -- signed transactions -----------------------------------------------------------------


def _authorization_json(auth: Authorization) -> dict[str, str]:
    return {
        "chainId": hex(auth.chain_id),
        "address": "0x" + auth.address.hex(),
        "nonce": hex(auth.nonce),
        "yParity": hex(auth.y_parity),
        "r": hex(auth.r),
        "s": hex(auth.s),
    }


def tx_object_json(tx: Tx) -> dict[str, Any]:
    """geth's types.Transaction as JSON (txJSON, struct order): the fields of its type,
    fee fields it lacks null, ``hash`` last. Not RPCTransaction: no block fields, no
    ``from``."""
    dynamic = tx.type >= 2
    out: dict[str, Any] = {"type": hex(tx.type)}
    if tx.chain_id is not None:
        out["chainId"] = hex(tx.chain_id)
    out["nonce"] = hex(tx.nonce)
    out["to"] = "0x" + tx.to.hex() if tx.to is not None else None
    out["gas"] = hex(tx.gas)
    out["gasPrice"] = None if dynamic else hex(tx.gas_price or 0)
    out["maxPriorityFeePerGas"] = hex(tx.max_priority_fee_per_gas) if dynamic else None
    out["maxFeePerGas"] = hex(tx.max_fee_per_gas) if dynamic else None
    if tx.type == 3:
        out["maxFeePerBlobGas"] = hex(tx.max_fee_per_blob_gas)
    out["value"] = hex(tx.value)
    out["input"] = "0x" + tx.data.hex()
    if tx.type >= 1:
        out["accessList"] = [
            {"address": "0x" + a.hex(), "storageKeys": ["0x" + k.hex() for k in keys]}
            for a, keys in tx.access_list
        ]
    if tx.type == 3:
        out["blobVersionedHashes"] = ["0x" + h.hex() for h in tx.blob_versioned_hashes]
    if tx.authorization_list:
        out["authorizationList"] = [_authorization_json(a) for a in tx.authorization_list]
    out["v"] = hex(tx.v)
    out["r"] = hex(tx.r)
    out["s"] = hex(tx.s)
    if tx.type >= 1:
        out["yParity"] = hex(tx.v)
    out["hash"] = "0x" + tx.hash.hex()
    return out


def signed_transaction_json(signed: tuple[Tx, BlobSidecar | None]) -> dict[str, Any]:
    """geth's SignTransactionResult: ``{"raw": ..., "tx": ...}``; a blob transaction
    with its sidecar is sent in its network form, and its JSON lists the sidecar after
    the signature (txJSON's ``blobs``, ``commitments``, ``proofs``)."""
    tx, sidecar = signed
    if sidecar is None:
        return {"raw": "0x" + tx.raw.hex(), "tx": tx_object_json(tx)}
    out = tx_object_json(tx)
    tx_hash = out.pop("hash")
    out["blobs"] = ["0x" + b.hex() for b in sidecar.blobs]
    out["commitments"] = ["0x" + c.hex() for c in sidecar.commitments]
    out["proofs"] = ["0x" + p.hex() for p in sidecar.proofs]
    out["hash"] = tx_hash
    from mocknode.chain.tx.codec import encode_network

    return {"raw": "0x" + encode_network(tx, sidecar).hex(), "tx": out}


# -- accounts ------------------------------------------------------------------------------


def account_json(code_hash: bytes, storage_root: bytes, balance: int, nonce: int) -> dict[str, str]:
    """eth_getAccount's account (the trie leaf): ``nonce``, ``balance``, ``storageRoot``,
    ``codeHash``, in anvil's order (the method is anvil's; alloy's ``Account``)."""
    return {
        "nonce": hex(nonce),
        "balance": hex(balance),
        "storageRoot": "0x" + storage_root.hex(),
        "codeHash": "0x" + code_hash.hex(),
    }


# -- the transaction pool -----------------------------------------------------------------

PoolGroup = Mapping[Address, Sequence[Tx]]
"""Pooled transactions by sender (raw address), each sender's in nonce order."""


def _by_sender(group: PoolGroup, item: Callable[[Tx], Any]) -> dict[str, dict[str, Any]]:
    """A Go map of Go maps, as encoding/json writes them: senders (checksummed) and
    nonces (decimal) each in sorted string order."""
    out: dict[str, dict[str, Any]] = {}
    for sender in sorted(group, key=checksum_address):
        txs = {str(tx.nonce): tx for tx in group[sender]}
        out[checksum_address(sender)] = {nonce: item(txs[nonce]) for nonce in sorted(txs)}
    return out


def _pending_tx(tx: Tx) -> dict[str, Any]:
    return tx_json(tx, None, None, None)


def txpool_content_json(pending: PoolGroup, queued: PoolGroup) -> dict[str, Any]:
    """txpool_content: ``{"pending": {sender: {nonce: tx}}, "queued": {...}}``."""
    return {"pending": _by_sender(pending, _pending_tx), "queued": _by_sender(queued, _pending_tx)}


def txpool_content_from_json(pending: Sequence[Tx], queued: Sequence[Tx]) -> dict[str, Any]:
    """txpool_contentFrom: ``{"pending": {nonce: tx}, "queued": {nonce: tx}}``."""

    def by_nonce(txs: Sequence[Tx]) -> dict[str, Any]:
        keyed = {str(tx.nonce): tx for tx in txs}
        return {nonce: _pending_tx(keyed[nonce]) for nonce in sorted(keyed)}

    return {"pending": by_nonce(pending), "queued": by_nonce(queued)}


def _inspect(tx: Tx) -> str:
    """geth's txpool_inspect line: ``to: value wei + gas gas TIMES price wei``, TIMES
    being U+00D7 as geth writes it (the price is the fee cap for dynamic-fee
    transactions, as tx.GasPrice() is)."""
    target = checksum_address(tx.to) if tx.to is not None else "contract creation"
    return f"{target}: {tx.value} wei + {tx.gas} gas {_TIMES} {tx.max_fee_per_gas} wei"


_TIMES: Final = "\u00d7"  # the multiplication sign geth's format string holds


def txpool_inspect_json(pending: PoolGroup, queued: PoolGroup) -> dict[str, Any]:
    return {"pending": _by_sender(pending, _inspect), "queued": _by_sender(queued, _inspect)}
