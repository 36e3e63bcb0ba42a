"""Helpers shared by the client tests: sync/async bridging, dev keys, small builders."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import rlp
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3.exceptions import Web3RPCError

CHAIN_ID = 31337
ETHER = 10**18
GWEI = 10**9
DEV_BALANCE = 10_000 * ETHER
MNEMONIC = "test test test test test test test test test test test junk"

Account.enable_unaudited_hdwallet_features()
DEV_KEYS = [Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(10)]
DEV = [acct.address for acct in DEV_KEYS]
assert DEV[0] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
assert DEV_KEYS[0].key.hex().removeprefix("0x") == (
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
)

# An address no test ever funds, so its balance is 0 at every block.
FRESH = to_checksum_address("0x" + "5a" * 20)

EMPTY_BLOOM = "0x" + "00" * 256


async def aw(value: Any) -> Any:
    """Await ``value`` if it is awaitable (AsyncWeb3), else return it (Web3)."""
    if inspect.isawaitable(value):
        return await value
    return value


def is_async(w3: Any) -> bool:
    return bool(w3.provider.is_async)


async def raw(w3: Any, method: str, params: list[Any]) -> dict[str, Any]:
    """The JSON-RPC response object exactly as the provider decoded it (no formatters)."""
    return dict(await aw(w3.provider.make_request(method, params)))


async def raw_result(w3: Any, method: str, params: list[Any]) -> Any:
    response = await raw(w3, method, params)
    assert "error" not in response, response
    return response["result"]


async def raw_error(w3: Any, method: str, params: list[Any]) -> dict[str, Any]:
    """The JSON-RPC ``error`` member the node answered ``method`` with.

    Goes through the request manager with no error formatters, so web3 raises its
    generic ``Web3RPCError`` carrying the response. Persistent providers need
    ``socket_request``: it registers the request before sending, whereas an error
    answering a bare ``provider.make_request`` is treated as stray by web3's listener.
    """
    try:
        if w3.provider.has_persistent_connection:
            result = await w3.manager.socket_request(method, params)
        elif is_async(w3):
            result = await w3.manager.coro_request(method, params)
        else:
            result = w3.manager.request_blocking(method, params)
    except Web3RPCError as exc:
        response = exc.rpc_response
    else:
        raise AssertionError(f"{method} succeeded with {result!r}; expected an error")
    assert response is not None
    return dict(response["error"])


async def run_batch(w3: Any, build: Callable[[Any], None]) -> list[Any]:
    """Run ``build(batch)`` inside ``w3.batch_requests()`` and execute it."""
    if is_async(w3):
        async with w3.batch_requests() as batch:
            build(batch)
            return list(await batch.async_execute())
    with w3.batch_requests() as batch:
        build(batch)
        return list(batch.execute())


def create_address(sender: str, nonce: int) -> str:
    sender_bytes = bytes.fromhex(sender.removeprefix("0x"))
    return to_checksum_address(keccak(rlp.encode([sender_bytes, nonce]))[12:])


def hexq(value: int) -> str:
    """A JSON-RPC QUANTITY."""
    return hex(value)


def greeter_factory(w3: Any, artifact: dict[str, Any]) -> Any:
    return w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])


async def deploy_greeter(
    w3: Any, artifact: dict[str, Any], greeting: str = "Hello"
) -> tuple[Any, Any]:
    """Deploy Greeter from dev account 0; returns (contract, receipt)."""
    factory = greeter_factory(w3, artifact)
    tx_hash = await aw(factory.constructor(greeting).transact({"from": DEV[0]}))
    receipt = await aw(w3.eth.get_transaction_receipt(tx_hash))
    assert receipt["status"] == 1
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
    return contract, receipt


def encode_revert_string(reason: str) -> str:
    """ABI-encoded ``Error(string)`` revert data, as 0x-hex."""
    from eth_abi import encode

    return "0x08c379a0" + encode(["string"], [reason]).hex()


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]
