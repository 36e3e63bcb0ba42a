"""keccak-256 and the hashes every chain starts from.

keccak sits under every trie node, header and address, so the fastest backend
available is taken directly: safe-pysha3's C implementation hashes a 100-byte input
in ~2 µs where eth-hash's default (pycryptodome) takes ~12 µs on the same machine.
RLP lives in :mod:`mocknode.chain.primitives.rlp`.
"""

from __future__ import annotations

from typing import Any

import sha3

_keccak_256 = sha3.keccak_256


def keccak(data: bytes) -> bytes:
    digest: bytes = _keccak_256(data).digest()
    return digest


EMPTY_RLP = b"\x80"
BLANK_ROOT = keccak(EMPTY_RLP)
EMPTY_CODE_HASH = keccak(b"")
EMPTY_LIST_HASH = keccak(b"\xc0")


def checksum_address(address: bytes) -> str:
    """EIP-55 mixed-case hex, as geth prints addresses inside error messages."""
    hex_address = address.hex()
    digest = keccak(hex_address.encode()).hex()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c
        for i, c in enumerate(hex_address)
    )


def secp256k1() -> Any:
    """coincurve, imported on first use: a node that only answers reads never needs the
    curve, and loading its C library costs ~11 ms and ~1 MB at start-up."""
    import coincurve

    return coincurve
