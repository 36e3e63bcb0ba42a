"""eth_call and eth_estimateGas with geth's state and block overrides, through web3.py
over HTTP and IPC (web3's ``state_override`` argument) and as raw JSON-RPC (block
overrides, exact error objects). Overrides never reach the chain: every test that uses
them checks the chain is as it was."""

from __future__ import annotations

from typing import Any

import pytest
import rlp  # type: ignore[import-untyped]
from eth_utils import to_checksum_address
from eth_utils.crypto import keccak
from overrides_helpers import (
    BASEFEE,
    COINBASE,
    DEV0,
    GASLIMIT,
    NUMBER,
    OTHER,
    POOR,
    PREVRANDAO,
    SELFBALANCE,
    TARGET,
    TIMESTAMP,
    chain_fingerprint,
    error,
    result,
    sload,
    slot_key,
    w3,
    word,
)
from web3 import AsyncWeb3, Web3, WebSocketProvider

from mocknode import MockNode

__all__ = ["w3"]  # the fixture, imported for pytest


def as_int(data: bytes) -> int:
    return int.from_bytes(data, "big")


def test_code_balance_nonce_and_storage_overrides(w3: Web3, node: MockNode) -> None:
    before = chain_fingerprint(node, [TARGET, DEV0])
    override: Any = {TARGET: {"code": sload(1), "stateDiff": {slot_key(1): word(0x2A)}}}
    assert as_int(w3.eth.call({"to": TARGET}, "latest", override)) == 0x2A
    # balance: SELFBALANCE sees the override; nonce: a creation from the overridden
    # sender lands at the address that nonce gives.
    override = {TARGET: {"code": SELFBALANCE, "balance": hex(12345)}}
    assert as_int(w3.eth.call({"to": TARGET}, "latest", override)) == 12345
    # CREATE's address follows the sender's nonce: code that creates an empty contract
    # and returns its address.
    creator = "0x" + "6000600060006000f0" + "60005260206000f3"  # CREATE(0,0,0) -> address
    override = {TARGET: {"code": creator, "nonce": hex(7)}}
    created = w3.eth.call({"to": TARGET}, "latest", override)
    expected = keccak(rlp.encode([bytes.fromhex(TARGET[2:]), 7]))[12:]
    assert created[12:] == expected
    assert to_checksum_address(created[12:]) == to_checksum_address(expected)
    assert chain_fingerprint(node, [TARGET, DEV0]) == before


def test_state_replaces_all_storage_and_state_diff_keeps_the_rest(w3: Web3, node: MockNode) -> None:
    base = {"code": sload(2), "stateDiff": {slot_key(1): word(1), slot_key(2): word(2)}}
    # Same request twice: stateDiff keeps slot 2, state would wipe it.
    assert as_int(w3.eth.call({"to": TARGET}, "latest", {TARGET: base})) == 2
    only_one = {"code": sload(2), "state": {slot_key(1): word(1)}}
    assert as_int(w3.eth.call({"to": TARGET}, "latest", {TARGET: only_one})) == 0


def test_override_of_mined_storage(w3: Web3, node: MockNode) -> None:
    snap = node.snapshot()
    try:
        node.set_code(bytes.fromhex(TARGET[2:]), bytes.fromhex(sload(1)[2:]))
        node.set_storage(bytes.fromhex(TARGET[2:]), 1, 99)
        before = chain_fingerprint(node, [TARGET])
        assert as_int(w3.eth.call({"to": TARGET})) == 99
        wiped = {TARGET: {"state": {slot_key(2): word(5)}}}
        assert as_int(w3.eth.call({"to": TARGET}, "latest", wiped)) == 0
        diffed = {TARGET: {"stateDiff": {slot_key(2): word(5)}}}
        assert as_int(w3.eth.call({"to": TARGET}, "latest", diffed)) == 99
        assert chain_fingerprint(node, [TARGET]) == before
    finally:
        assert node.revert(snap)


def test_estimate_gas_with_state_override(w3: Web3, node: MockNode) -> None:
    # Without the override TARGET has no code: a plain transfer.
    assert w3.eth.estimate_gas({"from": DEV0, "to": TARGET}) == 21000
    override: Any = {TARGET: {"code": sload(1)}}
    estimate = w3.eth.estimate_gas({"from": DEV0, "to": TARGET}, "latest", override)
    assert estimate > 21000 + 2100  # a cold SLOAD
    # A sender with no funds given funds by an override can estimate a value transfer.
    poor = {"from": POOR, "to": OTHER, "value": 10**18, "gasPrice": 10**9}
    with pytest.raises(Exception, match="insufficient funds"):
        w3.eth.estimate_gas(poor)  # type: ignore[arg-type]
    funded: Any = {POOR: {"balance": hex(10**19)}}
    assert w3.eth.estimate_gas(poor, "latest", funded) == 21000  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "field", "value", "expected"),
    [
        (NUMBER, "number", "0x99", 0x99),
        (TIMESTAMP, "time", "0x5f5e100", 100_000_000),
        (GASLIMIT, "gasLimit", "0x1234567", 0x1234567),
        (COINBASE, "feeRecipient", OTHER, int(OTHER, 16)),
        (PREVRANDAO, "prevRandao", word(0xABC), 0xABC),
    ],
)
def test_block_overrides(node: MockNode, code: str, field: str, value: str, expected: int) -> None:
    state = {TARGET: {"code": code}}
    answer = result(node, "eth_call", [{"to": TARGET}, "latest", state, {field: value}])
    assert int(answer, 16) == expected


def test_base_fee_override_applies_to_calls_that_pay(node: MockNode) -> None:
    state = {TARGET: {"code": BASEFEE}}
    # A call that pays nothing runs at a zero base fee (geth's NoBaseFee) ...
    free = result(node, "eth_call", [{"to": TARGET}, "latest", state, {"baseFeePerGas": "0x7"}])
    assert int(free, 16) == 0
    # ... one that pays sees the overridden base fee.
    paying = {"from": DEV0, "to": TARGET, "maxFeePerGas": "0x10"}
    answer = result(node, "eth_call", [paying, "latest", state, {"baseFeePerGas": "0x7"}])
    assert int(answer, 16) == 7
    too_low = error(node, "eth_call", [paying, "latest", state, {"baseFeePerGas": "0x20"}])
    assert too_low == {
        "code": -32000,
        "message": "err: max fee per gas less than block base fee: address "
        f"{DEV0}, maxFeePerGas: 16, baseFee: 32 (supplied gas 50000000)",
    }


def test_estimate_gas_takes_block_overrides(node: MockNode) -> None:
    # With the block's gas limit lowered below what the call needs, estimation fails.
    state = {TARGET: {"code": sload(1)}}
    answer = error(
        node, "eth_estimateGas", [{"to": TARGET}, "latest", state, {"gasLimit": "0x5208"}]
    )
    assert answer == {"code": -32000, "message": "gas required exceeds allowance (21000)"}


def test_move_precompile(node: MockNode) -> None:
    identity = "0x0000000000000000000000000000000000000004"
    payload = "0x" + "ab" * 5
    assert result(node, "eth_call", [{"to": identity, "data": payload}]) == payload
    moved = {identity: {"movePrecompileToAddress": TARGET}}
    assert result(node, "eth_call", [{"to": TARGET, "data": payload}, "latest", moved]) == payload
    # The old address is no precompile any more: an empty account answers nothing.
    assert result(node, "eth_call", [{"to": identity, "data": payload}, "latest", moved]) == "0x"
    # Overriding a precompile's account in any way removes the precompile (geth).
    code = {identity: {"code": NUMBER}}
    answer = result(node, "eth_call", [{"to": identity, "data": payload}, "latest", code])
    assert int(answer, 16) == int(result(node, "eth_blockNumber", []), 16)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {TARGET: {"state": {}, "stateDiff": {}}},
            "account 0x1111111111111111111111111111111111111111 has both 'state' and 'stateDiff'",
        ),
        (
            {TARGET: {"movePrecompileToAddress": OTHER}},
            "account 0x1111111111111111111111111111111111111111 is not a precompile",
        ),
        (
            {
                "0x0000000000000000000000000000000000000001": {"movePrecompileToAddress": OTHER},
                OTHER: {"balance": "0x1"},
            },
            "account 0x2222222222222222222222222222222222222222 is already overridden",
        ),
    ],
)
def test_override_errors_while_applying(
    node: MockNode, override: dict[str, Any], message: str
) -> None:
    for method in ("eth_call", "eth_estimateGas"):
        assert error(node, method, [{"to": TARGET}, "latest", override]) == {
            "code": -32000,
            "message": message,
        }


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ([], "json: cannot unmarshal array into Go value of type override.StateOverride"),
        ({"0x12": {}}, "hex string has length 2, want 40 for common.Address"),
        ({TARGET[2:]: {}}, "hex string without 0x prefix"),
        (
            {TARGET: 5},
            "json: cannot unmarshal number into Go value of type override.OverrideAccount",
        ),
        (
            {TARGET: {"balance": 1}},
            "json: cannot unmarshal non-string into Go struct field OverrideAccount.balance "
            "of type *hexutil.Big",
        ),
        (
            {TARGET: {"nonce": "0x"}},
            'json: cannot unmarshal hex string "0x" into Go struct field OverrideAccount.nonce '
            "of type hexutil.Uint64",
        ),
        (
            {TARGET: {"code": "0x1"}},
            "json: cannot unmarshal hex string of odd length into Go struct field "
            "OverrideAccount.code of type hexutil.Bytes",
        ),
        (
            {TARGET: {"state": []}},
            "json: cannot unmarshal array into Go struct field OverrideAccount.state of type "
            "map[common.Hash]common.Hash",
        ),
        (
            {TARGET: {"stateDiff": {"0x01": word(1)}}},
            "hex string has length 2, want 64 for common.Hash",
        ),
        (
            {TARGET: {"stateDiff": {slot_key(1): "0x01"}}},
            "hex string has length 2, want 64 for common.Hash",
        ),
    ],
)
def test_bad_override_shapes(node: MockNode, override: Any, message: str) -> None:
    assert error(node, "eth_call", [{"to": TARGET}, "latest", override]) == {
        "code": -32602,
        "message": f"invalid argument 2: {message}",
    }


def test_unknown_override_fields_are_ignored_as_geth_does(node: MockNode) -> None:
    override = {TARGET: {"code": NUMBER, "stateDif": {"x": 1}, "foo": 1}}
    answer = result(node, "eth_call", [{"to": TARGET}, "latest", override, {"bar": 1}])
    assert int(answer, 16) == int(result(node, "eth_blockNumber", []), 16)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"beaconRoot": word(1)},
            'block override "beaconRoot" is not supported for this RPC method',
        ),
        ({"withdrawals": []}, 'block override "withdrawals" is not supported for this RPC method'),
    ],
)
def test_block_overrides_geth_refuses_outside_simulations(
    node: MockNode, overrides: dict[str, Any], message: str
) -> None:
    for method in ("eth_call", "eth_estimateGas"):
        answer = error(node, method, [{"to": TARGET}, "latest", None, overrides])
        assert answer == {"code": -32000, "message": message}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ("0x1", "json: cannot unmarshal string into Go value of type override.BlockOverrides"),
        (
            {"number": 5},
            "json: cannot unmarshal non-string into Go struct field BlockOverrides.Number of "
            "type *hexutil.Big",
        ),
        (
            {"feeRecipient": "0x12"},
            "hex string has length 2, want 40 for common.Address",
        ),
    ],
)
def test_bad_block_override_shapes(node: MockNode, overrides: Any, message: str) -> None:
    answer = error(node, "eth_call", [{"to": TARGET}, "latest", {}, overrides])
    assert answer == {"code": -32602, "message": f"invalid argument 3: {message}"}


def test_too_many_arguments_after_the_fourth(node: MockNode) -> None:
    answer = error(node, "eth_call", [{"to": TARGET}, "latest", {}, {}, {}])
    assert answer == {"code": -32602, "message": "too many arguments, want at most 4"}


def test_null_overrides_are_no_overrides(w3: Web3, node: MockNode) -> None:
    assert result(node, "eth_call", [{"to": TARGET}, "latest", None, None]) == "0x"
    assert w3.eth.call({"to": TARGET}, "latest", {}) == b""


@pytest.mark.asyncio
async def test_over_websocket_with_async_web3(node: MockNode) -> None:
    async with AsyncWeb3(WebSocketProvider(node.ws_url, request_timeout=30)) as aw3:
        state: Any = {TARGET: {"code": sload(1), "stateDiff": {slot_key(1): word(9)}}}
        assert as_int(await aw3.eth.call({"to": TARGET}, "latest", state)) == 9
        assert await aw3.eth.estimate_gas({"to": TARGET}, "latest", state) > 21000
        opts = {"blockStateCalls": [{"stateOverrides": state, "calls": [{"to": TARGET}]}]}
        answer: Any = await aw3.provider.make_request("eth_simulateV1", [opts, "latest"])  # type: ignore[arg-type]
        assert answer["result"][0]["calls"][0]["returnData"] == word(9)
        listed: Any = await aw3.provider.make_request("eth_createAccessList", [{"to": TARGET}])  # type: ignore[arg-type]
        assert listed["result"] == {"accessList": [], "gasUsed": hex(21000)}


def test_overrides_at_pending_see_the_pending_block(node: MockNode) -> None:
    snap = node.snapshot()
    node.set_automine(False)
    try:
        balance_of = "0x73" + OTHER[2:] + "31" + "60005260206000f3"
        result(node, "eth_sendTransaction", [{"from": DEV0, "to": OTHER, "value": hex(77)}])
        state = {TARGET: {"code": balance_of}}
        pending = result(node, "eth_call", [{"to": TARGET}, "pending", state])
        assert int(pending, 16) == 77
        assert int(result(node, "eth_call", [{"to": TARGET}, "latest", state]), 16) == 0
    finally:
        node.set_automine(True)
        assert node.revert(snap)
