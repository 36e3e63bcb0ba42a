"""EIP-7702 authorizations: the digest an authority signs, and signing one with a dev key.

An authorization lets an account (its *authority*, recovered from the signature) run the
code of ``address``. The authority signs ``keccak(0x05 || rlp([chain_id, address,
nonce]))``; py-evm recovers it when the transaction executes and skips an authorization
whose signature, chain id or nonce does not fit, as the EIP says.
"""

from __future__ import annotations

from mocknode.chain.primitives import rlp
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.records import Authorization
from mocknode.chain.tx.codec import sign_hash
from mocknode.types import Address

__all__ = ["MAGIC", "authorization_hash", "sign_authorization"]

MAGIC = b"\x05"  # EIP-7702 SET_CODE_TX_MAGIC, the domain byte of an authorization digest


def authorization_hash(chain_id: int, address: Address, nonce: int) -> bytes:
    """The digest an authority signs."""
    body = rlp.encode_list(
        (rlp.encode_int(chain_id), rlp.encode_bytes(address), rlp.encode_int(nonce))
    )
    return keccak(MAGIC + body)


def sign_authorization(
    private_key: bytes, *, chain_id: int, address: Address, nonce: int
) -> Authorization:
    """An authorization by the account of ``private_key`` to run ``address``'s code."""
    y_parity, r, s = sign_hash(private_key, authorization_hash(chain_id, address, nonce))
    return Authorization(chain_id, address, nonce, y_parity, r, s)
