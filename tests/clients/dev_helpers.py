"""Helpers for the dev-method client tests: raw JSON-RPC calls through web3.py's
provider, and two tiny contracts written as bytecode."""

from __future__ import annotations

from typing import Any

from web3 import Web3

# Runtime: LOG1(topic = first calldata word), no data; then STOP.
LOGGER_RUNTIME = "60003560006000a100"
# Runtime: return blockhash(first calldata word).
HASHER_RUNTIME = "6000354060005260206000f3"


def initcode(runtime: str) -> str:
    """Creation code that returns ``runtime`` (CODECOPY of what follows 12 bytes)."""
    size = len(runtime) // 2
    return f"0x60{size:02x}600c60003960{size:02x}6000f3{runtime}"


def call(w3: Web3, method: str, params: list[Any]) -> Any:
    """The ``result`` of a raw JSON-RPC call (web3.py's provider, no formatters)."""
    response = w3.provider.make_request(method, params)  # type: ignore[arg-type]
    assert "error" not in response, response
    return response["result"]


def error(w3: Web3, method: str, params: list[Any]) -> dict[str, Any]:
    """The ``error`` object a raw JSON-RPC call was answered with."""
    response = w3.provider.make_request(method, params)  # type: ignore[arg-type]
    assert "result" not in response, response
    return dict(response["error"])


def deploy(w3: Web3, runtime: str, sender: str) -> str:
    tx_hash = w3.eth.send_transaction({"from": sender, "data": initcode(runtime)})  # type: ignore[typeddict-item]
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    address = receipt["contractAddress"]
    assert w3.eth.get_code(address).hex() == runtime
    return str(address)


def topic(n: int) -> str:
    return "0x" + n.to_bytes(32, "big").hex()


def log_call(w3: Web3, logger: str, n: int, sender: str) -> bytes:
    """Send a transaction that makes ``logger`` log topic ``n``; its hash."""
    return bytes(
        w3.eth.send_transaction({"from": sender, "to": logger, "data": topic(n), "gas": 30_000})  # type: ignore[typeddict-item]
    )


def mine_logs(w3: Web3, logger: str, *blocks: list[tuple[str, int]]) -> list[list[bytes]]:
    """One block per list of (sender, topic) log calls, automine off meanwhile; the
    transaction hashes per block."""
    call(w3, "evm_setAutomine", [False])
    hashes = []
    try:
        for block in blocks:
            hashes.append([log_call(w3, logger, n, sender) for sender, n in block])
            call(w3, "evm_mine", [])
    finally:
        call(w3, "evm_setAutomine", [True])
    return hashes
