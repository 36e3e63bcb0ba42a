"""Impersonation over JSON-RPC, through web3.py on real sockets: anvil's methods, their
``hardhat_`` aliases, the shapes clients send, and the ``--auto-impersonate`` flag."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from client_helpers import DEV, ETHER, aw, raw_error, raw_result
from dev_helpers import call, error
from eth_utils import keccak, to_checksum_address
from web3 import HTTPProvider, Web3

from mocknode import MockNode

WHALE = to_checksum_address("0x28c6c06298d514db089934071355e5743bf21d60")
CONTRACT = to_checksum_address("0x" + "c0de" * 10)
UNKNOWN = {"code": -32000, "message": "unknown account"}
PAIRS = [
    ("anvil_impersonateAccount", "anvil_stopImpersonatingAccount"),
    ("hardhat_impersonateAccount", "hardhat_stopImpersonatingAccount"),
]


@pytest.fixture
def w3http(node: MockNode) -> Web3:
    return Web3(HTTPProvider(node.http_url, request_kwargs={"timeout": 10}))


def send_from(sender: str, value: int = 1) -> dict[str, Any]:
    return {"from": sender, "to": DEV[1], "value": hex(value)}


@pytest.mark.parametrize(("start", "stop"), PAIRS)
@pytest.mark.parametrize("spelling", [str.lower, to_checksum_address])
def test_impersonate_send_and_stop(w3http: Web3, start: str, stop: str, spelling: Any) -> None:
    w3 = w3http
    call(w3, "anvil_setBalance", [WHALE, hex(5 * ETHER)])
    assert error(w3, "eth_sendTransaction", [send_from(WHALE)]) == UNKNOWN
    assert call(w3, start, [spelling(WHALE)]) is None  # anvil's null (Hardhat says true)
    assert call(w3, "eth_accounts", [])[-1] == WHALE.lower()
    tx_hash = call(w3, "eth_sendTransaction", [send_from(WHALE, 7)])
    tx = call(w3, "eth_getTransactionByHash", [tx_hash])
    assert tx["from"] == WHALE.lower()
    assert (tx["r"], tx["s"], tx["v"], tx["yParity"]) == ("0x1", "0x1", "0x0", "0x0")
    raw = bytes.fromhex(call(w3, "eth_getRawTransactionByHash", [tx_hash])[2:])
    assert tx_hash == "0x" + keccak(raw + bytes.fromhex(WHALE[2:])).hex()
    receipt = call(w3, "eth_getTransactionReceipt", [tx_hash])
    assert receipt["status"] == "0x1"
    assert receipt["from"] == WHALE.lower()
    assert w3.eth.get_transaction_count(WHALE) == 1
    assert call(w3, stop, [spelling(WHALE)]) is None
    assert WHALE.lower() not in call(w3, "eth_accounts", [])
    assert error(w3, "eth_sendTransaction", [send_from(WHALE)]) == UNKNOWN


@pytest.mark.asyncio
async def test_every_transport_sends_for_an_impersonated_account(w3: Any) -> None:
    await raw_result(w3, "anvil_setBalance", [WHALE, hex(ETHER)])
    await raw_result(w3, "anvil_impersonateAccount", [WHALE])
    tx_hash = await aw(w3.eth.send_transaction({"from": WHALE, "to": DEV[2], "value": 3}))
    tx = await aw(w3.eth.get_transaction(tx_hash))
    assert (bytes(tx["r"]), bytes(tx["s"])) == (b"\x01", b"\x01")
    assert tx["from"] == WHALE
    await raw_result(w3, "anvil_stopImpersonatingAccount", [WHALE])
    assert await raw_error(w3, "eth_sendTransaction", [send_from(WHALE)]) == UNKNOWN


def test_two_accounts_sending_the_same_fields_get_two_hashes(w3http: Web3) -> None:
    w3 = w3http
    other = to_checksum_address("0x" + "77" * 20)
    hashes = []
    for sender in (WHALE, other):
        call(w3, "anvil_setBalance", [sender, hex(ETHER)])
        call(w3, "anvil_impersonateAccount", [sender])
        request = {
            **send_from(sender),
            "gas": "0x5208",
            "maxFeePerGas": hex(10**10),
            "nonce": "0x0",
        }
        hashes.append(call(w3, "eth_sendTransaction", [request]))
    assert hashes[0] != hashes[1]
    raws = [call(w3, "eth_getRawTransactionByHash", [h]) for h in hashes]
    assert raws[0] == raws[1]  # same fields, same placeholder: only the hash tells them apart


def test_a_contract_sends_when_impersonated_and_a_dev_account_with_code_does_not(
    w3http: Web3,
) -> None:
    w3 = w3http
    call(w3, "anvil_setCode", [CONTRACT, "0x6000"])
    call(w3, "anvil_setBalance", [CONTRACT, hex(ETHER)])
    call(w3, "hardhat_impersonateAccount", [CONTRACT])
    receipt = w3.eth.get_transaction_receipt(
        w3.eth.send_transaction({"from": CONTRACT, "to": DEV[1], "value": 1})
    )
    assert receipt["status"] == 1
    # EIP-3607 still holds for a signed transaction from an account with code.
    call(w3, "anvil_setCode", [DEV[5], "0x6000"])
    assert error(w3, "eth_sendTransaction", [send_from(DEV[5])]) == {
        "code": -32000,
        "message": f"sender not an eoa: address {DEV[5]}, len(code): 2",
    }
    call(w3, "anvil_impersonateAccount", [DEV[5]])
    tx_hash = call(w3, "eth_sendTransaction", [send_from(DEV[5])])
    assert call(w3, "eth_getTransactionByHash", [tx_hash])["r"] != "0x1"  # its own key


@pytest.mark.parametrize("name", ["anvil_autoImpersonateAccount", "hardhat_autoImpersonateAccount"])
def test_auto_impersonation(w3http: Web3, name: str) -> None:
    w3 = w3http
    stranger = to_checksum_address("0x" + "ab" * 20)
    call(w3, "anvil_setBalance", [stranger, hex(ETHER)])
    assert call(w3, name, [True]) is None
    tx_hash = call(w3, "eth_sendTransaction", [send_from(stranger)])
    assert call(w3, "eth_getTransactionReceipt", [tx_hash])["status"] == "0x1"
    assert stranger.lower() not in call(w3, "eth_accounts", [])  # not impersonated by name
    assert call(w3, name, [False]) is None
    assert error(w3, "eth_sendTransaction", [send_from(stranger)]) == UNKNOWN
    assert error(w3, name, ["yes"]) == {
        "code": -32602,
        "message": "invalid argument 0: json: cannot unmarshal string into Go value of type bool",
    }


def test_impersonation_is_undone_by_evm_revert(w3http: Web3) -> None:
    w3 = w3http
    snap = call(w3, "evm_snapshot", [])
    call(w3, "anvil_impersonateAccount", [WHALE])
    call(w3, "anvil_autoImpersonateAccount", [True])
    assert call(w3, "evm_revert", [snap]) is True
    assert WHALE.lower() not in call(w3, "eth_accounts", [])
    assert error(w3, "eth_sendTransaction", [send_from(WHALE)]) == UNKNOWN


def test_bad_addresses_get_gets_words(w3http: Web3) -> None:
    assert error(w3http, "anvil_impersonateAccount", ["0x1234"]) == {
        "code": -32602,
        "message": "invalid argument 0: hex string has length 4, want 40 for common.Address",
    }
    assert error(w3http, "anvil_impersonateAccount", []) == {
        "code": -32602,
        "message": "missing value for required argument 0",
    }


# -- the CLI flag --------------------------------------------------------------------------


@pytest.fixture
def cli_node(tmp_path: Path) -> Iterator[str]:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    process = subprocess.Popen(
        [sys.executable, "-m", "mocknode", "--port", "0", "--no-ipc", "--auto-impersonate"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("Listening on "):
                yield line.split()[2]
                break
        else:  # pragma: no cover
            raise AssertionError("the node never listened")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_auto_impersonate_flag(cli_node: str) -> None:
    w3 = Web3(HTTPProvider(cli_node, request_kwargs={"timeout": 10}))
    call(w3, "anvil_setBalance", [WHALE, hex(ETHER)])
    tx_hash = call(w3, "eth_sendTransaction", [send_from(WHALE)])
    assert call(w3, "eth_getTransactionReceipt", [tx_hash])["status"] == "0x1"
