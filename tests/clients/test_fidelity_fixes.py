"""What the fidelity run against anvil (``scripts/fidelity``) found wrong in mocknode,
pinned through web3.py over every transport."""

from __future__ import annotations

from typing import Any

import pytest
from client_helpers import DEV, aw, raw_error, raw_result


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("initcode", "gas_used"),
    [
        # 21000 + 32000 + 4 (one zero byte) + 2 (EIP-3860: one word), charged once.
        ("0x00", 53006),
        # 40 PUSH1-pairs' bytes (16 each) and a STOP (4): 644; two words: 4; 20 PUSH1: 60.
        ("0x" + "60" * 40 + "00", 53708),
    ],
)
async def test_a_deploy_pays_initcode_gas_once(w3: Any, initcode: str, gas_used: int) -> None:
    tx_hash = await aw(w3.eth.send_transaction({"from": DEV[0], "data": initcode}))
    receipt = await aw(w3.eth.get_transaction_receipt(tx_hash))
    assert receipt["status"] == 1
    assert receipt["gasUsed"] == gas_used
    assert await aw(w3.eth.estimate_gas({"from": DEV[0], "data": initcode})) >= gas_used


@pytest.mark.asyncio
async def test_get_account_info(w3: Any, start_block: int) -> None:
    """anvil's eth_getAccountInfo, which Foundry asks first when it forks (cast run)."""
    tx_hash = await aw(w3.eth.send_transaction({"from": DEV[4], "data": "0x60016000f3"}))
    receipt = await aw(w3.eth.get_transaction_receipt(tx_hash))
    created = receipt["contractAddress"]
    info = await raw_result(w3, "eth_getAccountInfo", [DEV[4], "latest"])
    assert list(info) == ["balance", "nonce", "code"]
    assert info == {
        "balance": hex(await aw(w3.eth.get_balance(DEV[4]))),
        "nonce": hex(await aw(w3.eth.get_transaction_count(DEV[4]))),
        "code": "0x",
    }
    assert await raw_result(w3, "eth_getAccountInfo", [created, "latest"]) == {
        "balance": "0x0",
        "nonce": "0x1",
        "code": "0x00",
    }
    # At an earlier block: before the deploy, the contract is the empty account.
    assert await raw_result(w3, "eth_getAccountInfo", [created, hex(start_block)]) == {
        "balance": "0x0",
        "nonce": "0x0",
        "code": "0x",
    }
    assert await raw_error(w3, "eth_getAccountInfo", [DEV[4]]) == {
        "code": -32602,
        "message": "missing value for required argument 1",
    }
    assert await raw_error(w3, "eth_getAccountInfo", ["0xzz", "latest"]) == {
        "code": -32602,
        "message": "invalid argument 0: hex string has length 2, want 40 for common.Address",
    }
