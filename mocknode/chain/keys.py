"""Dev accounts: BIP-39 seed and BIP-32 derivation along ``m/44'/60'/0'/0/i``.

Every tool in this field derives its dev accounts from the same mnemonic, so tests and
tutorials share well-known keys. The derivation is a few lines of HMAC and secp256k1
arithmetic; coincurve does the curve work. Results are cached per (mnemonic, count)
because the PBKDF2 stretch costs milliseconds and nodes start often in a test session.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import coincurve

from mocknode.chain.hashing import keccak
from mocknode.types import Address

DEFAULT_MNEMONIC = "test test test test test test test test test test test junk"
DEFAULT_PATH_PREFIX = "m/44'/60'/0'/0"
_HARDENED = 0x80000000
_CURVE_ORDER = int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", 16)


@dataclass(frozen=True, slots=True)
class DevAccount:
    """A funded account whose key the node holds, so it can sign for it."""

    address: Address
    private_key: bytes


def address_of_key(private_key: bytes) -> Address:
    public = coincurve.PublicKey.from_secret(private_key).format(compressed=False)[1:]
    return Address(keccak(public)[12:])


def _seed(mnemonic: str, passphrase: str = "") -> bytes:
    words = unicodedata.normalize("NFKD", " ".join(mnemonic.split()))
    salt = unicodedata.normalize("NFKD", "mnemonic" + passphrase)
    return hashlib.pbkdf2_hmac("sha512", words.encode(), salt.encode(), 2048)


def _parse_path(path: str) -> list[int]:
    parts = path.split("/")
    if parts[0] != "m":
        raise ValueError(f"derivation path must start with 'm': {path!r}")
    indices = []
    for part in parts[1:]:
        hardened = part.endswith("'")
        index = int(part[:-1] if hardened else part)
        indices.append(index + _HARDENED if hardened else index)
    return indices


def _derive(seed: bytes, indices: list[int]) -> bytes:
    digest = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
    key, chain_code = digest[:32], digest[32:]
    for index in indices:
        if index & _HARDENED:
            data = b"\x00" + key + index.to_bytes(4, "big")
        else:
            data = coincurve.PublicKey.from_secret(key).format(compressed=True)
            data += index.to_bytes(4, "big")
        digest = hmac.new(chain_code, data, hashlib.sha512).digest()
        child = (int.from_bytes(digest[:32], "big") + int.from_bytes(key, "big")) % _CURVE_ORDER
        key, chain_code = child.to_bytes(32, "big"), digest[32:]
    return key


@lru_cache(maxsize=16)
def derive_accounts(
    mnemonic: str = DEFAULT_MNEMONIC, count: int = 10, path_prefix: str = DEFAULT_PATH_PREFIX
) -> tuple[DevAccount, ...]:
    """The first ``count`` accounts of ``mnemonic`` along ``path_prefix/i``."""
    seed = _seed(mnemonic)
    base = _parse_path(path_prefix)
    accounts = []
    for i in range(count):
        key = _derive(seed, [*base, i])
        accounts.append(DevAccount(address_of_key(key), key))
    return tuple(accounts)
