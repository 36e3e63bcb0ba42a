"""Shared bits of the override, access-list and simulation tests: web3.py clients on the
session node over HTTP and IPC, raw JSON-RPC over HTTP, and small EVM programs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from web3 import HTTPProvider, IPCProvider, Web3

from mocknode import MockNode

DEV0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
DEV1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
TARGET = "0x1111111111111111111111111111111111111111"
OTHER = "0x2222222222222222222222222222222222222222"
POOR = "0x3333333333333333333333333333333333333333"

# RETURN(0, 32) after MSTORE(0, x): wraps a one-word result.
RETURN_WORD = "60005260206000f3"
NUMBER = "0x43" + RETURN_WORD
TIMESTAMP = "0x42" + RETURN_WORD
GASLIMIT = "0x45" + RETURN_WORD
COINBASE = "0x41" + RETURN_WORD
PREVRANDAO = "0x44" + RETURN_WORD
BASEFEE = "0x48" + RETURN_WORD
GAS = "0x5a" + RETURN_WORD
SELFBALANCE = "0x47" + RETURN_WORD
LOOP = "0x5b600056"  # JUMPDEST PUSH1 0 JUMP: runs until out of gas


def sload(slot: int) -> str:
    """SLOAD(slot) returned as a word."""
    return "0x60" + f"{slot:02x}" + "54" + RETURN_WORD


def word(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


def slot_key(slot: int) -> str:
    return "0x" + slot.to_bytes(32, "big").hex()


@pytest.fixture(params=["http", "ipc"])
def w3(request: pytest.FixtureRequest, node: MockNode) -> Iterator[Web3]:
    if request.param == "http":
        yield Web3(HTTPProvider(node.http_url, request_kwargs={"timeout": 30}))
        return
    assert node.ipc_path is not None
    provider = IPCProvider(node.ipc_path, timeout=30)
    try:
        yield Web3(provider)
    finally:
        sock = provider._socket.sock
        if sock is not None:
            sock.close()


def raw(node: MockNode, method: str, params: list[Any]) -> dict[str, Any]:
    """The whole JSON-RPC answer over HTTP, exactly as sent."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    answer: dict[str, Any] = requests.post(node.http_url, json=body, timeout=30).json()
    return answer


def result(node: MockNode, method: str, params: list[Any]) -> Any:
    answer = raw(node, method, params)
    assert "error" not in answer, answer
    return answer["result"]


def error(node: MockNode, method: str, params: list[Any]) -> dict[str, Any]:
    answer = raw(node, method, params)
    assert "result" not in answer, answer
    err: dict[str, Any] = answer["error"]
    return err


def chain_fingerprint(node: MockNode, addresses: list[str]) -> dict[str, Any]:
    """Everything overrides could touch, to check that they touched nothing."""
    out: dict[str, Any] = {"head": result(node, "eth_getBlockByNumber", ["latest", False])}
    for address in addresses:
        out[address] = (
            result(node, "eth_getBalance", [address, "latest"]),
            result(node, "eth_getTransactionCount", [address, "latest"]),
            result(node, "eth_getCode", [address, "latest"]),
            [result(node, "eth_getStorageAt", [address, hex(s), "latest"]) for s in range(3)],
        )
    return out
