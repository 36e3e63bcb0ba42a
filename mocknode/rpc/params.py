"""JSON-RPC parameters in, typed values out: with :mod:`mocknode.rpc.hexutil` (geth's
hex text rules), the one place hex text is read; :mod:`mocknode.rpc.render` writes it.

Each decoder takes one argument as ``json`` decoded it and returns a typed value (``int``,
``bytes``, :class:`~mocknode.types.BlockRef`, :class:`TxArgs`, :class:`LogFilter`), or
raises :class:`ParamError` with the text geth 1.16 writes after ``invalid argument N:``
(the registry adds that prefix). Clients classify errors by these strings, so they are
Go's, word for word:

* hexutil's decode errors (``hex string without 0x prefix``, ``hex number with leading
  zero digits`` ...), which geth wraps in ``json: cannot unmarshal <problem> into Go value
  of type <T>`` (``Go struct field S.f`` inside an object) for the hexutil and fixed-size
  types, and reports bare for block numbers;
* ``encoding/json``'s type errors for the other kinds (``json: cannot unmarshal number
  into Go value of type string``), which name the JSON kind rather than ``non-string``;
* the messages of geth's own ``UnmarshalJSON`` methods (block references, filter criteria).

geth decodes ``null`` for a required argument too (Go hands it to the argument's
``UnmarshalJSON``), so it reaches these decoders: it decodes to Go's zero value where Go
does (booleans, strings, the transaction and filter objects) and is refused where hexutil
refuses it (``non-string``). Absent arguments never get here (the registry answers
``missing value for required argument N``).

A few of geth's checks run only once every argument has decoded (the storage keys of
``eth_getProof``, an EIP-1898 object naming neither block nor hash, ``data`` differing
from ``input``): those decoders raise :class:`~mocknode.rpc.errors.RpcError` with geth's
code and bare message, and the registry holds it back until the remaining arguments have
decoded, so a malformed later argument still wins as it does in geth.

Not modelled: Go matches object keys case-insensitively (``"From"`` is ``from``); here
keys are matched exactly, as every client writes them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from mocknode.chain.args import TxArgs, UnsignedAuthorization
from mocknode.chain.logs.query import LogFilter
from mocknode.chain.records import Authorization
from mocknode.rpc import hexutil
from mocknode.rpc.errors import SERVER_ERROR, RpcError
from mocknode.rpc.hexutil import DecError, HexError
from mocknode.types import Address, BlockRef, Hash32
from mocknode.values import dataclass

__all__ = [
    "ParamError",
    "StorageKey",
    "address",
    "block_number",
    "block_ref",
    "boolean",
    "call_args",
    "data",
    "hash32",
    "hex_or_decimal64",
    "json_kind",
    "log_filter",
    "quantity",
    "receipts_query",
    "reward_percentiles",
    "rpc_id",
    "storage_key",
    "storage_keys",
    "storage_slot",
    "storage_text",
    "tx_args",
    "uint",
    "uint64",
]


class ParamError(Exception):
    """An argument that does not decode; the message is geth's decode error text."""


_TAGS: Final = ("latest", "earliest", "pending", "safe", "finalized")
_TAG_REFS: Final = {tag: BlockRef(tag=tag) for tag in _TAGS}  # type: ignore[arg-type]
_MAX_INT64: Final = 2**63 - 1

# Reported once all arguments decoded (eth/api_backend.go StateAndHeaderByNumberOrHash).
NEITHER_BLOCK_NOR_HASH: Final = "invalid arguments; neither block nor hash specified"


def json_kind(value: Any) -> str:
    """The name ``encoding/json`` gives a JSON value in its type errors.

    The one copy for every geth-compatible "cannot unmarshal X" message (params and
    typed data alike), so the names cannot drift apart between the two decoders."""
    if value is True or value is False:
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


def _unmarshal_error(what: str, go_type: str, where: str | None = None) -> ParamError:
    """Go's ``json.UnmarshalTypeError`` text; ``where`` is ``Struct.field`` inside objects."""
    target = f"Go struct field {where}" if where else "Go value"
    return ParamError(f"json: cannot unmarshal {what} into {target} of type {go_type}")


def _hexutil_json(value: Any, go_type: str, where: str | None, parse: Callable[[str], Any]) -> Any:
    """A hexutil type's UnmarshalJSON: strings only, decode errors wrapped in a JSON type
    error naming ``go_type`` (and the struct field, inside objects)."""
    if type(value) is not str:
        raise _unmarshal_error("non-string", go_type, where)
    try:
        return parse(value)
    except DecError as exc:
        raise _unmarshal_error(str(exc), go_type, where) from None
    except HexError as exc:  # a fixed size value's length: geth does not wrap it
        raise ParamError(str(exc)) from None


def _bare(parse: Callable[[str], Any], text: str) -> Any:
    """hexutil's errors where geth returns them unwrapped (block numbers, hashes parsed
    as text, filter addresses and topics)."""
    try:
        return parse(text)
    except HexError as exc:
        raise ParamError(str(exc)) from None


# -- scalars ---------------------------------------------------------------------------


def _parse_big(text: str) -> int:
    return hexutil.unmarshal_number(text, 64, hexutil.BIG256_RANGE)


def _parse_uint64(text: str) -> int:
    return hexutil.unmarshal_number(text, 16, hexutil.UINT64_RANGE)


def quantity(value: Any, where: str | None = None) -> int:
    """A QUANTITY as geth's ``*hexutil.Big`` (up to 256 bits; ``""`` is 0)."""
    number: int = _hexutil_json(value, "*hexutil.Big", where, _parse_big)
    return number


def uint64(value: Any, where: str | None = None) -> int:
    """A QUANTITY as geth's ``hexutil.Uint64`` (gas, nonces; ``""`` is 0)."""
    number: int = _hexutil_json(value, "hexutil.Uint64", where, _parse_uint64)
    return number


def uint(value: Any) -> int:
    """A QUANTITY as geth's ``hexutil.Uint`` (transaction indexes)."""
    number: int = _hexutil_json(value, "hexutil.Uint", None, _parse_uint64)
    return number


def _raw_text(value: Any) -> str:
    """The JSON text of a decoded value, as Go's UnmarshalJSON would have seen it (for a
    string, its contents: geth strips the quotes without unescaping)."""
    if type(value) is str:
        return value
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, separators=(",", ":"))


def _go_quote(text: str) -> str:
    """Go's %q for the printable text clients send."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hex_or_decimal64(value: Any) -> int:
    """geth's ``math.HexOrDecimal64`` (eth_feeHistory's block count): a JSON number, or a
    string holding ``0x`` hex or decimal digits; ``""`` is 0."""
    text = _raw_text(value)
    number: int | None = None
    if text == "":
        number = 0
    elif hexutil.has_prefix(text):
        body = text[2:]
        if body and hexutil.is_hex(body):
            number = int(body, 16)
    elif text.isascii() and text.isdigit():
        number = int(text)
    if number is None or number >= 2**64:
        raise ParamError(f"invalid hex or decimal integer {_go_quote(text)}")
    return number


def reward_percentiles(value: Any) -> list[float]:
    """A Go ``[]float64`` (eth_feeHistory's reward percentiles); ``null`` is none, a
    ``null`` element is 0."""
    if value is None:
        return []
    if type(value) is not list:
        raise _unmarshal_error(json_kind(value), "[]float64")
    out = []
    for item in value:
        if item is None:
            out.append(0.0)
            continue
        if item is True or item is False or not isinstance(item, (int, float)):
            raise _unmarshal_error(json_kind(item), "float64")
        try:
            number = float(item)
        except OverflowError:
            number = float("inf")
        if number in (float("inf"), float("-inf")):
            raise _unmarshal_error(f"number {_raw_text(item)}", "float64")
        out.append(number)
    return out


def data(value: Any, where: str | None = None) -> bytes:
    """DATA as geth's ``hexutil.Bytes`` (``""`` is empty)."""
    raw: bytes = _hexutil_json(value, "hexutil.Bytes", where, hexutil.unmarshal_bytes)
    return raw


def _parse_address(text: str) -> bytes:
    return hexutil.unmarshal_fixed(text, 20, "common.Address")


def _parse_hash(text: str) -> bytes:
    return hexutil.unmarshal_fixed(text, 32, "common.Hash")


# Clients send the same few addresses over and over; decoding one costs more than a lookup.
_ADDRESSES: dict[str, Address] = {}


def address(value: Any, where: str | None = None) -> Address:
    """A ``common.Address``: exactly 20 bytes of 0x-prefixed hex."""
    if type(value) is str:
        known = _ADDRESSES.get(value)
        if known is not None:
            return known
    decoded = Address(_hexutil_json(value, "common.Address", where, _parse_address))
    if len(_ADDRESSES) >= 4096:
        _ADDRESSES.clear()
    _ADDRESSES[value] = decoded
    return decoded


def hash32(value: Any, where: str | None = None) -> Hash32:
    """A ``common.Hash``: exactly 32 bytes of 0x-prefixed hex."""
    return Hash32(_hexutil_json(value, "common.Hash", where, _parse_hash))


def boolean(value: Any) -> bool:
    """A Go ``bool``: ``null`` leaves it false, as encoding/json does."""
    if value is True or value is False:
        return value
    if value is None:
        return False
    raise _unmarshal_error(json_kind(value), "bool")


def _go_string(value: Any, go_type: str) -> str:
    """A Go string kind (``string``, ``rpc.ID``): ``null`` leaves it empty."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    raise _unmarshal_error(json_kind(value), go_type)


def rpc_id(value: Any) -> str:
    """A filter or subscription id (``rpc.ID``, a Go string)."""
    return _go_string(value, "rpc.ID")


# -- blocks ----------------------------------------------------------------------------


def block_number(value: Any) -> BlockRef:
    """geth's ``rpc.BlockNumber``: a tag or a hex number. Its UnmarshalJSON reads the raw
    JSON text, so any non-string (``5``, ``true``, ``null``) lacks the 0x prefix, and its
    errors come back unwrapped."""
    if type(value) is not str:
        raise ParamError(hexutil.MISSING_PREFIX)
    tagged = _TAG_REFS.get(value)
    if tagged is not None:
        return tagged
    number: int = _bare(hexutil.decode_uint64, value)
    if number > _MAX_INT64:
        raise ParamError("block number larger than int64")
    return BlockRef(number=number)


def block_ref(value: Any) -> BlockRef:
    """geth's ``rpc.BlockNumberOrHash``: a tag, a hex number, a 32-byte hash, or an
    EIP-1898 object (``blockNumber`` or ``blockHash`` with ``requireCanonical``)."""
    if type(value) is str:
        tagged = _TAG_REFS.get(value)
        if tagged is not None:
            return tagged
        if len(value) == 66:
            # common.Hash.UnmarshalText: its errors are not wrapped in a type error.
            return BlockRef(block_hash=Hash32(_bare(_parse_hash, value)))
        number: int = _bare(hexutil.decode_uint64, value)
        if number > _MAX_INT64:
            raise ParamError("blocknumber too high")
        return BlockRef(number=number)
    if type(value) is dict:
        return _block_ref_object(value)
    if value is None:
        # json.Unmarshal("null") into the object form succeeds with neither member set.
        raise RpcError(SERVER_ERROR, NEITHER_BLOCK_NOR_HASH)
    # Not an object, so geth retries it as a string, and reports that failure.
    raise _unmarshal_error(json_kind(value), "string")


def _block_ref_object(obj: dict[str, Any]) -> BlockRef:
    number = obj.get("blockNumber")
    block_hash = obj.get("blockHash")
    canonical = obj.get("requireCanonical")
    try:
        by_number = None if number is None else block_number(number)
        by_hash = None if block_hash is None else hash32(block_hash)
        if canonical is not None and canonical is not True and canonical is not False:
            raise ParamError
    except ParamError:
        # A member that fails to decode fails the object form; geth then retries the
        # whole value as a string and reports that failure instead.
        raise _unmarshal_error("object", "string") from None
    if by_number is not None and by_hash is not None:
        raise ParamError("cannot specify both BlockHash and BlockNumber, choose one or the other")
    if by_hash is not None:
        return BlockRef(block_hash=by_hash, require_canonical=canonical is True)
    if by_number is not None:
        return by_number
    raise RpcError(SERVER_ERROR, NEITHER_BLOCK_NOR_HASH)


# -- storage keys ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StorageKey:
    """A storage slot as the client wrote it: geth echoes a 32-byte key in
    ``eth_getProof`` as given and any shorter one as a quantity."""

    slot: int
    width: int  # bytes the client wrote (after padding odd hex to whole bytes)


class _KeyError(ValueError):
    """A storage key geth's decodeHash refuses; the message is geth's."""


def _storage_key(text: str) -> StorageKey:
    """geth's decodeHash (internal/ethapi): optional 0x, odd length padded, at most 32
    bytes. Its errors are no argument errors: the methods report them as -32000."""
    body = text[2:] if hexutil.has_prefix(text) else text
    if len(body) % 2:
        body = "0" + body
    if len(body) > 64:
        raise _KeyError("hex string too long, want at most 32 bytes")
    if not hexutil.is_hex(body):
        raise _KeyError("hex string invalid")
    return StorageKey(int(body, 16) if body else 0, len(body) // 2)


def storage_text(value: Any) -> str:
    """The key argument of ``eth_getStorageAt``: a Go ``string``, decoded by the method
    with :func:`storage_slot` once it has found the block (geth's order)."""
    return _go_string(value, "string")


def storage_slot(text: str) -> int:
    """The slot named by an ``eth_getStorageAt`` key; -32000 as geth words it."""
    try:
        return _storage_key(text).slot
    except _KeyError as exc:
        raise RpcError(SERVER_ERROR, f"unable to decode storage key: {exc}") from None


def storage_key(value: Any) -> int:
    """A storage slot argument decoded as eth_getStorageAt's key, its error raised once
    the other arguments decoded (dev methods that take a slot)."""
    return storage_slot(storage_text(value))


def storage_keys(value: Any) -> list[StorageKey]:
    """The keys of ``eth_getProof`` (a Go ``[]string``), checked before any state is
    read: a bad one is -32000 with decodeHash's message."""
    if value is None:
        return []
    if type(value) is not list:
        raise _unmarshal_error(json_kind(value), "[]string")
    texts = [_go_string(item, "string") for item in value]
    try:
        return [_storage_key(text) for text in texts]
    except _KeyError as exc:
        raise RpcError(SERVER_ERROR, str(exc)) from None


# -- transactions ----------------------------------------------------------------------


def _access_list(value: Any) -> tuple[tuple[Address, tuple[Hash32, ...]], ...]:
    """``types.AccessList`` inside TransactionArgs; nested errors name the field path."""
    where = "TransactionArgs.accessList"
    if type(value) is not list:
        raise _unmarshal_error(json_kind(value), "types.AccessList", where)
    out = []
    for item in value:
        if item is not None and type(item) is not dict:
            raise _unmarshal_error(json_kind(item), "types.AccessTuple", where)
        item = item or {}
        raw_address = item.get("address")
        raw_keys = item.get("storageKeys")
        decoded = None if raw_address is None else address(raw_address, where + ".address")
        keys: tuple[Hash32, ...] | None = None
        if raw_keys is not None:
            if type(raw_keys) is not list:
                raise _unmarshal_error(json_kind(raw_keys), "[]common.Hash", where + ".storageKeys")
            keys = tuple(hash32(k, where + ".storageKeys") for k in raw_keys)
        # gencodec's generated decoder for AccessTuple checks required fields last.
        if decoded is None:
            raise ParamError("missing required field 'address' for AccessTuple")
        if keys is None:
            raise ParamError("missing required field 'storageKeys' for AccessTuple")
        out.append((decoded, keys))
    return tuple(out)


_AUTH: Final = "SetCodeAuthorization."
_AUTH_REQUIRED: Final = ("chainId", "address", "nonce", "yParity", "r", "s")


def _u256(value: Any, where: str) -> int:
    """hexutil.U256 (uint256's SetFromHex: the quantity rules, 256 bits)."""
    number: int = _hexutil_json(value, "*uint256.Int", where, _parse_big)
    return number


def _authorization(item: Any, unsigned_ok: bool) -> Authorization | UnsignedAuthorization:
    """One ``types.SetCodeAuthorization`` (gencodec: members decode in document order,
    then the required ones are checked in declaration order). With ``unsigned_ok``, one
    without ``yParity``, ``r`` and ``s`` is an :class:`UnsignedAuthorization` for the
    node to sign (``address`` still required)."""
    if type(item) is not dict:
        raise ParamError(
            f"json: cannot unmarshal {json_kind(item)} into Go value of type "
            "types.SetCodeAuthorization"
        )
    decoders: dict[str, Callable[[Any, str], Any]] = {
        "chainId": _u256,
        "address": address,
        "nonce": uint64,
        "yParity": uint64,
        "r": _u256,
        "s": _u256,
    }
    fields: dict[str, Any] = {}
    for key, raw in item.items():
        decode = decoders.get(key)
        if decode is not None and raw is not None:
            fields[key] = decode(raw, _AUTH + key)
    if unsigned_ok and not {"yParity", "r", "s"} & fields.keys() and "address" in fields:
        return UnsignedAuthorization(
            fields["address"], chain_id=fields.get("chainId"), nonce=fields.get("nonce")
        )
    for key in _AUTH_REQUIRED:
        if key not in fields:
            raise ParamError(f"missing required field '{key}' for SetCodeAuthorization")
    return Authorization(
        chain_id=fields["chainId"],
        address=fields["address"],
        nonce=fields["nonce"],
        y_parity=fields["yParity"] & 0xFF,  # geth keeps the low byte (uint8(V))
        r=fields["r"],
        s=fields["s"],
    )


def _authorization_list(
    value: Any, unsigned_ok: bool
) -> tuple[Authorization | UnsignedAuthorization, ...]:
    if type(value) is not list:
        raise _unmarshal_error(
            json_kind(value), "[]types.SetCodeAuthorization", "TransactionArgs.authorizationList"
        )
    return tuple(_authorization(item, unsigned_ok) for item in value)


def _field(decode: Callable[[Any, str], Any], name: str) -> Callable[[Any], Any]:
    where = "TransactionArgs." + name
    return lambda value: decode(value, where)


def _fixed_list(value: Any, size: int, go_type: str, name: str) -> tuple[bytes, ...]:
    """A JSON array of fixed-size hex values (blob hashes, blobs, commitments, proofs)."""
    where = "TransactionArgs." + name
    if type(value) is not list:
        raise _unmarshal_error(json_kind(value), "[]" + go_type, where)
    return tuple(
        _hexutil_json(item, go_type, where, lambda t: hexutil.unmarshal_fixed(t, size, go_type))
        for item in value
    )


# TransactionArgs fields (internal/ethapi/transaction_args.go), by JSON name. ``type`` is
# not geth's (it ignores it); dev nodes accept it, and so does mocknode.
_TX_FIELDS: Final[dict[str, tuple[str, Callable[[Any], Any]]]] = {
    "from": ("sender", _field(address, "from")),
    "to": ("to", _field(address, "to")),
    "gas": ("gas", _field(uint64, "gas")),
    "gasPrice": ("gas_price", _field(quantity, "gasPrice")),
    "maxFeePerGas": ("max_fee_per_gas", _field(quantity, "maxFeePerGas")),
    "maxPriorityFeePerGas": ("max_priority_fee_per_gas", _field(quantity, "maxPriorityFeePerGas")),
    "value": ("value", _field(quantity, "value")),
    "nonce": ("nonce", _field(uint64, "nonce")),
    "data": ("data", _field(data, "data")),
    "input": ("input", _field(data, "input")),
    "chainId": ("chain_id", _field(quantity, "chainId")),
    "accessList": ("access_list", _access_list),
    "type": ("type", _field(uint64, "type")),
    "maxFeePerBlobGas": ("max_fee_per_blob_gas", _field(quantity, "maxFeePerBlobGas")),
    "blobVersionedHashes": (
        "blob_versioned_hashes",
        lambda v: _fixed_list(v, 32, "common.Hash", "blobVersionedHashes"),
    ),
    "blobs": ("blobs", lambda v: _fixed_list(v, 131072, "kzg4844.Blob", "blobs")),
    "commitments": (
        "commitments",
        lambda v: _fixed_list(v, 48, "kzg4844.Commitment", "commitments"),
    ),
    "proofs": ("proofs", lambda v: _fixed_list(v, 48, "kzg4844.Proof", "proofs")),
}


def _transaction_args(
    value: Any, unsigned_ok: bool = False
) -> tuple[dict[str, Any], bytes | None, bytes | None]:
    """The decoded fields, plus ``data`` and ``input`` apart. Members decode in document
    order, as Go's decoder meets them, so the first bad one is the one reported.
    ``unsigned_ok``: EIP-7702 authorizations may come unsigned (for the node to sign)."""
    if value is None:
        return {}, None, None
    if type(value) is not dict:
        raise _unmarshal_error(json_kind(value), "ethapi.TransactionArgs")
    fields: dict[str, Any] = {}
    for key, item in value.items():
        if item is None:
            continue
        if key == "authorizationList":
            fields["authorization_list"] = _authorization_list(item, unsigned_ok)
            continue
        spec = _TX_FIELDS.get(key)
        if spec is not None:
            fields[spec[0]] = spec[1](item)
    return fields, fields.pop("data", None), fields.pop("input", None)


def tx_args(value: Any) -> TxArgs:
    """TransactionArgs of ``eth_sendTransaction``: ``data`` and ``input`` may both be
    set only when equal (geth's setDefaults, -32000 once the arguments decoded)."""
    fields, legacy, given = _transaction_args(value, unsigned_ok=True)
    if legacy is not None and given is not None and legacy != given:
        raise RpcError(
            SERVER_ERROR,
            'both "data" and "input" are set and not equal. '
            'Please use "input" to pass transaction call data',
        )
    return TxArgs(data=given if given is not None else legacy, **fields)


def call_args(value: Any) -> TxArgs:
    """TransactionArgs of ``eth_call`` and ``eth_estimateGas``: ``input`` wins over
    ``data`` without complaint, as in geth's ToMessage."""
    fields, legacy, given = _transaction_args(value)
    return TxArgs(data=given if given is not None else legacy, **fields)


# -- log filters -----------------------------------------------------------------------

_MAX_TOPICS: Final = 4  # eth/filters/api.go maxTopics
_MAX_SUB_TOPICS: Final = 1000  # maxSubTopics
_FILTER_FIELD: Final = "input."  # FilterCriteria.UnmarshalJSON decodes into a local `input`


def _filter_address(text: str) -> Address:
    raw: bytes = _bare(hexutil.decode_bytes, text)
    if len(raw) != 20:
        raise ParamError(
            f"hex has invalid length {len(raw)} after decoding; expected 20 for address"
        )
    return Address(raw)


def _filter_topic(text: str) -> Hash32:
    raw: bytes = _bare(hexutil.decode_bytes, text)
    if len(raw) != 32:
        raise ParamError(f"hex has invalid length {len(raw)} after decoding; expected 32 for topic")
    return Hash32(raw)


def _filter_addresses(value: Any) -> tuple[Address, ...]:
    if value is None:
        return ()
    if type(value) is str:
        try:
            return (_filter_address(value),)
        except ParamError as exc:
            raise ParamError(f"invalid address: {exc}") from None
    if type(value) is not list:
        raise ParamError("invalid addresses in query")
    out = []
    for i, item in enumerate(value):
        if type(item) is not str:
            raise ParamError(f"non-string address at index {i}")
        try:
            out.append(_filter_address(item))
        except ParamError as exc:
            raise ParamError(f"invalid address at index {i}: {exc}") from None
    return tuple(out)


def _topic_position(value: Any) -> tuple[Hash32, ...] | None:
    """One topic position: ``null`` or ``[]`` match anything, a string one topic, a list
    any of its topics; a ``null`` inside the list makes the position match anything."""
    if value is None:
        return None
    if type(value) is str:
        return (_filter_topic(value),)
    if type(value) is not list:
        raise ParamError("invalid topic(s)")
    if len(value) > _MAX_SUB_TOPICS:
        raise ParamError("exceed max topics")
    out = []
    for item in value:
        if item is None:
            return None  # geth stops reading the position here
        if type(item) is not str:
            raise ParamError("invalid topic(s)")
        out.append(_filter_topic(item))
    return tuple(out) or None


def log_filter(value: Any) -> LogFilter:
    """geth's ``FilterCriteria`` (eth_getLogs, eth_newFilter, logs subscriptions)."""
    if value is None:
        return LogFilter()
    if type(value) is not dict:
        raise _unmarshal_error(json_kind(value), "filters.input")
    from_block = to_block = None
    block_hash = None
    raw_topics: list[Any] = []
    # The members typed in geth's struct decode first, in document order.
    for key, item in value.items():
        if item is None:
            continue
        if key == "blockHash":
            block_hash = hash32(item, _FILTER_FIELD + key)
        elif key == "fromBlock":
            from_block = block_number(item)
        elif key == "toBlock":
            to_block = block_number(item)
        elif key == "topics":
            if type(item) is not list:
                raise _unmarshal_error(json_kind(item), "[]interface {}", _FILTER_FIELD + key)
            raw_topics = item
    if block_hash is not None and (from_block is not None or to_block is not None):
        raise ParamError(
            "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other"
        )
    addresses = _filter_addresses(value.get("address"))
    if len(raw_topics) > _MAX_TOPICS:
        raise ParamError("exceed max topics")
    return LogFilter(
        from_block=from_block if block_hash is None else None,
        to_block=to_block if block_hash is None else None,
        block_hash=block_hash,
        addresses=addresses,
        topics=tuple(_topic_position(t) for t in raw_topics),
    )


# -- receipt subscriptions ---------------------------------------------------------------

_MAX_TX_HASHES: Final = 200  # eth/filters/api.go maxTxHashes


def receipts_query(value: Any) -> tuple[Hash32, ...]:
    """The criteria of a ``transactionReceipts`` subscription (geth's
    TransactionReceiptsQuery): ``{"transactionHashes": [...]}``; none or an empty list
    means every receipt. More than 200 hashes is geth's -32000, once decoded."""
    if value is None:
        return ()
    if type(value) is not dict:
        raise _unmarshal_error(json_kind(value), "filters.input")
    hashes = value.get("transactionHashes")
    if hashes is None:
        return ()
    where = "input.transactionHashes"
    if type(hashes) is not list:
        raise _unmarshal_error(json_kind(hashes), "[]common.Hash", where)
    decoded = tuple(hash32(h, where) for h in hashes)
    if len(decoded) > _MAX_TX_HASHES:
        raise RpcError(
            SERVER_ERROR,
            "exceed max number of transaction hashes allowed per transactionReceipts subscription",
        )
    return decoded
