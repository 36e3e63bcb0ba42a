"""eth_createAccessList over JSON-RPC (web3.py's provider and raw HTTP): geth's
``{accessList, error?, gasUsed}``, a block tag, state overrides, and a chain left as it
was. The Greeter fixture contract gives a real storage layout to find."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_utils import keccak
from overrides_helpers import (
    DEV0,
    OTHER,
    TARGET,
    chain_fingerprint,
    error,
    raw,
    result,
    w3,
)
from web3 import Web3

from mocknode import MockNode

__all__ = ["w3"]

ARTIFACTS = Path(__file__).resolve().parents[2] / "fixtures" / "artifacts"


def slot_hex(n: int) -> str:
    return "0x" + n.to_bytes(32, "big").hex()


def test_access_list_of_a_storage_read_through_web3(w3: Web3, node: MockNode) -> None:
    # TARGET calls OTHER, which reads its slots 2 and 5: OTHER and both slots are listed;
    # TARGET (the recipient) and the sender are not.
    call_other = "0x6000600060006000600073" + OTHER[2:] + "5af150" + "00"
    state = {TARGET: {"code": call_other}, OTHER: {"code": "0x6005546002545050" + "00"}}
    before = chain_fingerprint(node, [TARGET, OTHER, DEV0])
    answer: Any = w3.provider.make_request(
        "eth_createAccessList",  # type: ignore[arg-type]
        [{"from": DEV0, "to": TARGET}, "latest", state],
    )
    out = answer["result"]
    assert list(out) == ["accessList", "gasUsed"]
    assert out["accessList"] == [
        {"address": OTHER.lower(), "storageKeys": [slot_hex(2), slot_hex(5)]}
    ]
    # The gas is what the call uses with that list: 2 x 2100 (listed slots, warm) less
    # what listing saved, measured against estimateGas with the same list.
    listed = {"from": DEV0, "to": TARGET, "accessList": out["accessList"]}
    used = int(out["gasUsed"], 16)
    estimated = int(result(node, "eth_estimateGas", [listed, "latest", state]), 16)
    assert used <= estimated <= used * 64 // 63 + 2300
    assert chain_fingerprint(node, [TARGET, OTHER, DEV0]) == before


def test_access_list_of_the_greeter(node: MockNode, greeter_artifact: dict[str, Any]) -> None:
    snap = node.snapshot()
    try:
        data = greeter_artifact["bytecode"] + encode(["string"], ["hello"]).hex()
        tx = result(node, "eth_sendTransaction", [{"from": DEV0, "data": data}])
        receipt = result(node, "eth_getTransactionReceipt", [tx])
        greeter = receipt["contractAddress"]
        # The Greeter is the recipient: geth leaves it out as a bare address, but its
        # tracer adds every SLOAD/SSTORE slot with its contract, so slot 0 is listed.
        call = {"from": DEV0, "to": greeter, "data": "0x" + keccak(text="greet()")[:4].hex()}
        out = result(node, "eth_createAccessList", [call])
        assert out["accessList"] == [{"address": greeter.lower(), "storageKeys": [slot_hex(0)]}]
        assert int(out["gasUsed"], 16) > 21000
        # Reached through another contract, the Greeter and its slot 0 are listed.
        proxy = "0x60046000600037" + "602060006004600073" + greeter[2:].lower() + "5afa50" + "00"
        forwarded = {"from": DEV0, "to": TARGET, "data": call["data"]}
        state = {TARGET: {"code": proxy}}
        out = result(node, "eth_createAccessList", [forwarded, "latest", state])
        assert out["accessList"] == [{"address": greeter.lower(), "storageKeys": [slot_hex(0)]}]
    finally:
        assert node.revert(snap)


def test_failing_call_reports_its_error(node: MockNode) -> None:
    revert = "0x60006000fd"
    out = result(
        node, "eth_createAccessList", [{"to": TARGET}, "latest", {TARGET: {"code": revert}}]
    )
    assert out == {"accessList": [], "error": "execution reverted", "gasUsed": hex(21000 + 6)}


def test_block_tag_and_bad_params(node: MockNode) -> None:
    out = result(node, "eth_createAccessList", [{"to": TARGET}, "0x0"])
    assert out == {"accessList": [], "gasUsed": hex(21000)}
    assert error(node, "eth_createAccessList", [{"to": TARGET}, "0x999999"]) == {
        "code": -32000,
        "message": "header not found",
    }
    assert error(node, "eth_createAccessList", [{"to": TARGET}, "latest", []]) == {
        "code": -32602,
        "message": "invalid argument 2: json: cannot unmarshal array into Go value of type "
        "override.StateOverride",
    }
    assert error(node, "eth_createAccessList", [{"to": TARGET}, "latest", {}, {}]) == {
        "code": -32602,
        "message": "too many arguments, want at most 3",
    }
    assert error(node, "eth_createAccessList", []) == {
        "code": -32602,
        "message": "missing value for required argument 0",
    }


def test_value_and_fees_beyond_the_senders_funds(node: MockNode) -> None:
    poor = "0x" + "44" * 20
    who = Web3.to_checksum_address(poor)
    answer = error(node, "eth_createAccessList", [{"from": poor, "to": TARGET, "value": "0x1"}])
    assert answer["code"] == -32000
    assert re.fullmatch(
        "failed to apply transaction: 0x[0-9a-f]{64} err: insufficient funds for gas \\* "
        f"price \\+ value: address {who} have 0 want 1",
        answer["message"],
    ), answer
    # Fees named by the caller are charged (none named: the call pays nothing).
    paying = {"from": poor, "to": TARGET, "gas": "0x5208", "maxFeePerGas": "0x3"}
    answer = error(node, "eth_createAccessList", [paying])
    assert answer["message"].endswith(f"address {who} have 0 want {21000 * 3}")
    funded = {poor: {"balance": hex(21000 * 3)}}
    assert result(node, "eth_createAccessList", [paying, "latest", funded]) == {
        "accessList": [],
        "gasUsed": hex(21000),
    }


def test_listed_in_rpc_modules_namespace(node: MockNode) -> None:
    assert "eth" in result(node, "rpc_modules", [])
    assert "result" in raw(node, "eth_createAccessList", [{"to": TARGET}])
