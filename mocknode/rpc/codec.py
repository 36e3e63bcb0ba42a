"""The only place hex exists: JSON values in, typed values out, and back.

Decoders raise :class:`ParamError` with geth's wording (``hex string without 0x
prefix`` ...); the dispatcher prefixes ``invalid argument N:``. Encoders render
records in geth's field names, encodings and key order (blocks and receipts are Go
maps in geth, so their keys come out sorted; transactions and logs are structs and
keep declaration order).
"""

from __future__ import annotations

import json
from typing import Any

from mocknode.chain.args import TxArgs
from mocknode.chain.logs.query import LogEntry, LogFilter
from mocknode.chain.records import Block, Log, Tx, TxLocation
from mocknode.chain.state.proofs import AccountProof
from mocknode.rpc.jsonrpc import RawJson
from mocknode.types import Address, BlockRef, Hash32

_TAGS = ("latest", "earliest", "pending", "safe", "finalized")


class ParamError(Exception):
    """A parameter that does not decode; the message is geth's decode error text."""


# -- decoding ---------------------------------------------------------------------


class _DecodeError(ParamError):
    """A hexutil decode error; geth reports it wrapped in a json type error naming the
    Go type (and struct field) it was decoding into."""


def _go_type_error(problem: str, go_type: str, field: str | None) -> ParamError:
    where = f"Go struct field TransactionArgs.{field}" if field else "Go value"
    return ParamError(f"json: cannot unmarshal {problem} into {where} of type {go_type}")


def _hex_body(value: str) -> str:
    if not (value.startswith("0x") or value.startswith("0X")):
        raise _DecodeError("hex string without 0x prefix")
    return value[2:]


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if value is None:
        return "null"
    return "string"


def _unmarshal_error(value: Any, go_type: str) -> str:
    return f"json: cannot unmarshal {_json_type(value)} into Go value of type {go_type}"


def _parse_quantity(text: str, bits: int) -> int:
    body = _hex_body(text)
    if not body:
        raise _DecodeError('hex string "0x"')
    if len(body) > 1 and body[0] == "0":
        raise _DecodeError("hex number with leading zero digits")
    if len(body) * 4 > bits and int(body, 16).bit_length() > bits:
        raise _DecodeError("hex number > 256 bits" if bits == 256 else "hex number > 64 bits")
    try:
        return int(body, 16)
    except ValueError:
        raise _DecodeError("invalid hex string") from None


def _parse_data(text: str) -> bytes:
    body = _hex_body(text)
    if len(body) % 2:
        raise _DecodeError("hex string of odd length")
    try:
        return bytes.fromhex(body)
    except ValueError:
        raise _DecodeError("invalid hex string") from None


def _typed(value: Any, go_type: str, field: str | None, parse: Any) -> Any:
    """geth's hexutil decoding of one JSON value into ``go_type``, errors included."""
    if not isinstance(value, str):
        raise _go_type_error("non-string", go_type, field)
    try:
        return parse(value)
    except _DecodeError as exc:
        raise _go_type_error(str(exc), go_type, field) from None


def quantity(value: Any, field: str | None = None) -> int:
    """A QUANTITY decoded as geth's ``*hexutil.Big`` (up to 256 bits)."""
    return int(_typed(value, "*hexutil.Big", field, lambda t: _parse_quantity(t, 256)))


def uint64(value: Any, field: str | None = None) -> int:
    """A QUANTITY decoded as geth's ``hexutil.Uint64``."""
    return int(_typed(value, "*hexutil.Uint64", field, lambda t: _parse_quantity(t, 64)))


def uint(value: Any) -> int:
    """A QUANTITY decoded as geth's ``hexutil.Uint`` (indexes)."""
    return int(_typed(value, "hexutil.Uint", None, lambda t: _parse_quantity(t, 64)))


def data(value: Any, field: str | None = None) -> bytes:
    """DATA decoded as geth's ``hexutil.Bytes``."""
    raw: bytes = _typed(value, "hexutil.Bytes", field, _parse_data)
    return raw


def _fixed(value: Any, size: int, go_type: str, field: str | None) -> bytes:
    raw: bytes = _typed(value, go_type, field, _parse_data)
    if len(raw) != size:
        # not a hexutil decError: geth reports it bare
        raise ParamError(f"hex string has length {len(raw) * 2}, want {size * 2} for {go_type}")
    return raw


# Clients send the same few addresses over and over; decoding one costs more than a lookup.
_ADDRESSES: dict[str, Address] = {}


def address(value: Any, field: str | None = None) -> Address:
    if type(value) is str:
        known = _ADDRESSES.get(value)
        if known is not None:
            return known
    decoded = Address(_fixed(value, 20, "common.Address", field))
    if len(_ADDRESSES) >= 4096:
        _ADDRESSES.clear()
    _ADDRESSES[value] = decoded
    return decoded


def hash32(value: Any) -> Hash32:
    return Hash32(_fixed(value, 32, "common.Hash", None))


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ParamError(f"json: cannot unmarshal {_json_type(value)} into Go value of type bool")
    return value


_TAG_REFS = {tag: BlockRef(tag=tag) for tag in _TAGS}  # type: ignore[arg-type]


def block_number(value: Any) -> BlockRef:
    """A block number or tag (rpc.BlockNumber): errors come back unwrapped."""
    if isinstance(value, str):
        tagged = _TAG_REFS.get(value)
        if tagged is not None:
            return tagged
    text = value if isinstance(value, str) else json_text(value)
    number = _parse_quantity(text, 64)
    if number > 2**63 - 1:
        raise ParamError("block number larger than int64")
    return BlockRef(number=number)


def json_text(value: Any) -> str:
    """How a non-string JSON value reads when geth parses its raw text as hex."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def block_ref(value: Any) -> BlockRef:
    """A block number, tag, 32-byte hash, or EIP-1898 object."""
    if isinstance(value, dict):
        number = value.get("blockNumber")
        block_hash = value.get("blockHash")
        if number is not None and block_hash is not None:
            raise ParamError(
                "cannot specify both BlockHash and BlockNumber, choose one or the other"
            )
        if block_hash is not None:
            canonical = value.get("requireCanonical", False)
            return BlockRef(block_hash=hash32(block_hash), require_canonical=bool(canonical))
        if number is not None:
            return block_number(number)
        raise ParamError("invalid arguments; neither block nor hash specified")
    if isinstance(value, str) and len(value) == 66:
        return BlockRef(block_hash=hash32(value))
    return block_number(value)


def storage_key(value: Any) -> int:
    """geth's lenient storage key: optional 0x, odd length padded, at most 32 bytes."""
    if not isinstance(value, str):
        raise ParamError(f"json: cannot unmarshal {_json_type(value)} into Go value of type string")
    body = value[2:] if value[:2] in ("0x", "0X") else value
    if len(body) > 64:
        raise ParamError(f'storage key too long (want at most 32 bytes): "{value}"')
    try:
        return int(body, 16) if body else 0
    except ValueError:
        raise ParamError(f'invalid hex in storage key: "{value}"') from None


def _access_list(value: Any) -> tuple[tuple[Address, tuple[Hash32, ...]], ...]:
    if not isinstance(value, list):
        raise ParamError("json: cannot unmarshal into Go value of type types.AccessList")
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise ParamError("json: cannot unmarshal into Go value of type types.AccessTuple")
        keys = tuple(hash32(k) for k in item.get("storageKeys") or ())
        out.append((address(item.get("address")), keys))
    return tuple(out)


def tx_args(value: Any) -> TxArgs:
    """A TransactionArgs object (eth_sendTransaction, eth_call, eth_estimateGas)."""
    if not isinstance(value, dict):
        raise ParamError(_unmarshal_error(value, "ethapi.TransactionArgs"))
    input_data = value.get("input")
    legacy_data = value.get("data")
    payload = None
    if input_data is not None:
        payload = data(input_data, "input")
        if legacy_data is not None and data(legacy_data, "data") != payload:
            raise ParamError(
                'both "data" and "input" are set and not equal. '
                'Please use "input" to pass transaction call data'
            )
    elif legacy_data is not None:
        payload = data(legacy_data, "data")

    def opt(name: str, decode: Any) -> Any:
        item = value.get(name)
        return None if item is None else decode(item, name)

    return TxArgs(
        sender=opt("from", address),
        to=opt("to", address),
        gas=opt("gas", uint64),
        gas_price=opt("gasPrice", quantity),
        max_fee_per_gas=opt("maxFeePerGas", quantity),
        max_priority_fee_per_gas=opt("maxPriorityFeePerGas", quantity),
        value=opt("value", quantity),
        data=payload,
        nonce=opt("nonce", uint64),
        chain_id=opt("chainId", quantity),
        access_list=opt("accessList", lambda v, _field: _access_list(v)),
        type=opt("type", uint64),
    )


# -- encoding ---------------------------------------------------------------------


def hex_quantity(value: int) -> str:
    return hex(value)


def hex_data(value: bytes) -> str:
    return "0x" + value.hex()


def hex_word(value: int) -> str:
    """A 32-byte big-endian word (eth_getStorageAt)."""
    return "0x" + value.to_bytes(32, "big").hex()


def hex_addresses(values: list[Address]) -> list[str]:
    return ["0x" + a.hex() for a in values]


def block_json(block: Block, full: bool) -> dict[str, Any]:
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


def tx_json(tx: Tx, block: Block | None, index: int | None, base_fee: int | None) -> dict[str, Any]:
    """geth's RPCTransaction: struct order; pending when ``block`` is None."""
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


def receipt_json(location: TxLocation) -> dict[str, Any]:
    block, index = location.block, location.index
    tx, receipt = location.tx, location.receipt
    return {
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


def _topic_position(value: Any) -> tuple[Hash32, ...] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return tuple(hash32(v) for v in value if v is not None) or None
    return (hash32(value),)


def log_filter(value: Any) -> LogFilter:
    """A FilterCriteria object (eth_getLogs, eth_newFilter, logs subscriptions)."""
    if value is None:
        return LogFilter()
    if not isinstance(value, dict):
        raise ParamError(_unmarshal_error(value, "filters.FilterCriteria"))
    block_hash = value.get("blockHash")
    from_block = value.get("fromBlock")
    to_block = value.get("toBlock")
    if block_hash is not None and (from_block is not None or to_block is not None):
        raise ParamError(
            "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other"
        )
    raw_address = value.get("address")
    if raw_address is None:
        addresses: tuple[Address, ...] = ()
    elif isinstance(raw_address, list):
        addresses = tuple(address(a) for a in raw_address)
    else:
        addresses = (address(raw_address),)
    raw_topics = value.get("topics") or []
    if not isinstance(raw_topics, list):
        raise ParamError("invalid topic(s)")
    if len(raw_topics) > 4:
        raise ParamError("exceed max topics")
    return LogFilter(
        from_block=block_number(from_block) if from_block is not None else None,
        to_block=block_number(to_block) if to_block is not None else None,
        block_hash=hash32(block_hash) if block_hash is not None else None,
        addresses=addresses,
        topics=tuple(_topic_position(t) for t in raw_topics),
    )


def log_entry_json(entry: LogEntry) -> dict[str, Any]:
    return log_json(entry.log, entry.block, entry.tx_index, entry.log_index, entry.removed)


# Rendered JSON of mined data, keyed by block hash: a mined block, receipt or log never
# changes (a reverted block's hash is never reused), and clients ask for the same ones
# again and again (indexers re-read ranges, wallets poll the head and their receipts).
# Bounded; cleared when full.
_RENDERED: dict[tuple[Any, ...], str] = {}
_RENDERED_LIMIT = 200_000


def _rendered(key: tuple[Any, ...], render: Any) -> str:
    text = _RENDERED.get(key)
    if text is None:
        if len(_RENDERED) >= _RENDERED_LIMIT:
            _RENDERED.clear()
        text = _RENDERED[key] = json.dumps(render(), separators=(",", ":"))
    return text


def _log_text(entry: LogEntry) -> str:
    key = ("log", entry.block.hash, entry.log_index, entry.removed)
    return _rendered(key, lambda: log_entry_json(entry))


def block_text(block: Block, full: bool) -> RawJson:
    return RawJson(_rendered(("block", block.hash, full), lambda: block_json(block, full)))


def receipt_text(location: TxLocation) -> RawJson:
    key = ("receipt", location.block.hash, location.index)
    return RawJson(_rendered(key, lambda: receipt_json(location)))


def log_entries_json(entries: list[LogEntry]) -> RawJson:
    """A JSON array of logs, each rendered once per block and reused."""
    return RawJson("[" + ",".join(_log_text(e) for e in entries) + "]")


def header_json(block: Block) -> dict[str, Any]:
    """geth's RPCMarshalHeader (newHeads notifications): a block without its bodies."""
    out = block_json(block, False)
    for key in ("size", "transactions", "uncles", "withdrawals"):
        del out[key]
    return out


def storage_keys(value: Any) -> list[int]:
    if not isinstance(value, list):
        raise ParamError(_unmarshal_error(value, "[]string"))
    return [storage_key(v) for v in value]


def proof_json(proof: AccountProof) -> dict[str, Any]:
    """geth's AccountResult (struct order)."""
    return {
        "address": "0x" + proof.address.hex(),
        "accountProof": ["0x" + node.hex() for node in proof.account_proof],
        "balance": hex(proof.balance),
        "codeHash": "0x" + proof.code_hash.hex(),
        "nonce": hex(proof.nonce),
        "storageHash": "0x" + proof.storage_hash.hex(),
        "storageProof": [
            {
                "key": "0x" + p.key.to_bytes(32, "big").hex(),
                "value": hex(p.value),
                "proof": ["0x" + node.hex() for node in p.proof],
            }
            for p in proof.storage_proof
        ],
    }
