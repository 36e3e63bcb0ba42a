"""The chain's records as JSON values, and back: the vocabulary of a state file.

Bytes are ``0x`` hex; 256-bit quantities (balances, storage words) are ``0x`` hex
quantities; counts, nonces and timestamps are JSON numbers. Every reader raises
:class:`StateFileError` naming what it could not read, so a damaged or hand-edited
file fails with a message rather than a ``KeyError``.

What is stored, and why in that shape:

- a block is its header's RLP (its hash is the keccak of exactly those bytes), its
  transactions' canonical encodings, and per receipt only what execution produced and
  nothing else derives (status, cumulative gas, created contract, logs); gas used, the
  effective gas price, the bloom and log positions are recomputed as mining computes
  them, and the transactions and receipts roots in the header check the result;
- a transaction keeps its sender, so reading it back recovers no signature (and an
  impersonated one, which has none to recover, gets its hash back);
- the state is the list of commits as :meth:`WorldState.diffs_after` gives them, codes
  apart (stored once each): replaying them rebuilds every historical state and the
  same roots.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from mocknode.chain.block.assembly import make_block, ordered_root
from mocknode.chain.primitives import rlp
from mocknode.chain.primitives.hashing import EMPTY_CODE_HASH, keccak
from mocknode.chain.records import Block, Header, Log, Receipt, Tx, bloom_bytes, logs_bloom
from mocknode.chain.state.world import Account, BlockDiff
from mocknode.chain.tx import codec as txcodec
from mocknode.persist.errors import StateFileError
from mocknode.types import Address, Hash32
from mocknode.values import replace

T = TypeVar("T")


# -- scalars ------------------------------------------------------------------------------


def hex_bytes(value: bytes) -> str:
    return "0x" + value.hex()


def hex_quantity(value: int) -> str:
    return hex(value)


def read_bytes(value: Any, what: str, size: int | None = None) -> bytes:
    if not isinstance(value, str) or value[:2] not in ("0x", "0X"):
        raise StateFileError(f"{what}: expected 0x-prefixed hex, got {value!r:.80}")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError:
        raise StateFileError(f"{what}: not hex: {value!r:.80}") from None
    if size is not None and len(raw) != size:
        raise StateFileError(f"{what}: expected {size} bytes, got {len(raw)}")
    return raw


def read_address(value: Any, what: str) -> Address:
    return Address(read_bytes(value, what, 20))


def read_hash(value: Any, what: str) -> Hash32:
    return Hash32(read_bytes(value, what, 32))


def read_quantity(value: Any, what: str) -> int:
    if not isinstance(value, str) or value[:2] not in ("0x", "0X"):
        raise StateFileError(f"{what}: expected a 0x-prefixed hex quantity, got {value!r:.80}")
    try:
        return int(value, 16)
    except ValueError:
        raise StateFileError(f"{what}: not a hex quantity: {value!r:.80}") from None


def read_int(value: Any, what: str) -> int:
    if type(value) is not int or value < 0:
        raise StateFileError(f"{what}: expected a non-negative integer, got {value!r:.80}")
    return value


def read_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise StateFileError(f"{what}: expected a list, got {type(value).__name__}")
    return value


def read_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise StateFileError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def field(obj: dict[str, Any], key: str, what: str) -> Any:
    try:
        return obj[key]
    except KeyError:
        raise StateFileError(f"{what}: missing {key!r}") from None


def optional(value: Any, read: Callable[[Any, str], T], what: str) -> T | None:
    return None if value is None else read(value, what)


# -- transactions ---------------------------------------------------------------------------


def tx_value(tx: Tx) -> list[Any]:
    """``[raw, sender, impersonated]``."""
    return [hex_bytes(tx.raw), hex_bytes(tx.sender), tx.impersonated]


def read_tx(value: Any, what: str) -> Tx:
    items = read_list(value, what)
    if len(items) != 3 or type(items[2]) is not bool:
        raise StateFileError(f"{what}: expected [raw, sender, impersonated]")
    raw = read_bytes(items[0], f"{what} raw")
    sender = read_address(items[1], f"{what} sender")
    try:
        tx = txcodec.decode(raw, sender=sender)
    except txcodec.TxDecodeError as exc:
        raise StateFileError(f"{what}: {exc}") from None
    if items[2]:
        # As codec.impersonate made it: the hash covers the sender too.
        tx = replace(tx, hash=Hash32(keccak(raw + sender)), impersonated=True)
    return tx


# -- receipts ---------------------------------------------------------------------------------


def receipt_value(receipt: Receipt) -> list[Any]:
    """``[status, cumulative gas, contract address or null, [[address, [topics], data]]]``."""
    contract = receipt.contract_address
    return [
        1 if receipt.success else 0,
        receipt.cumulative_gas_used,
        None if contract is None else hex_bytes(contract),
        [
            [hex_bytes(log.address), [hex_bytes(t) for t in log.topics], hex_bytes(log.data)]
            for log in receipt.logs
        ],
    ]


def _read_log(value: Any, what: str) -> Log:
    items = read_list(value, what)
    if len(items) != 3:
        raise StateFileError(f"{what}: expected [address, topics, data]")
    topics = read_list(items[1], f"{what} topics")
    return Log(
        read_address(items[0], f"{what} address"),
        tuple(read_hash(t, f"{what} topic") for t in topics),
        read_bytes(items[2], f"{what} data"),
    )


def _read_receipts(
    values: list[Any], txs: tuple[Tx, ...], base_fee: int, what: str
) -> list[Receipt]:
    """The receipts of a block's ``txs``, the derived fields worked out as mining does."""
    if len(values) != len(txs):
        raise StateFileError(f"{what}: {len(txs)} transactions but {len(values)} receipts")
    receipts = []
    previous = first_log = 0
    for i, (value, tx) in enumerate(zip(values, txs, strict=True)):
        where = f"{what} receipt {i}"
        items = read_list(value, where)
        if len(items) != 4 or items[0] not in (0, 1):
            raise StateFileError(f"{where}: expected [status, cumulative gas, contract, logs]")
        cumulative = read_int(items[1], f"{where} cumulative gas")
        if cumulative < previous:
            raise StateFileError(f"{where}: cumulative gas goes down")
        logs = tuple(
            _read_log(log, f"{where} log {n}")
            for n, log in enumerate(read_list(items[3], f"{where} logs"))
        )
        receipts.append(
            Receipt(
                tx_type=tx.type,
                success=items[0] == 1,
                gas_used=cumulative - previous,
                cumulative_gas_used=cumulative,
                logs=logs,
                bloom=bloom_bytes(logs_bloom(logs)),
                contract_address=optional(items[2], read_address, f"{where} contract"),
                effective_gas_price=tx.effective_gas_price(base_fee),
                first_log_index=first_log,
            )
        )
        previous = cumulative
        first_log += len(logs)
    return receipts


# -- blocks ---------------------------------------------------------------------------------


def block_value(block: Block, commit: int) -> dict[str, Any]:
    """A block and the state commit it ended on."""
    return {
        "header": hex_bytes(block.header.encode()),
        "commit": commit,
        "txs": [tx_value(tx) for tx in block.transactions],
        "receipts": [receipt_value(r) for r in block.receipts],
    }


_HEADER_FIELDS = 21
# Fixed-size header fields by position: hashes, the coinbase, the bloom, the nonce.
_HEADER_SIZES = {
    0: 32, 1: 32, 2: 20, 3: 32, 4: 32, 5: 32, 6: 256, 13: 32, 14: 8, 16: 32, 19: 32, 20: 32
}  # fmt: skip


def read_header(raw: bytes, what: str) -> Header:
    try:
        items = rlp.to_list(rlp.decode(raw))
        if len(items) != _HEADER_FIELDS:
            raise StateFileError(f"{what}: a header has {_HEADER_FIELDS} fields, not {len(items)}")
        b = [rlp.to_bytes(item) for item in items]
        for i, size in _HEADER_SIZES.items():
            if len(b[i]) != size:
                raise StateFileError(f"{what}: header field {i} is {len(b[i])} bytes, not {size}")
        header = Header(
            parent_hash=Hash32(b[0]),
            ommers_hash=Hash32(b[1]),
            coinbase=Address(b[2]),
            state_root=Hash32(b[3]),
            transactions_root=Hash32(b[4]),
            receipts_root=Hash32(b[5]),
            logs_bloom=b[6],
            difficulty=rlp.to_int(items[7]),
            number=rlp.to_int(items[8], 64),
            gas_limit=rlp.to_int(items[9], 64),
            gas_used=rlp.to_int(items[10], 64),
            timestamp=rlp.to_int(items[11], 64),
            extra_data=b[12],
            mix_hash=Hash32(b[13]),
            nonce=b[14],
            base_fee_per_gas=rlp.to_int(items[15]),
            withdrawals_root=Hash32(b[16]),
            blob_gas_used=rlp.to_int(items[17], 64),
            excess_blob_gas=rlp.to_int(items[18], 64),
            parent_beacon_block_root=Hash32(b[19]),
            requests_hash=Hash32(b[20]),
        )
    except rlp.RlpError as exc:
        raise StateFileError(f"{what}: {exc}") from None
    if header.encode() != raw:
        raise StateFileError(f"{what}: the header does not re-encode to the same bytes")
    return header


def read_block(value: Any, what: str) -> tuple[Block, int]:
    """A block (its roots checked against its body) and the commit it ended on."""
    obj = read_dict(value, what)
    header = read_header(read_bytes(field(obj, "header", what), f"{what} header"), what)
    commit = read_int(field(obj, "commit", what), f"{what} commit")
    txs = tuple(
        read_tx(tx, f"{what} tx {i}")
        for i, tx in enumerate(read_list(field(obj, "txs", what), f"{what} txs"))
    )
    receipts = tuple(
        _read_receipts(
            read_list(field(obj, "receipts", what), f"{what} receipts"),
            txs,
            header.base_fee_per_gas,
            what,
        )
    )
    if ordered_root([tx.raw for tx in txs]) != header.transactions_root:
        raise StateFileError(f"{what}: its transactions do not match the header's root")
    if ordered_root([r.encode() for r in receipts]) != header.receipts_root:
        raise StateFileError(f"{what}: its receipts do not match the header's root")
    return make_block(header, txs, receipts), commit


# -- state ---------------------------------------------------------------------------------


def diff_value(diff: BlockDiff) -> dict[str, Any]:
    """One commit: ``{"accounts": {address: [nonce, balance, code hash or null] or null},
    "storage": {address: {slot: value}}}`` (codes are stored apart)."""
    accounts: dict[str, Any] = {}
    for address, account in diff.accounts.items():
        if account is None:
            accounts[hex_bytes(address)] = None
        else:
            code_hash = None if account.code_hash == EMPTY_CODE_HASH else account.code_hash
            accounts[hex_bytes(address)] = [
                account.nonce,
                hex_quantity(account.balance),
                None if code_hash is None else hex_bytes(code_hash),
            ]
    storage = {
        hex_bytes(address): {hex_quantity(slot): hex_quantity(v) for slot, v in slots.items()}
        for address, slots in diff.storage.items()
    }
    return {"accounts": accounts, "storage": storage}


def read_diff(value: Any, codes: dict[bytes, bytes], what: str) -> BlockDiff:
    """A commit; the codes it names must be in ``codes`` (and go with it, so the state
    learns each code with the first commit that uses it)."""
    obj = read_dict(value, what)
    accounts: dict[Address, Account | None] = {}
    used: dict[bytes, bytes] = {}
    for key, entry in read_dict(field(obj, "accounts", what), f"{what} accounts").items():
        address = read_address(key, f"{what} account")
        if entry is None:
            accounts[address] = None
            continue
        where = f"{what} account {key}"
        items = read_list(entry, where)
        if len(items) != 3:
            raise StateFileError(f"{where}: expected [nonce, balance, code hash]")
        code_hash = (
            EMPTY_CODE_HASH if items[2] is None else read_hash(items[2], f"{where} code hash")
        )
        if code_hash != EMPTY_CODE_HASH:
            code = codes.get(code_hash)
            if code is None:
                raise StateFileError(f"{where}: no code with hash 0x{code_hash.hex()}")
            used[code_hash] = code
        accounts[address] = Account(
            read_int(items[0], f"{where} nonce"),
            read_quantity(items[1], f"{where} balance"),
            code_hash,
        )
    storage: dict[Address, dict[int, int]] = {}
    for key, slots in read_dict(field(obj, "storage", what), f"{what} storage").items():
        where = f"{what} storage {key}"
        storage[read_address(key, where)] = {
            read_quantity(slot, where): read_quantity(v, where)
            for slot, v in read_dict(slots, where).items()
        }
    return BlockDiff(accounts, storage, used)


def read_codes(value: Any, what: str) -> dict[bytes, bytes]:
    codes: dict[bytes, bytes] = {}
    for key, code in read_dict(value, what).items():
        code_hash = read_hash(key, f"{what} hash")
        raw = read_bytes(code, f"{what} {key}")
        if keccak(raw) != code_hash:
            raise StateFileError(f"{what} {key}: the code does not hash to its key")
        codes[code_hash] = raw
    return codes
