"""Our transaction codec against eth-account's signing, for every supported type."""

from __future__ import annotations

import pytest
from eth_account import Account

from mocknode.chain.tx import codec as txcodec
from mocknode.chain.tx.keys import derive_accounts

KEY = derive_accounts()[0].private_key
SENDER = derive_accounts()[0].address
TO = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

CASES = {
    "legacy-eip155": {
        "nonce": 3,
        "gasPrice": 10**9,
        "gas": 21000,
        "to": TO,
        "value": 5,
        "data": b"",
        "chainId": 31337,
    },
    "legacy-unprotected": {
        "nonce": 0,
        "gasPrice": 10**11,
        "gas": 100000,
        "to": None,
        "value": 0,
        "data": b"\x60\x00",
    },
    "access-list": {
        "type": 1,
        "nonce": 1,
        "gasPrice": 2 * 10**9,
        "gas": 50000,
        "to": TO,
        "value": 0,
        "data": b"\x01\x02",
        "chainId": 31337,
        "accessList": [{"address": TO, "storageKeys": ["0x" + "11" * 32]}],
    },
    "dynamic-fee": {
        "type": 2,
        "nonce": 7,
        "maxFeePerGas": 3 * 10**9,
        "maxPriorityFeePerGas": 10**9,
        "gas": 21000,
        "to": TO,
        "value": 10**18,
        "data": b"",
        "chainId": 31337,
        "accessList": [],
    },
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_decodes_what_eth_account_signs(name: str) -> None:
    fields = dict(CASES[name])
    if fields.get("to") is None:
        fields.pop("to")
    signed = Account.sign_transaction(fields, KEY)
    tx = txcodec.decode(bytes(signed.raw_transaction))
    assert tx.hash == bytes(signed.hash)
    assert tx.sender == SENDER
    assert tx.nonce == fields["nonce"]
    assert tx.value == fields["value"]
    assert tx.raw == bytes(signed.raw_transaction)
    assert txcodec.encode_signed(tx) == tx.raw


def test_signing_matches_eth_account() -> None:
    ours = txcodec.sign(
        private_key=KEY,
        sender=SENDER,
        chain_id=31337,
        tx_type=2,
        nonce=7,
        gas=21000,
        to=bytes.fromhex(TO[2:]),
        value=10**18,
        data=b"",  # type: ignore[arg-type]
        max_fee_per_gas=3 * 10**9,
        max_priority_fee_per_gas=10**9,
    )
    theirs = Account.sign_transaction(CASES["dynamic-fee"], KEY)
    assert ours.raw == bytes(theirs.raw_transaction)
    assert ours.hash == bytes(theirs.hash)


def test_set_code_transaction_round_trip() -> None:
    auth = Account.sign_authorization({"chainId": 31337, "address": TO, "nonce": 1}, KEY)
    signed = Account.sign_transaction(
        {
            "type": 4,
            "chainId": 31337,
            "nonce": 0,
            "maxFeePerGas": 3 * 10**9,
            "maxPriorityFeePerGas": 10**9,
            "gas": 100000,
            "to": TO,
            "value": 0,
            "data": b"",
            "accessList": [],
            "authorizationList": [auth],
        },
        KEY,
    )
    tx = txcodec.decode(bytes(signed.raw_transaction))
    assert tx.type == 4
    assert tx.authorization_list[0].address == bytes.fromhex(TO[2:])
    assert tx.authorization_list[0].nonce == 1
    assert tx.hash == bytes(signed.hash)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "typed transaction too short"),
        (b"\x03\xc0", "unexpected EOF"),
        (b"\x05\xc0", "transaction type not supported"),
        (b"\x02\xc1\x80", "rlp: wrong number of elements for type 2 transaction"),
        (b"\xc0", "rlp: too few elements for types.LegacyTx"),
        (b"\x02\xff", "rlp: value size exceeds available input length"),
    ],
)
def test_malformed_bytes_get_gethlike_errors(raw: bytes, message: str) -> None:
    with pytest.raises(
        txcodec.TxDecodeError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"
    ):
        txcodec.decode(raw)


def test_high_s_signature_is_an_invalid_sender() -> None:
    signed = Account.sign_transaction(CASES["dynamic-fee"], KEY)
    tx = txcodec.decode(bytes(signed.raw_transaction))
    flipped = txcodec.SECP256K1_N - tx.s
    from mocknode.values import replace

    forged = replace(tx, s=flipped, v=1 - tx.v)
    with pytest.raises(txcodec.TxDecodeError, match="invalid sender"):
        txcodec.decode(txcodec.encode_signed(forged))
