"""Transactions on the wire: decode, validate the envelope, sign, recover the sender.

Types 0 (legacy, with or without EIP-155), 1 (EIP-2930), 2 (EIP-1559), 3 (EIP-4844: the
canonical form, and the network form with its blob sidecar, see
:func:`decode_with_sidecar`) and 4 (EIP-7702).
Done here rather than through py-evm's transaction classes because those re-serialise
through ``rlp`` sedes several times per transaction (signing hash, hash, sender) and
recover the sender through two wrapper layers; a transfer spent ~0.4 ms there. The
record this produces (:class:`Tx`) carries everything the chain, the RPC layer and the
EVM adapter need, so a transaction is decoded and its sender recovered exactly once.

Error texts follow geth's decoder (``rlp: ...``, ``transaction type not supported``,
``invalid sender``) because clients print them to users.
"""

from __future__ import annotations

from mocknode.chain.primitives import rlp
from mocknode.chain.primitives.hashing import keccak, secp256k1
from mocknode.chain.records import Authorization, Tx
from mocknode.chain.tx.blobs import BYTES_PER_BLOB, COMMITMENT_SIZE, PROOF_SIZE, BlobSidecar
from mocknode.types import Address, Hash32
from mocknode.values import replace

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_U64 = 64


class TxDecodeError(ValueError):
    """The bytes are not a transaction this chain accepts (geth's wording)."""


def _address_or_none(item: rlp.RlpItem) -> Address | None:
    raw = rlp.to_bytes(item)
    if not raw:
        return None
    if len(raw) != 20:
        raise TxDecodeError("rlp: input string too long for common.Address")
    return Address(raw)


def _access_list(item: rlp.RlpItem) -> tuple[tuple[Address, tuple[Hash32, ...]], ...]:
    out = []
    for entry in rlp.to_list(item):
        pair = rlp.to_list(entry)
        if len(pair) != 2:
            raise TxDecodeError("rlp: too few elements for types.AccessTuple")
        address = rlp.to_bytes(pair[0])
        if len(address) != 20:
            raise TxDecodeError("rlp: input string too short for common.Address")
        keys = []
        for key in rlp.to_list(pair[1]):
            raw = rlp.to_bytes(key)
            if len(raw) != 32:
                raise TxDecodeError("rlp: input string too short for common.Hash")
            keys.append(Hash32(raw))
        out.append((Address(address), tuple(keys)))
    return tuple(out)


def _encode_access_list(access_list: tuple[tuple[Address, tuple[Hash32, ...]], ...]) -> bytes:
    return rlp.encode_list(
        rlp.encode_list((rlp.encode_bytes(a), rlp.encode_list(rlp.encode_bytes(k) for k in keys)))
        for a, keys in access_list
    )


def _authorizations(item: rlp.RlpItem) -> tuple[Authorization, ...]:
    out = []
    for entry in rlp.to_list(item):
        fields = rlp.to_list(entry)
        if len(fields) != 6:
            raise TxDecodeError("rlp: too few elements for types.SetCodeAuthorization")
        address = rlp.to_bytes(fields[1])
        if len(address) != 20:
            raise TxDecodeError("rlp: input string too short for common.Address")
        out.append(
            Authorization(
                chain_id=rlp.to_int(fields[0]),
                address=Address(address),
                nonce=rlp.to_int(fields[2], _U64),
                y_parity=rlp.to_int(fields[3], 8),
                r=rlp.to_int(fields[4]),
                s=rlp.to_int(fields[5]),
            )
        )
    return tuple(out)


def _encode_authorizations(auths: tuple[Authorization, ...]) -> bytes:
    return rlp.encode_list(
        rlp.encode_list(
            (
                rlp.encode_int(a.chain_id),
                rlp.encode_bytes(a.address),
                rlp.encode_int(a.nonce),
                rlp.encode_int(a.y_parity),
                rlp.encode_int(a.r),
                rlp.encode_int(a.s),
            )
        )
        for a in auths
    )


def recover_address(msg_hash: bytes, y_parity: int, r: int, s: int) -> Address:
    """The signer of ``msg_hash``; raises TxDecodeError("invalid sender") when none."""
    if not (0 < r < SECP256K1_N and 0 < s <= SECP256K1_N // 2) or y_parity not in (0, 1):
        raise TxDecodeError("invalid sender")
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((y_parity,))
    try:
        public = secp256k1().PublicKey.from_signature_and_message(signature, msg_hash, hasher=None)
    except Exception:
        raise TxDecodeError("invalid sender") from None
    return Address(keccak(public.format(compressed=False)[1:])[12:])


def sign_hash(private_key: bytes, msg_hash: bytes) -> tuple[int, int, int]:
    """(y_parity, r, s) of a recoverable, low-s secp256k1 signature (RFC 6979)."""
    signature = secp256k1().PrivateKey(private_key).sign_recoverable(msg_hash, hasher=None)
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    return signature[64], r, s


# -- the unsigned payloads ----------------------------------------------------------


def _legacy_fields(tx: Tx) -> list[bytes]:
    return [
        rlp.encode_int(tx.nonce),
        rlp.encode_int(tx.gas_price or 0),
        rlp.encode_int(tx.gas),
        rlp.encode_bytes(tx.to or b""),
        rlp.encode_int(tx.value),
        rlp.encode_bytes(tx.data),
    ]


def _typed_fields(tx: Tx) -> list[bytes]:
    assert tx.chain_id is not None
    fields = [rlp.encode_int(tx.chain_id), rlp.encode_int(tx.nonce)]
    if tx.type == 1:
        fields.append(rlp.encode_int(tx.gas_price or 0))
    else:
        fields += [rlp.encode_int(tx.max_priority_fee_per_gas), rlp.encode_int(tx.max_fee_per_gas)]
    fields += [
        rlp.encode_int(tx.gas),
        rlp.encode_bytes(tx.to or b""),
        rlp.encode_int(tx.value),
        rlp.encode_bytes(tx.data),
        _encode_access_list(tx.access_list),
    ]
    if tx.type == 4:
        fields.append(_encode_authorizations(tx.authorization_list))
    elif tx.type == 3:
        fields.append(rlp.encode_int(tx.max_fee_per_blob_gas))
        fields.append(rlp.encode_list(rlp.encode_bytes(h) for h in tx.blob_versioned_hashes))
    return fields


def signing_hash(tx: Tx) -> bytes:
    if tx.type == 0:
        fields = _legacy_fields(tx)
        if tx.chain_id is not None:
            fields += [rlp.encode_int(tx.chain_id), rlp.EMPTY, rlp.EMPTY]
        return keccak(rlp.encode_list(fields))
    return keccak(bytes((tx.type,)) + rlp.encode_list(_typed_fields(tx)))


def encode_signed(tx: Tx) -> bytes:
    """The canonical encoding (the raw bytes whose keccak is the hash)."""
    sig = [rlp.encode_int(tx.v), rlp.encode_int(tx.r), rlp.encode_int(tx.s)]
    if tx.type == 0:
        return rlp.encode_list(_legacy_fields(tx) + sig)
    return bytes((tx.type,)) + rlp.encode_list(_typed_fields(tx) + sig)


# -- decoding ---------------------------------------------------------------------------


def decode(raw: bytes, *, sender: Address | None = None) -> Tx:
    """Decode and check a signed transaction as geth's ``UnmarshalBinary`` does.

    ``sender``: already known (a transaction this node accepted before, read back from
    a state file), so nothing is recovered; the record takes it as given. A blob
    transaction in its network form loses its sidecar here
    (:func:`decode_with_sidecar` keeps it)."""
    return decode_with_sidecar(raw, sender=sender)[0]


def decode_with_sidecar(
    raw: bytes, *, sender: Address | None = None
) -> tuple[Tx, BlobSidecar | None]:
    """:func:`decode`, and the blob sidecar a type-3 transaction in its network form
    carries (None for the canonical form and every other type). The record's ``raw``
    and ``hash`` are the canonical form's, as geth's are."""
    if not raw:
        raise TxDecodeError("typed transaction too short")
    try:
        if raw[0] >= 0xC0:
            return _decode_legacy(raw, sender), None
        if raw[0] in (1, 2, 4):
            return _decode_typed(raw, sender), None
        if raw[0] == 3:
            return _decode_blob(raw, sender)
    except rlp.RlpError as exc:
        raise TxDecodeError(str(exc)) from None
    if raw[0] > 0x7F:
        raise TxDecodeError("rlp: expected input list for types.LegacyTx")
    raise TxDecodeError("transaction type not supported")


def _decode_legacy(raw: bytes, sender: Address | None) -> Tx:
    fields = rlp.to_list(rlp.decode(raw))
    if len(fields) != 9:
        raise TxDecodeError(
            "rlp: too few elements for types.LegacyTx"
            if len(fields) < 9
            else "rlp: input list has too many elements for types.LegacyTx"
        )
    v, r, s = rlp.to_int(fields[6]), rlp.to_int(fields[7]), rlp.to_int(fields[8])
    if v in (27, 28):
        chain_id, y_parity = None, v - 27
    elif v >= 35:
        chain_id, y_parity = (v - 35) // 2, (v - 35) % 2
    else:
        raise TxDecodeError("invalid sender")
    price = rlp.to_int(fields[1])
    tx = Tx(
        hash=Hash32(keccak(raw)),
        type=0,
        sender=Address(b""),
        nonce=rlp.to_int(fields[0], _U64),
        gas=rlp.to_int(fields[2], _U64),
        to=_address_or_none(fields[3]),
        value=rlp.to_int(fields[4]),
        data=rlp.to_bytes(fields[5]),
        chain_id=chain_id,
        gas_price=price,
        max_fee_per_gas=price,
        max_priority_fee_per_gas=price,
        access_list=(),
        authorization_list=(),
        v=v,
        r=r,
        s=s,
        raw=raw,
    )
    return _with_sender(tx, y_parity) if sender is None else _replace(tx, sender=sender)


def _decode_typed(raw: bytes, sender: Address | None) -> Tx:
    tx_type = raw[0]
    fields = rlp.to_list(rlp.decode(raw[1:]))
    expected = {1: 11, 2: 12, 4: 13}[tx_type]
    if len(fields) != expected:
        raise TxDecodeError(f"rlp: wrong number of elements for type {tx_type} transaction")
    chain_id = rlp.to_int(fields[0])
    nonce = rlp.to_int(fields[1], _U64)
    if tx_type == 1:
        price = rlp.to_int(fields[2])
        gas_price: int | None = price
        max_tip = max_fee = price
        rest = fields[3:]
    else:
        gas_price = None
        max_tip = rlp.to_int(fields[2])
        max_fee = rlp.to_int(fields[3])
        rest = fields[4:]
    gas, to, value, data, access = rest[:5]
    auths = _authorizations(rest[5]) if tx_type == 4 else ()
    y_parity, r, s = (rlp.to_int(x) for x in rest[-3:])
    tx = Tx(
        hash=Hash32(keccak(raw)),
        type=tx_type,
        sender=Address(b""),
        nonce=nonce,
        gas=rlp.to_int(gas, _U64),
        to=_address_or_none(to),
        value=rlp.to_int(value),
        data=rlp.to_bytes(data),
        chain_id=chain_id,
        gas_price=gas_price,
        max_fee_per_gas=max_fee,
        max_priority_fee_per_gas=max_tip,
        access_list=_access_list(access),
        authorization_list=auths,
        v=y_parity,
        r=r,
        s=s,
        raw=raw,
    )
    if y_parity > 1:
        raise TxDecodeError("invalid sender")
    return _with_sender(tx, y_parity) if sender is None else _replace(tx, sender=sender)


_BLOB_TX_FIELDS = 14


def _decode_blob(raw: bytes, sender: Address | None) -> tuple[Tx, BlobSidecar | None]:
    """A type-3 transaction, canonical (``[chainId, nonce, ...]``) or in the network
    form (``[[chainId, ...], blobs, commitments, proofs]``, or with a version byte
    before the blobs), told apart by the first element being a list, as geth does."""
    outer = rlp.to_list(rlp.decode(raw[1:]))
    if not outer:
        raise TxDecodeError("unexpected EOF")  # geth splits off a first element
    sidecar = None
    if outer and isinstance(outer[0], list):
        fields = outer[0]
        sidecar = _sidecar(outer[1:])
    else:
        fields = outer
    if len(fields) != _BLOB_TX_FIELDS:
        raise TxDecodeError(
            "rlp: too few elements for types.BlobTx"
            if len(fields) < _BLOB_TX_FIELDS
            else "rlp: input list has too many elements for types.BlobTx"
        )
    to = rlp.to_bytes(fields[5])
    if len(to) != 20:
        raise TxDecodeError(
            f"rlp: input string too {'short' if len(to) < 20 else 'long'} for common.Address, "
            "decoding into (types.BlobTx).To"
        )
    hashes = []
    for i, item in enumerate(rlp.to_list(fields[10])):
        value = rlp.to_bytes(item)
        if len(value) != 32:
            raise TxDecodeError(
                f"rlp: input string too {'short' if len(value) < 32 else 'long'} for "
                f"common.Hash, decoding into (types.BlobTx).BlobHashes[{i}]"
            )
        hashes.append(Hash32(value))
    y_parity, r, s = (rlp.to_int(x) for x in fields[11:])
    tx = Tx(
        hash=Hash32(b""),
        type=3,
        sender=Address(b""),
        nonce=rlp.to_int(fields[1], _U64),
        gas=rlp.to_int(fields[4], _U64),
        to=Address(to),
        value=rlp.to_int(fields[6]),
        data=rlp.to_bytes(fields[7]),
        chain_id=rlp.to_int(fields[0]),
        gas_price=None,
        max_fee_per_gas=rlp.to_int(fields[3]),
        max_priority_fee_per_gas=rlp.to_int(fields[2]),
        access_list=_access_list(fields[8]),
        authorization_list=(),
        v=y_parity,
        r=r,
        s=s,
        raw=b"",
        max_fee_per_blob_gas=rlp.to_int(fields[9]),
        blob_versioned_hashes=tuple(hashes),
    )
    if y_parity > 1:
        raise TxDecodeError("invalid sender")
    # The canonical form, whichever was sent: the hash and the block body use it.
    canonical = raw if sidecar is None else encode_signed(tx)
    tx = _replace(tx, raw=canonical, hash=Hash32(keccak(canonical)))
    tx = _with_sender(tx, y_parity) if sender is None else _replace(tx, sender=sender)
    return tx, sidecar


def _sidecar(items: list[rlp.RlpItem]) -> BlobSidecar:
    """The sidecar after the transaction: ``blobs, commitments, proofs`` (version 0)
    or ``version, blobs, commitments, proofs``."""
    version = 0
    if items and isinstance(items[0], bytes):
        version = rlp.to_int(items[0], 8)
        if version != 1:
            raise TxDecodeError(f"unsupported blob tx version {version}")
        items = items[1:]
    if len(items) != 3:
        name = "types.blobTxWithBlobsV1" if version else "types.blobTxWithBlobsV0"
        raise TxDecodeError(
            f"rlp: too few elements for {name}"
            if len(items) < 3
            else f"rlp: input list has too many elements for {name}"
        )
    blobs = _fixed(items[0], BYTES_PER_BLOB, "kzg4844.Blob", "Blobs")
    commitments = _fixed(items[1], COMMITMENT_SIZE, "kzg4844.Commitment", "Commitments")
    proofs = _fixed(items[2], PROOF_SIZE, "kzg4844.Proof", "Proofs")
    return BlobSidecar(version, blobs, commitments, proofs)


def _fixed(item: rlp.RlpItem, size: int, go_type: str, field: str) -> tuple[bytes, ...]:
    """A list of byte strings of exactly ``size`` bytes each (geth's fixed arrays)."""
    out = []
    for i, entry in enumerate(rlp.to_list(item)):
        value = rlp.to_bytes(entry)
        if len(value) != size:
            raise TxDecodeError(
                f"rlp: input string too {'short' if len(value) < size else 'long'} for "
                f"{go_type}, decoding into (types.blobTxWithBlobs).{field}[{i}]"
            )
        out.append(value)
    return tuple(out)


def _with_sender(tx: Tx, y_parity: int) -> Tx:
    sender = recover_address(signing_hash(tx), y_parity, tx.r, tx.s)
    return _replace(tx, sender=sender)


def _replace(tx: Tx, **changes: object) -> Tx:
    return replace(tx, **changes)  # type: ignore[arg-type]


# -- signing ------------------------------------------------------------------------------


def unsigned(
    *,
    sender: Address,
    chain_id: int,
    tx_type: int,
    nonce: int,
    gas: int,
    to: Address | None,
    value: int,
    data: bytes,
    gas_price: int = 0,
    max_fee_per_gas: int = 0,
    max_priority_fee_per_gas: int = 0,
    access_list: tuple[tuple[Address, tuple[Hash32, ...]], ...] = (),
    authorization_list: tuple[Authorization, ...] = (),
    max_fee_per_blob_gas: int = 0,
    blob_versioned_hashes: tuple[Hash32, ...] = (),
) -> Tx:
    """The transaction before its signature (v, r, s, raw and hash still empty)."""
    legacy_or_al = tx_type in (0, 1)
    return Tx(
        hash=Hash32(b""),
        type=tx_type,
        sender=sender,
        nonce=nonce,
        gas=gas,
        to=to,
        value=value,
        data=data,
        chain_id=chain_id,
        gas_price=gas_price if legacy_or_al else None,
        max_fee_per_gas=gas_price if legacy_or_al else max_fee_per_gas,
        max_priority_fee_per_gas=gas_price if legacy_or_al else max_priority_fee_per_gas,
        access_list=access_list if tx_type else (),
        authorization_list=authorization_list,
        v=0,
        r=0,
        s=0,
        raw=b"",
        max_fee_per_blob_gas=max_fee_per_blob_gas,
        blob_versioned_hashes=blob_versioned_hashes,
    )


def _with_signature(tx: Tx, y_parity: int, r: int, s: int) -> Tx:
    assert tx.chain_id is not None
    v = tx.chain_id * 2 + 35 + y_parity if tx.type == 0 else y_parity
    return _replace(tx, v=v, r=r, s=s)


def sign_with(private_key: bytes, tx: Tx) -> Tx:
    """Sign an :func:`unsigned` transaction for a key the node holds; the sender is
    known, so nothing is recovered."""
    y_parity, r, s = sign_hash(private_key, signing_hash(tx))
    signed = _with_signature(tx, y_parity, r, s)
    raw = encode_signed(signed)
    return _replace(signed, raw=raw, hash=Hash32(keccak(raw)))


def sign(
    *,
    private_key: bytes,
    sender: Address,
    chain_id: int,
    tx_type: int,
    nonce: int,
    gas: int,
    to: Address | None,
    value: int,
    data: bytes,
    gas_price: int = 0,
    max_fee_per_gas: int = 0,
    max_priority_fee_per_gas: int = 0,
    access_list: tuple[tuple[Address, tuple[Hash32, ...]], ...] = (),
    authorization_list: tuple[Authorization, ...] = (),
    max_fee_per_blob_gas: int = 0,
    blob_versioned_hashes: tuple[Hash32, ...] = (),
) -> Tx:
    """:func:`unsigned` and :func:`sign_with` in one call."""
    tx = unsigned(
        sender=sender,
        chain_id=chain_id,
        tx_type=tx_type,
        nonce=nonce,
        gas=gas,
        to=to,
        value=value,
        data=data,
        gas_price=gas_price,
        max_fee_per_gas=max_fee_per_gas,
        max_priority_fee_per_gas=max_priority_fee_per_gas,
        access_list=access_list,
        authorization_list=authorization_list,
        max_fee_per_blob_gas=max_fee_per_blob_gas,
        blob_versioned_hashes=blob_versioned_hashes,
    )
    return sign_with(private_key, tx)


def encode_network(tx: Tx, sidecar: BlobSidecar) -> bytes:
    """A signed blob transaction in its network form, the sidecar after it (what
    ``eth_sendRawTransaction`` takes)."""
    parts = [tx.raw[1:]]  # the canonical payload, an RLP list already
    if sidecar.version:
        parts.append(rlp.encode_int(sidecar.version))
    parts += [
        rlp.encode_list(rlp.encode_bytes(b) for b in sidecar.blobs),
        rlp.encode_list(rlp.encode_bytes(c) for c in sidecar.commitments),
        rlp.encode_list(rlp.encode_bytes(p) for p in sidecar.proofs),
    ]
    return b"\x03" + rlp.encode_list(parts)


def impersonate(tx: Tx) -> Tx:
    """An :func:`unsigned` transaction made sendable without its sender's key.

    As anvil does: a placeholder signature (r = s = 1, y parity 0: clients reject zero
    scalars) and a hash of the encoding followed by the sender, so two accounts sending
    the same fields never share a hash. Nothing can recover the sender from it; the
    record carries it (and ``impersonated``) instead.
    """
    placeholder = _with_signature(tx, 0, 1, 1)
    raw = encode_signed(placeholder)
    return _replace(placeholder, raw=raw, hash=Hash32(keccak(raw + tx.sender)), impersonated=True)


def intrinsic_gas(tx: Tx) -> int:
    """Gas charged before execution (Prague: EIP-2028, 2930, 3860, 7702)."""
    zeros = tx.data.count(0)
    gas = 21000 + zeros * 4 + (len(tx.data) - zeros) * 16
    if tx.to is None:
        gas += 32000 + 2 * ((len(tx.data) + 31) // 32)
    for _, keys in tx.access_list:
        gas += 2400 + 1900 * len(keys)
    gas += 25000 * len(tx.authorization_list)
    return gas


def floor_data_gas(tx: Tx) -> int:
    """EIP-7623: the least gas a transaction with this calldata may be charged."""
    zeros = tx.data.count(0)
    return 21000 + 10 * (zeros + 4 * (len(tx.data) - zeros))
