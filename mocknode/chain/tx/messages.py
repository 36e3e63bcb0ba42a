"""Signing messages with a dev key: EIP-191 text and the 65-byte signature clients expect.

``eth_sign`` and ``personal_sign`` sign ``keccak("\\x19Ethereum Signed Message:\\n" +
len(data) + data)`` (EIP-191 version 0x45, geth's accounts.TextHash); EIP-712 typed data
is hashed by :mod:`mocknode.rpc.typed_data` and signed the same way. Every one of them
answers ``r || s || v`` with ``v`` 27 or 28, as geth's Sign ("for legacy reasons") and
every wallet do.
"""

from __future__ import annotations

from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.tx.codec import sign_hash

__all__ = ["sign_digest", "text_hash"]

_PREFIX = b"\x19Ethereum Signed Message:\n"


def text_hash(data: bytes) -> bytes:
    """EIP-191's digest of ``data`` (its length in decimal, then the bytes)."""
    return keccak(_PREFIX + str(len(data)).encode() + data)


def sign_digest(private_key: bytes, digest: bytes) -> bytes:
    """``r || s || v`` over ``digest``, ``v`` = 27 + the recovery id."""
    y_parity, r, s = sign_hash(private_key, digest)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((27 + y_parity,))
