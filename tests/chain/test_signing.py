"""Signing helpers against eth-account: EIP-191 text, the 65-byte signature, EIP-7702
authorization digests and signatures (RFC 6979 makes every signature deterministic, so
they must match byte for byte)."""

from __future__ import annotations

from chain_helpers import DEV
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_defunct

from mocknode.chain.tx.authorizations import authorization_hash, sign_authorization
from mocknode.chain.tx.codec import recover_address
from mocknode.chain.tx.messages import sign_digest, text_hash
from mocknode.types import Address

KEY = DEV[1].private_key
TARGET = Address(bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3"))


def test_text_hash_is_eip_191() -> None:
    for data in (b"", b"hello", bytes(range(200))):
        assert text_hash(data) == _hash_eip191_message(encode_defunct(primitive=data))


def test_signatures_are_r_s_v_with_v_27_or_28() -> None:
    for data in (b"hello", b"\x00" * 33, b"another message"):
        ours = sign_digest(KEY, text_hash(data))
        theirs = Account.sign_message(encode_defunct(primitive=data), KEY).signature
        assert ours == bytes(theirs)
        assert ours[64] in (27, 28)


def test_authorizations_match_eth_account() -> None:
    for chain_id, nonce in ((31337, 0), (0, 7), (1, 2**40)):
        auth = sign_authorization(KEY, chain_id=chain_id, address=TARGET, nonce=nonce)
        theirs = Account.sign_authorization(
            {"chainId": chain_id, "address": "0x" + TARGET.hex(), "nonce": nonce}, KEY
        )
        assert authorization_hash(chain_id, TARGET, nonce) == bytes(theirs.authorization_hash)
        assert (auth.y_parity, auth.r, auth.s) == (theirs.y_parity, theirs.r, theirs.s)
        digest = authorization_hash(chain_id, TARGET, nonce)
        assert recover_address(digest, auth.y_parity, auth.r, auth.s) == DEV[1].address
