"""What the fidelity run against anvil (``scripts/fidelity``) found wrong in mocknode,
pinned through web3.py over every transport."""

from __future__ import annotations

from typing import Any

import pytest
from client_helpers import DEV, aw


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
