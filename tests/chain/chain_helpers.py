"""Helpers shared by the chain tests."""

from __future__ import annotations

import json
from pathlib import Path

from eth_abi import encode

from mocknode.chain.args import TxArgs
from mocknode.chain.chain import Chain
from mocknode.types import Address

ARTIFACTS = Path(__file__).resolve().parents[2] / "fixtures" / "artifacts"


def deploy_greeter(chain: Chain) -> Address:
    artifact = json.loads((ARTIFACTS / "Greeter.json").read_text())
    code = bytes.fromhex(artifact["bytecode"][2:]) + encode(["string"], ["hello"])
    tx_hash = chain.send_transaction(TxArgs(sender=chain.accounts[0].address, data=code))
    location = chain.receipt(tx_hash)
    assert location is not None and location.receipt.success
    assert location.receipt.contract_address is not None
    return location.receipt.contract_address
