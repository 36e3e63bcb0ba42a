"""The override and simulation decoders, sans-io: JSON values in, typed values or geth's
decode errors out."""

from __future__ import annotations

import pytest

from mocknode.chain.args import TxArgs
from mocknode.chain.evm.calls import CallOverrides
from mocknode.chain.evm.overrides import AccountOverride, BlockOverrides
from mocknode.chain.simulate import SimBlock, SimOptions
from mocknode.rpc.params import ParamError
from mocknode.rpc.params_overrides import (
    block_overrides,
    call_overrides,
    sim_options,
    state_override,
)
from mocknode.types import Address, Hash32

A = "0x" + "11" * 20
KEY = "0x" + "00" * 31 + "01"
VALUE = "0x" + "00" * 31 + "2a"


def test_state_override_every_field() -> None:
    decoded = state_override(
        {
            A: {
                "nonce": "0x7",
                "code": "0x6000",
                "balance": "0x10",
                "stateDiff": {KEY: VALUE},
                "movePrecompileToAddress": "0x" + "22" * 20,
                "unknown": [1, 2],
            },
            "0x" + "33" * 20: None,
        }
    )
    assert decoded == (
        (
            Address(b"\x11" * 20),
            AccountOverride(
                nonce=7,
                code=b"\x60\x00",
                balance=16,
                state_diff=((1, 42),),
                move_precompile_to=Address(b"\x22" * 20),
            ),
        ),
        (Address(b"\x33" * 20), AccountOverride()),
    )
    assert state_override(None) == ()
    assert state_override({A: {"state": {}}})[0][1].state == ()


def test_balance_is_256_bits_at_most() -> None:
    with pytest.raises(ParamError) as raised:
        state_override({A: {"balance": hex(2**256)}})
    assert str(raised.value) == (
        "json: cannot unmarshal hex number > 256 bits into Go struct field "
        "OverrideAccount.balance of type *hexutil.Big"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x", "json: cannot unmarshal string into Go value of type override.StateOverride"),
        ({"0x11": {}}, "hex string has length 2, want 40 for common.Address"),
        ({A: []}, "json: cannot unmarshal array into Go value of type override.OverrideAccount"),
        (
            {A: {"nonce": 1}},
            "json: cannot unmarshal non-string into Go struct field OverrideAccount.nonce of "
            "type hexutil.Uint64",
        ),
        (
            {A: {"stateDiff": {KEY: 1}}},
            "json: cannot unmarshal non-string into Go struct field OverrideAccount.stateDiff "
            "of type common.Hash",
        ),
        (
            {A: {"movePrecompileToAddress": "0x12"}},
            "hex string has length 2, want 40 for common.Address",
        ),
    ],
)
def test_state_override_errors(value: object, message: str) -> None:
    with pytest.raises(ParamError) as raised:
        state_override(value)
    assert str(raised.value) == message


def test_block_overrides_every_field() -> None:
    decoded = block_overrides(
        {
            "number": "0x10",
            "difficulty": "0x1",
            "time": "0x20",
            "gasLimit": "0x30",
            "feeRecipient": A,
            "prevRandao": VALUE,
            "baseFeePerGas": "0x40",
            "blobBaseFee": "0x50",
            "beaconRoot": KEY,
            "withdrawals": [],
        }
    )
    assert decoded == BlockOverrides(
        number=16,
        difficulty=1,
        time=32,
        gas_limit=48,
        fee_recipient=Address(b"\x11" * 20),
        prev_randao=Hash32((42).to_bytes(32, "big")),
        base_fee=64,
        blob_base_fee=80,
        beacon_root=Hash32((1).to_bytes(32, "big")),
        withdrawals=True,
    )
    assert block_overrides(None) is None
    assert block_overrides({}) == BlockOverrides()


def test_call_overrides_is_none_when_nothing_is_said() -> None:
    assert call_overrides((), None) is None
    assert call_overrides((), BlockOverrides()) == CallOverrides(None, BlockOverrides())


def test_sim_options() -> None:
    decoded = sim_options(
        {
            "blockStateCalls": [
                {
                    "blockOverrides": {"number": "0x5"},
                    "stateOverrides": {A: {"balance": "0x1"}},
                    "calls": [{"to": A, "input": "0x01"}],
                },
                None,
            ],
            "traceTransfers": True,
            "validation": False,
            "returnFullTransactions": True,
        }
    )
    assert decoded == SimOptions(
        blocks=(
            SimBlock(
                BlockOverrides(number=5),
                ((Address(b"\x11" * 20), AccountOverride(balance=1)),),
                (TxArgs(to=Address(b"\x11" * 20), data=b"\x01"),),
            ),
            SimBlock(),
        ),
        trace_transfers=True,
        full_transactions=True,
    )
    assert sim_options(None) == SimOptions(())
    with pytest.raises(ParamError, match=r"simOpts.traceTransfers of type bool"):
        sim_options({"traceTransfers": 1})
    with pytest.raises(ParamError, match=r"\[\]ethapi.TransactionArgs"):
        sim_options({"blockStateCalls": [{"calls": {}}]})
