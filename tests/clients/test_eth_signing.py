"""Signing with the dev accounts through web3.py over every transport: eth_sign,
personal_sign, eth_signTransaction, EIP-712 typed data, EIP-7702 sends.

Signatures are deterministic (RFC 6979), so each is compared byte for byte with what
eth-account produces from the same key, and recovered to the dev account.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import requests
from client_helpers import (
    CHAIN_ID,
    DEV,
    DEV_KEYS,
    FRESH,
    GWEI,
    aw,
    is_async,
    raw,
    raw_error,
    raw_result,
)
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak, to_checksum_address

from mocknode import MockNode

UNKNOWN = to_checksum_address("0x" + "77" * 20)

# EIP-712's example, with v4's arrays of structs added.
MAIL: dict[str, Any] = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "version", "type": "string"},
            {"name": "chainId", "type": "uint256"},
            {"name": "verifyingContract", "type": "address"},
        ],
        "Person": [{"name": "name", "type": "string"}, {"name": "wallets", "type": "address[]"}],
        "Mail": [
            {"name": "from", "type": "Person"},
            {"name": "to", "type": "Person[]"},
            {"name": "contents", "type": "string"},
            {"name": "amounts", "type": "uint256[2]"},
        ],
    },
    "primaryType": "Mail",
    "domain": {
        "name": "Ether Mail",
        "version": "1",
        "chainId": CHAIN_ID,
        "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
    },
    "message": {
        "from": {"name": "Cow", "wallets": ["0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"]},
        "to": [
            {"name": "Bob", "wallets": ["0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB", DEV[3]]},
            {"name": "Eve", "wallets": []},
        ],
        "contents": "Hello, Bob!",
        "amounts": [1, "0x" + "ff" * 32],
    },
}


@pytest.mark.asyncio
async def test_eth_sign_and_personal_sign(w3: Any) -> None:
    expected = bytes(Account.sign_message(encode_defunct(text="hello"), DEV_KEYS[0].key).signature)
    signature = await aw(w3.eth.sign(DEV[0], text="hello"))
    assert bytes(signature) == expected
    assert signature[64] in (27, 28)
    data = "0x" + b"hello".hex()
    assert await raw_result(w3, "eth_sign", [DEV[0], data]) == "0x" + expected.hex()
    assert await raw_result(w3, "personal_sign", [data, DEV[0].lower()]) == "0x" + expected.hex()
    recovered = Account.recover_message(encode_defunct(text="hello"), signature=expected)
    assert recovered == DEV[0]
    empty = bytes(Account.sign_message(encode_defunct(b""), DEV_KEYS[4].key).signature)
    assert await raw_result(w3, "personal_sign", ["0x", DEV[4]]) == "0x" + empty.hex()


@pytest.mark.asyncio
async def test_sign_typed_data(w3: Any) -> None:
    expected = bytes(Account.sign_typed_data(DEV_KEYS[1].key, full_message=MAIL).signature)
    # web3.py sends the document as an object to eth_signTypedData. (AsyncWeb3's
    # sign_typed_data fails before sending: its ENS munger iterates a dict's values as
    # pairs, a web3.py 8 bug; the async providers send the same request directly.)
    if is_async(w3):
        signature = await raw_result(w3, "eth_signTypedData", [DEV[1], MAIL])
        assert signature == "0x" + expected.hex()
    else:
        assert bytes(w3.eth.sign_typed_data(DEV[1], MAIL)) == expected
    # ethers and viem send it as a JSON string to eth_signTypedData_v4.
    as_text = json.dumps(MAIL)
    assert await raw_result(w3, "eth_signTypedData_v4", [DEV[1], as_text]) == "0x" + expected.hex()
    bad = copy.deepcopy(MAIL)
    bad["message"]["amounts"] = [1, -1]
    assert await raw_error(w3, "eth_signTypedData_v4", [DEV[1], bad]) == {
        "code": -32000,
        "message": "invalid negative value for unsigned type uint256",
    }
    assert await raw_error(w3, "eth_signTypedData_v4", [DEV[1], 5]) == {
        "code": -32602,
        "message": "invalid argument 1: json: cannot unmarshal number into Go value of type "
        "apitypes.TypedData",
    }


@pytest.mark.asyncio
async def test_sign_transaction_returns_geths_raw_and_tx(w3: Any) -> None:
    nonce = await aw(w3.eth.get_transaction_count(DEV[2]))
    fields = {
        "from": DEV[2],
        "to": DEV[3],
        "value": 12345,
        "gas": 21000,
        "maxFeePerGas": 3 * GWEI,
        "maxPriorityFeePerGas": GWEI,
        "nonce": nonce,
        "chainId": CHAIN_ID,
    }
    signed = await aw(w3.eth.sign_transaction(fields))
    unsigned = {k: v for k, v in fields.items() if k != "from"}
    local = Account.sign_transaction({**unsigned, "type": 2}, DEV_KEYS[2].key)
    assert bytes(signed["raw"]) == bytes(local.raw_transaction)
    assert Account.recover_transaction(signed["raw"]) == DEV[2]
    answer = await raw_result(
        w3,
        "eth_signTransaction",
        [
            {
                "from": DEV[2],
                "to": DEV[3],
                "value": hex(12345),
                "gas": "0x5208",
                "maxFeePerGas": hex(3 * GWEI),
                "maxPriorityFeePerGas": hex(GWEI),
                "nonce": hex(nonce),
            }
        ],
    )
    assert list(answer) == ["raw", "tx"]
    assert list(answer["tx"]) == [
        "type",
        "chainId",
        "nonce",
        "to",
        "gas",
        "gasPrice",
        "maxPriorityFeePerGas",
        "maxFeePerGas",
        "value",
        "input",
        "accessList",
        "v",
        "r",
        "s",
        "yParity",
        "hash",
    ]
    assert answer["tx"]["gasPrice"] is None
    assert answer["tx"]["to"] == DEV[3].lower()
    assert answer["tx"]["hash"] == "0x" + keccak(bytes(signed["raw"])).hex()
    assert answer["raw"] == "0x" + bytes(local.raw_transaction).hex()
    # Nothing was sent; the raw transaction sends as is.
    assert await aw(w3.eth.get_transaction_count(DEV[2])) == nonce
    tx_hash = await aw(w3.eth.send_raw_transaction(signed["raw"]))
    receipt = await aw(w3.eth.get_transaction_receipt(tx_hash))
    assert receipt["status"] == 1


@pytest.mark.asyncio
async def test_sign_legacy_transaction(w3: Any) -> None:
    args = {"from": DEV[2], "to": FRESH, "gas": "0x5208", "gasPrice": hex(2 * GWEI), "nonce": "0x7"}
    answer = await raw_result(w3, "eth_signTransaction", [args])
    local = Account.sign_transaction(
        {
            "to": FRESH,
            "gas": 21000,
            "gasPrice": 2 * GWEI,
            "nonce": 7,
            "value": 0,
            "chainId": CHAIN_ID,
        },
        DEV_KEYS[2].key,
    )
    assert answer["raw"] == "0x" + bytes(local.raw_transaction).hex()
    assert list(answer["tx"])[:9] == [
        "type",
        "chainId",
        "nonce",
        "to",
        "gas",
        "gasPrice",
        "maxPriorityFeePerGas",
        "maxFeePerGas",
        "value",
    ]
    assert answer["tx"]["maxFeePerGas"] is None
    assert answer["tx"]["v"] == hex(local.v)  # EIP-155: chainId * 2 + 35 + parity
    assert "yParity" not in answer["tx"]


# -- errors over HTTP, on the raw bytes ---------------------------------------------------


def rpc_error(node: MockNode, method: str, params: list[Any]) -> dict[str, Any]:
    payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    body = requests.post(node.http_url, json=payload, timeout=10).json()
    assert "result" not in body, body
    return dict(body["error"])


FULL_TX = {
    "from": DEV[0],
    "to": DEV[1],
    "gas": "0x5208",
    "maxFeePerGas": "0x77359400",
    "maxPriorityFeePerGas": "0x1",
    "nonce": "0x0",
}


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("gas", "gas not specified"),
        ("maxFeePerGas", "missing gasPrice or maxFeePerGas/maxPriorityFeePerGas"),
        ("maxPriorityFeePerGas", "missing gasPrice or maxFeePerGas/maxPriorityFeePerGas"),
        ("nonce", "nonce not specified"),
        ("from", "unknown account"),
    ],
)
def test_sign_transaction_requires_what_geth_requires(
    node: MockNode, missing: str, message: str
) -> None:
    args = {k: v for k, v in FULL_TX.items() if k != missing}
    assert rpc_error(node, "eth_signTransaction", [args]) == {"code": -32000, "message": message}


def test_sign_transaction_fills_defaults_before_it_looks_for_the_key(node: MockNode) -> None:
    # geth's SignTransaction runs setDefaults, then asks the wallet: a bad default wins.
    args = {**FULL_TX, "from": UNKNOWN, "chainId": "0x1"}
    assert rpc_error(node, "eth_signTransaction", [args]) == {
        "code": -32000,
        "message": "chainId does not match node's (have=1, want=31337)",
    }
    both = {**FULL_TX, "gasPrice": "0x1"}
    assert rpc_error(node, "eth_signTransaction", [both]) == {
        "code": -32000,
        "message": "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified",
    }


def test_unknown_accounts_sign_nothing(node: MockNode) -> None:
    unknown = {"code": -32000, "message": "unknown account"}
    assert rpc_error(node, "eth_sign", [UNKNOWN, "0x00"]) == unknown
    assert rpc_error(node, "personal_sign", ["0x00", UNKNOWN]) == unknown
    assert rpc_error(node, "eth_signTypedData", [UNKNOWN, MAIL]) == unknown
    assert rpc_error(node, "eth_signTypedData_v4", [UNKNOWN, {}]) == unknown
    assert rpc_error(node, "eth_signTransaction", [{**FULL_TX, "from": UNKNOWN}]) == unknown
    assert rpc_error(node, "eth_sign", [DEV[0], "hello"]) == {
        "code": -32602,
        "message": "invalid argument 1: json: cannot unmarshal hex string without 0x prefix "
        "into Go value of type hexutil.Bytes",
    }


# -- EIP-7702 -----------------------------------------------------------------------------

DELEGATE = to_checksum_address("0x" + "d7" * 20)  # any address: the code that would run


async def code_of(w3: Any, address: str) -> bytes:
    return bytes(await aw(w3.eth.get_code(address)))


@pytest.mark.asyncio
async def test_send_with_an_authorization_signed_by_a_dev_key(w3: Any) -> None:
    authority = DEV_KEYS[5]
    auth_nonce = await aw(w3.eth.get_transaction_count(authority.address))
    signed = Account.sign_authorization(
        {"chainId": CHAIN_ID, "address": DELEGATE, "nonce": auth_nonce}, authority.key
    )
    tx_hash = await aw(
        w3.eth.send_transaction(
            {"from": DEV[4], "to": authority.address, "value": 0, "authorizationList": [signed]}
        )
    )
    receipt = await aw(w3.eth.get_transaction_receipt(tx_hash))
    assert receipt["status"] == 1
    assert receipt["type"] == 4
    assert await code_of(w3, authority.address) == b"\xef\x01\x00" + bytes.fromhex(DELEGATE[2:])
    assert await aw(w3.eth.get_transaction_count(authority.address)) == auth_nonce + 1
    tx = await raw_result(w3, "eth_getTransactionByHash", ["0x" + bytes(tx_hash).hex()])
    assert tx["type"] == "0x4"
    assert tx["authorizationList"] == [
        {
            "chainId": hex(CHAIN_ID),
            "address": DELEGATE.lower(),
            "nonce": hex(auth_nonce),
            "yParity": hex(signed.y_parity),
            "r": hex(signed.r),
            "s": hex(signed.s),
        }
    ]
    # The authorization costs 25,000 (the estimate included it); the authority existed, so
    # 12,500 is refunded, capped at a fifth of the gas used: 46,000 - 9,200.
    assert receipt["gasUsed"] == 36_800


@pytest.mark.asyncio
async def test_an_unsigned_authorization_is_signed_by_the_sender(w3: Any) -> None:
    # A mocknode extension: with no yParity/r/s the node signs for the sender, for its
    # nonce after this transaction (a self-sponsored delegation).
    sender = DEV[6]
    nonce = await aw(w3.eth.get_transaction_count(sender))
    answer = await raw(
        w3,
        "eth_sendTransaction",
        [{"from": sender, "to": sender, "authorizationList": [{"address": DELEGATE}]}],
    )
    tx = await raw_result(w3, "eth_getTransactionByHash", [answer["result"]])
    (auth,) = tx["authorizationList"]
    assert (auth["chainId"], auth["nonce"], auth["address"]) == (
        hex(CHAIN_ID),
        hex(nonce + 1),
        DELEGATE.lower(),
    )
    assert await code_of(w3, sender) == b"\xef\x01\x00" + bytes.fromhex(DELEGATE[2:])
    assert await aw(w3.eth.get_transaction_count(sender)) == nonce + 2
    local = Account.sign_authorization(
        {"chainId": CHAIN_ID, "address": DELEGATE, "nonce": nonce + 1}, DEV_KEYS[6].key
    )
    assert (int(auth["r"], 16), int(auth["s"], 16)) == (local.r, local.s)


def test_calls_need_signed_authorizations(node: MockNode) -> None:
    assert rpc_error(
        node,
        "eth_estimateGas",
        [{"from": DEV[0], "to": DEV[0], "authorizationList": [{"address": DELEGATE}]}],
    ) == {
        "code": -32602,
        "message": "invalid argument 0: missing required field 'chainId' for SetCodeAuthorization",
    }
