"""ERC-20 cheats over JSON-RPC (web3.py's provider on a real socket): anvil_dealERC20
(hardhat_dealERC20, anvil_setERC20Balance) and anvil_setERC20Allowance, on the fixtures'
Solidity token and on hand-written tokens whose layout anvil's slot search must not
be fooled by."""

from __future__ import annotations

from typing import Any

import pytest
from client_helpers import DEV, FRESH
from dev_helpers import call, error
from eth_utils import keccak
from web3 import HTTPProvider, Web3

from mocknode import MockNode

SUPPLY = 10**24


@pytest.fixture
def w3(node: MockNode) -> Web3:
    return Web3(HTTPProvider(node.http_url, request_kwargs={"timeout": 10}))


@pytest.fixture
def token(w3: Web3, token_artifact: dict[str, Any]) -> Any:
    factory = w3.eth.contract(abi=token_artifact["abi"], bytecode=token_artifact["bytecode"])
    tx_hash = factory.constructor("Mock", "MCK", SUPPLY).transact({"from": DEV[0]})
    address = w3.eth.get_transaction_receipt(tx_hash)["contractAddress"]
    return w3.eth.contract(address=address, abi=token_artifact["abi"])


def mapping_slot(key: str, slot: int) -> int:
    """Solidity's slot of ``mapping[key]`` for a mapping at ``slot``."""
    return int.from_bytes(keccak(bytes(12) + bytes.fromhex(key[2:]) + slot.to_bytes(32, "big")))


@pytest.mark.parametrize("name", ["anvil_dealERC20", "hardhat_dealERC20", "anvil_setERC20Balance"])
@pytest.mark.parametrize("amount", [12345, "0x3039"])
def test_deal_erc20(w3: Web3, token: Any, name: str, amount: Any) -> None:
    assert call(w3, name, [FRESH, token.address, amount]) is None
    assert token.functions.balanceOf(FRESH).call() == 12345
    assert token.functions.totalSupply().call() == SUPPLY  # as anvil: only the balance
    # The dealt balance is real: the holder can spend it.
    call(w3, "anvil_setBalance", [FRESH, hex(10**18)])
    call(w3, "anvil_impersonateAccount", [FRESH])
    token.functions.transfer(DEV[5], 45).transact({"from": FRESH})
    assert token.functions.balanceOf(DEV[5]).call() == 45
    # Lowering a balance, and to what it already is, works too.
    call(w3, name, [DEV[0], token.address, 7])
    call(w3, name, [DEV[0], token.address, 7])
    assert token.functions.balanceOf(DEV[0]).call() == 7


def test_set_erc20_allowance(w3: Web3, token: Any) -> None:
    assert call(w3, "anvil_setERC20Allowance", [DEV[0], DEV[2], token.address, "0x64"]) is None
    assert token.functions.allowance(DEV[0], DEV[2]).call() == 100
    assert token.functions.allowance(DEV[2], DEV[0]).call() == 0
    token.functions.transferFrom(DEV[0], DEV[3], 60).transact({"from": DEV[2]})
    assert token.functions.allowance(DEV[0], DEV[2]).call() == 40
    call(w3, "anvil_setERC20Allowance", [DEV[0], DEV[2], token.address, 2**256 - 1])
    token.functions.transferFrom(DEV[0], DEV[3], 60).transact({"from": DEV[2]})
    assert token.functions.balanceOf(DEV[3]).call() == 120
    assert token.functions.allowance(DEV[0], DEV[2]).call() == 2**256 - 1


# balanceOf(holder) reading slot 7 (a flag) first, then balances[holder] at slot 3;
# DOUBLING answers twice the stored word, so no slot holds what it answers.
FLAG_FIRST = "6007545060043560005260036020526040600020546000526020" + "6000f3"
DOUBLING = "6007545060043560005260036020526040600020546002026000526020" + "6000f3"


def test_the_probe_is_never_the_value_already_there(w3: Web3) -> None:
    """anvil tries the value it is asked for: dealing 0 to a holder with 0 matches the
    first slot read (the flag) and overwrites it. The probe here differs from the
    answer, so the balance slot is found."""
    tok = "0x" + "7a" * 20
    call(w3, "anvil_setCode", [tok, "0x" + FLAG_FIRST])
    flag = "0x" + "00" * 31 + "99"
    call(w3, "anvil_setStorageAt", [tok, "0x7", flag])
    call(w3, "anvil_dealERC20", [FRESH, tok, 0])
    assert call(w3, "eth_getStorageAt", [tok, "0x7", "latest"]) == flag
    call(w3, "anvil_dealERC20", [FRESH, tok, 5])
    slot = hex(mapping_slot(FRESH, 3))
    assert int(call(w3, "eth_getStorageAt", [tok, slot, "latest"]), 16) == 5
    assert call(w3, "eth_getStorageAt", [tok, "0x7", "latest"]) == flag


def test_no_slot_found_is_anvils_error(w3: Web3) -> None:
    tok = "0x" + "7b" * 20
    call(w3, "anvil_setCode", [tok, "0x" + DOUBLING])
    assert error(w3, "anvil_dealERC20", [FRESH, tok, 5]) == {
        "code": -32603,
        "message": "Unable to set ERC20 balance, no slot found",
    }
    assert error(w3, "anvil_setERC20Allowance", [FRESH, DEV[1], FRESH, 5]) == {
        "code": -32603,
        "message": "Unable to set ERC20 allowance, no slot found",
    }
    assert (
        call(w3, "eth_getStorageAt", [tok, hex(mapping_slot(FRESH, 3)), "latest"])
        == "0x" + "00" * 32
    )
