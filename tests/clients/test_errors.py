"""The JSON-RPC and HTTP errors a real client sees, checked on the raw bytes over HTTP.

web3.py turns error objects into exceptions and hides HTTP statuses, so these tests
talk to the node with ``requests``. Every expected text is geth 1.16's, word for word:
client libraries classify errors by matching these strings.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from client_helpers import CHAIN_ID, DEV, DEV_KEYS, FRESH, GWEI, selector
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from mocknode import MockNode

TIMEOUT = 10
MAX_BODY = 5 * 1024 * 1024  # geth's default HTTP body limit
SERVER_ERROR = -32000

# A key no test funds: its balance is 0 at every block.
BROKE = Account.from_key(keccak(text="mocknode broke account"))


def post(node: MockNode, body: bytes, content_type: str = "application/json") -> requests.Response:
    return requests.post(
        node.http_url, data=body, headers={"Content-Type": content_type}, timeout=TIMEOUT
    )


def rpc(node: MockNode, method: str, params: list[Any], request_id: Any = 1) -> dict[str, Any]:
    payload = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
    response = post(node, json.dumps(payload).encode())
    # geth answers JSON-RPC errors with HTTP 200.
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def rpc_result(node: MockNode, method: str, params: list[Any]) -> Any:
    body = rpc(node, method, params)
    assert "error" not in body, body
    return body["result"]


def rpc_error(node: MockNode, method: str, params: list[Any]) -> dict[str, Any]:
    body = rpc(node, method, params)
    assert "result" not in body, body
    assert body["jsonrpc"] == "2.0"
    assert body["id"] == 1
    return body["error"]


def nonce_of(node: MockNode, address: str) -> int:
    return int(rpc_result(node, "eth_getTransactionCount", [address, "latest"]), 16)


def sign(key: Any, **fields: Any) -> str:
    tx = {
        "type": 2,
        "chainId": CHAIN_ID,
        "to": DEV[9],
        "value": 1,
        "gas": 21000,
        "maxFeePerGas": 10 * GWEI,
        "maxPriorityFeePerGas": GWEI,
        "data": b"",
        **fields,
    }
    return Account.sign_transaction(tx, key.key).raw_transaction.to_0x_hex()


def send_raw(node: MockNode, raw_tx: str) -> dict[str, Any]:
    return rpc(node, "eth_sendRawTransaction", [raw_tx])


def pool_error(message: str) -> dict[str, Any]:
    """A txpool rejection: geth returns plain Go errors, so code -32000 and no data."""
    return {"code": SERVER_ERROR, "message": message}


# -- transaction pool ------------------------------------------------------------------


def test_nonce_too_low(node: MockNode) -> None:
    key = DEV_KEYS[6]
    nonce = nonce_of(node, key.address)
    rpc_result(node, "eth_sendTransaction", [{"from": key.address, "to": DEV[7], "value": "0x1"}])
    body = send_raw(node, sign(key, nonce=nonce))
    assert body["error"] == pool_error(f"nonce too low: next nonce {nonce + 1}, tx nonce {nonce}")


def test_insufficient_funds_empty_account(node: MockNode) -> None:
    raw_tx = sign(BROKE, nonce=0, value=1, gas=21000, maxFeePerGas=2 * GWEI)
    cost = 21000 * 2 * GWEI + 1
    assert send_raw(node, raw_tx)["error"] == pool_error(
        f"insufficient funds for gas * price + value: balance 0, tx cost {cost}, overshot {cost}"
    )


def test_insufficient_funds_value_above_balance(node: MockNode) -> None:
    key = DEV_KEYS[8]
    balance = int(rpc_result(node, "eth_getBalance", [key.address, "latest"]), 16)
    value = balance + 1
    raw_tx = sign(key, nonce=nonce_of(node, key.address), value=value)
    # The cost is gas * feeCap + value (the fee cap, not the effective price).
    cost = 21000 * 10 * GWEI + value
    assert send_raw(node, raw_tx)["error"] == pool_error(
        f"insufficient funds for gas * price + value: balance {balance}, tx cost {cost}, "
        f"overshot {cost - balance}"
    )


def test_intrinsic_gas_too_low(node: MockNode) -> None:
    key = DEV_KEYS[5]
    raw_tx = sign(key, nonce=nonce_of(node, key.address), gas=20999)
    assert send_raw(node, raw_tx)["error"] == pool_error(
        "intrinsic gas too low: gas 20999, minimum needed 21000"
    )
    # Calldata counts: 5 non-zero bytes (16 gas each) and 2 zero bytes (4 each).
    raw_tx = sign(key, nonce=nonce_of(node, key.address), gas=21000, data="0x0102030400ff" + "00")
    assert send_raw(node, raw_tx)["error"] == pool_error(
        "intrinsic gas too low: gas 21000, minimum needed 21088"
    )


def test_exceeds_block_gas_limit(node: MockNode) -> None:
    key = DEV_KEYS[5]
    gas_limit = int(rpc_result(node, "eth_getBlockByNumber", ["latest", False])["gasLimit"], 16)
    raw_tx = sign(key, nonce=nonce_of(node, key.address), gas=gas_limit + 1, maxFeePerGas=GWEI * 2)
    assert send_raw(node, raw_tx)["error"] == pool_error("exceeds block gas limit")


def test_tip_above_fee_cap(node: MockNode) -> None:
    key = DEV_KEYS[5]
    raw_tx = sign(
        key, nonce=nonce_of(node, key.address), maxFeePerGas=2 * GWEI, maxPriorityFeePerGas=3 * GWEI
    )
    assert send_raw(node, raw_tx)["error"] == pool_error(
        "max priority fee per gas higher than max fee per gas"
    )


def test_wrong_chain_id(node: MockNode) -> None:
    key = DEV_KEYS[5]
    raw_tx = sign(key, nonce=nonce_of(node, key.address), chainId=1)
    # geth 1.16 core/txpool/validation.go: fmt.Errorf("%w: %v", ErrInvalidSender, err).
    assert send_raw(node, raw_tx)["error"] == pool_error(
        f"invalid sender: invalid chain id for signer: have 1 want {CHAIN_ID}"
    )


def test_already_known_while_pending(node: MockNode, start_block: int) -> None:
    key = DEV_KEYS[2]
    nonce = nonce_of(node, key.address)
    # A nonce gap keeps the transaction in the pool, unmined.
    gapped = sign(key, nonce=nonce + 1)
    tx_hash = "0x" + keccak(bytes.fromhex(gapped[2:])).hex()
    assert send_raw(node, gapped) == {"jsonrpc": "2.0", "id": 1, "result": tx_hash}
    assert send_raw(node, gapped)["error"] == pool_error("already known")
    assert rpc_result(node, "eth_blockNumber", []) == hex(start_block)

    # Pending: no receipt (null, not an error); the transaction has no block yet.
    assert rpc(node, "eth_getTransactionReceipt", [tx_hash]) == {
        "jsonrpc": "2.0",
        "id": 1,
        "result": None,
    }
    pending = rpc_result(node, "eth_getTransactionByHash", [tx_hash])
    assert pending["blockHash"] is None
    assert pending["blockNumber"] is None
    assert pending["transactionIndex"] is None
    assert pending["gasPrice"] == pending["maxFeePerGas"] == hex(10 * GWEI)

    # Filling the gap mines both, in nonce order, one block each.
    send_raw(node, sign(key, nonce=nonce))
    assert rpc_result(node, "eth_blockNumber", []) == hex(start_block + 2)
    receipt = rpc_result(node, "eth_getTransactionReceipt", [tx_hash])
    assert receipt["blockNumber"] == hex(start_block + 2)
    assert receipt["status"] == "0x1"


def test_resending_a_mined_transaction(node: MockNode) -> None:
    key = DEV_KEYS[2]
    nonce = nonce_of(node, key.address)
    raw_tx = sign(key, nonce=nonce)
    assert "result" in send_raw(node, raw_tx)
    # geth's pool only knows pooled hashes ("already known"); a mined transaction is no
    # longer pooled, so it fails the state nonce check instead.
    assert send_raw(node, raw_tx)["error"] == pool_error(
        f"nonce too low: next nonce {nonce + 1}, tx nonce {nonce}"
    )


def test_replacement_underpriced(node: MockNode, start_block: int) -> None:
    key = DEV_KEYS[3]
    nonce = nonce_of(node, key.address) + 1  # gap: stays pending
    first = sign(key, nonce=nonce, maxFeePerGas=10 * GWEI, maxPriorityFeePerGas=2 * GWEI)
    first_hash = send_raw(node, first)["result"]

    # Less than geth's 10% bump, in both or in either fee field: refused.
    for fee_cap, tip in [
        (10_500_000_000, 2_100_000_000),
        (11 * GWEI, 2 * GWEI),
        (10 * GWEI, 2_200_000_000),
    ]:
        body = send_raw(
            node, sign(key, nonce=nonce, maxFeePerGas=fee_cap, maxPriorityFeePerGas=tip)
        )
        assert body["error"] == pool_error("replacement transaction underpriced"), (fee_cap, tip)

    # Exactly +10% in both replaces it.
    second = sign(key, nonce=nonce, maxFeePerGas=11 * GWEI, maxPriorityFeePerGas=2_200_000_000)
    second_hash = send_raw(node, second)["result"]
    assert second_hash != first_hash
    assert rpc_result(node, "eth_getTransactionByHash", [first_hash]) is None
    assert rpc_result(node, "eth_getTransactionByHash", [second_hash])["maxFeePerGas"] == hex(
        11 * GWEI
    )
    assert rpc_result(node, "eth_blockNumber", []) == hex(start_block)


# -- envelope and parameters -----------------------------------------------------------


def test_unknown_method(node: MockNode) -> None:
    response = post(node, b'{"jsonrpc":"2.0","id":7,"method":"eth_foo","params":[]}')
    assert response.status_code == 200
    assert response.content.rstrip(b"\n") == (
        b'{"jsonrpc":"2.0","id":7,"error":{"code":-32601,'
        b'"message":"the method eth_foo does not exist/is not available"}}'
    )


def test_subscribe_over_http(node: MockNode) -> None:
    # geth: rpc.ErrNotificationsUnsupported.
    assert rpc_error(node, "eth_subscribe", ["newHeads"]) == {
        "code": -32601,
        "message": "notifications not supported",
    }


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        ("eth_getBalance", [DEV[0]], "missing value for required argument 1"),
        ("eth_getCode", [DEV[0]], "missing value for required argument 1"),
        ("eth_getBlockByNumber", ["latest"], "missing value for required argument 1"),
        ("eth_getBlockByNumber", ["10", False], "invalid argument 0: hex string without 0x prefix"),
        ("eth_getBalance", [DEV[0], "10"], "invalid argument 1: hex string without 0x prefix"),
        (
            "eth_getBlockByNumber",
            ["0x01", False],
            "invalid argument 0: hex number with leading zero digits",
        ),
        (
            # hexutil wraps its decode errors for fixed-size types in json.UnmarshalTypeError.
            "eth_getBalance",
            [DEV[0][2:], "latest"],
            "invalid argument 0: json: cannot unmarshal hex string without 0x prefix "
            "into Go value of type common.Address",
        ),
        (
            "eth_getTransactionByHash",
            ["0x1234"],
            "invalid argument 0: hex string has length 4, want 64 for common.Hash",
        ),
        ("eth_blockNumber", ["0x1"], "too many arguments, want at most 0"),
    ],
)
def test_invalid_params(node: MockNode, method: str, params: list[Any], message: str) -> None:
    assert rpc_error(node, method, params) == {"code": -32602, "message": message}


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("eth_getBalance", [DEV[0], "BLOCK"]),
        ("eth_getTransactionCount", [DEV[0], "BLOCK"]),
        ("eth_getCode", [DEV[0], "BLOCK"]),
        ("eth_call", [{"to": DEV[1]}, "BLOCK"]),
    ],
)
def test_header_not_found_for_future_block(
    node: MockNode, start_block: int, method: str, params: list[Any]
) -> None:
    future = hex(start_block + 1000)
    params = [future if p == "BLOCK" else p for p in params]
    assert rpc_error(node, method, params) == {"code": SERVER_ERROR, "message": "header not found"}


def test_revert_error_bytes(node: MockNode, greeter_artifact: dict[str, Any]) -> None:
    data = greeter_artifact["bytecode"] + encode(["string"], ["hi"]).hex()
    tx_hash = rpc_result(node, "eth_sendTransaction", [{"from": DEV[0], "data": data}])
    address = rpc_result(node, "eth_getTransactionReceipt", [tx_hash])["contractAddress"]
    call = {"to": address, "data": "0x" + selector("fail()").hex()}
    payload = {"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [call, "latest"]}
    response = post(node, json.dumps(payload).encode())
    reason = "0x08c379a0" + encode(["string"], ["Greeter: always fails"]).hex()
    assert response.status_code == 200
    assert response.content.rstrip(b"\n") == (
        b'{"jsonrpc":"2.0","id":1,"error":{"code":3,'
        b'"message":"execution reverted: Greeter: always fails",'
        b'"data":"' + reason.encode() + b'"}}'
    )


# -- HTTP transport --------------------------------------------------------------------


def test_malformed_json_then_next_request(node: MockNode) -> None:
    response = post(node, b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId",')
    assert response.status_code == 200
    assert response.content.rstrip(b"\n") == (
        b'{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}'
    )
    assert rpc_result(node, "eth_chainId", []) == "0x7a69"


def test_body_over_limit_then_next_request(node: MockNode) -> None:
    filler = "0x" + "00" * (3 * 1024 * 1024)  # 6 MiB of hex
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [{"data": filler}]}
    ).encode()
    assert len(body) > 6 * 1024 * 1024
    response = post(node, body)
    assert response.status_code == 413
    assert response.text == f"content length too large ({len(body)}>{MAX_BODY})\n"
    assert rpc_result(node, "eth_chainId", []) == "0x7a69"


def test_body_at_limit_is_accepted(node: MockNode) -> None:
    head = b'{"jsonrpc":"2.0","id":1,"method":"web3_sha3","params":["0x'
    tail = b'"]}'
    hex_len = (MAX_BODY - len(head) - len(tail)) // 2 * 2
    body = head + b"ab" * (hex_len // 2) + tail
    assert len(body) <= MAX_BODY
    response = post(node, body)
    assert response.status_code == 200
    expected = "0x" + keccak(b"\xab" * (hex_len // 2)).hex()
    assert response.json()["result"] == expected


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_wrong_content_type(node: MockNode, content_type: str) -> None:
    response = post(node, b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}', content_type)
    assert response.status_code == 415
    assert response.text == "invalid content type, only application/json is supported\n"
    assert rpc_result(node, "eth_chainId", []) == "0x7a69"


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/json-rpc"]
)
def test_accepted_content_types(node: MockNode, content_type: str) -> None:
    response = post(node, b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}', content_type)
    assert response.status_code == 200
    assert response.json() == {"jsonrpc": "2.0", "id": 1, "result": "0x7a69"}


def test_put_is_not_allowed(node: MockNode) -> None:
    response = requests.put(
        node.http_url,
        data=b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}',
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 405


def test_batch_answers_in_request_order(node: MockNode) -> None:
    batch = [
        {"jsonrpc": "2.0", "id": 3, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 1, "method": "net_version", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_foo", "params": []},
        {"jsonrpc": "2.0", "method": "eth_blockNumber", "params": []},  # notification
        {"jsonrpc": "2.0", "id": "x", "method": "eth_getBalance", "params": [FRESH, "0x0"]},
    ]
    response = post(node, json.dumps(batch).encode())
    assert response.status_code == 200
    assert response.json() == [
        {"jsonrpc": "2.0", "id": 3, "result": "0x7a69"},
        {"jsonrpc": "2.0", "id": 1, "result": "31337"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "error": {
                "code": -32601,
                "message": "the method eth_foo does not exist/is not available",
            },
        },
        {"jsonrpc": "2.0", "id": "x", "result": "0x0"},
    ]


def test_empty_batch(node: MockNode) -> None:
    response = post(node, b"[]")
    assert response.status_code == 200
    assert response.json() == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32600, "message": "empty batch"},
    }
