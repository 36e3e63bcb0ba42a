"""The codec parts of eth_feeHistory and the new arguments: Go's float text, the result's
key order and omissions, geth's decoders for the block count, the percentiles and EIP-7702
authorizations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mocknode.chain.args import UnsignedAuthorization
from mocknode.chain.feehistory import EMPTY_HISTORY, FeeHistory
from mocknode.chain.records import Authorization
from mocknode.rpc import params, render
from mocknode.rpc.params import ParamError
from mocknode.types import Address


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (1.0, "1"),
        (0.5, "0.5"),
        (0.0007, "0.0007"),
        (21000 / 30_000_000, "0.0007"),
        (1 / 3, "0.3333333333333333"),
        (0.000001, "0.000001"),  # 1e-6 is still fixed notation
        (1.5e-7, "1.5e-7"),  # below: exponent, "e-07" cleaned to "e-7"
        (1e-10, "1e-10"),
        (123456789.0, "123456789"),
        (1e21, "1e+21"),
    ],
)
def test_floats_as_go_encoding_json_writes_them(value: float, text: str) -> None:
    assert render.go_float(value) == text
    assert json.loads(text) == value


def test_fee_history_text_keeps_geths_order_and_omissions() -> None:
    full = FeeHistory(
        oldest_block=5,
        reward=((1, 2), (0, 0)),
        base_fee=(10, 11, 12),
        gas_used_ratio=(0.5, 0.0),
        blob_base_fee=(1, 1, 1),
        blob_gas_used_ratio=(0.0, 0.0),
    )
    assert render.fee_history_text(full) == (
        '{"oldestBlock":"0x5","reward":[["0x1","0x2"],["0x0","0x0"]],'
        '"baseFeePerGas":["0xa","0xb","0xc"],"gasUsedRatio":[0.5,0],'
        '"baseFeePerBlobGas":["0x1","0x1","0x1"],"blobGasUsedRatio":[0,0]}'
    )
    no_rewards = FeeHistory(5, None, (10, 11), (0.25,), (1, 1), (0.0,))
    assert json.loads(render.fee_history_text(no_rewards)).keys() == {
        "oldestBlock",
        "baseFeePerGas",
        "gasUsedRatio",
        "baseFeePerBlobGas",
        "blobGasUsedRatio",
    }
    # No blocks: geth's nil slices; gasUsedRatio (no omitempty) is null.
    assert render.fee_history_text(EMPTY_HISTORY) == '{"oldestBlock":"0x0","gasUsedRatio":null}'


@pytest.mark.parametrize(
    ("value", "count"),
    [
        (4, 4),
        ("4", 4),
        ("0x4", 4),
        ("0X1f", 31),
        ("0010", 10),
        ("", 0),
        (0, 0),
        (2**64 - 1, 2**64 - 1),
    ],
)
def test_block_count_is_hex_or_decimal(value: Any, count: int) -> None:
    assert params.hex_or_decimal64(value) == count


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0x", 'invalid hex or decimal integer "0x"'),
        ("ten", 'invalid hex or decimal integer "ten"'),
        (-1, 'invalid hex or decimal integer "-1"'),
        (1.5, 'invalid hex or decimal integer "1.5"'),
        (None, 'invalid hex or decimal integer "null"'),
        (True, 'invalid hex or decimal integer "true"'),
        (2**64, f'invalid hex or decimal integer "{2**64}"'),
        ("0x1_0", 'invalid hex or decimal integer "0x1_0"'),
    ],
)
def test_block_count_errors_are_geths(value: Any, message: str) -> None:
    with pytest.raises(ParamError) as info:
        params.hex_or_decimal64(value)
    assert str(info.value) == message


def test_reward_percentiles_decode_as_a_go_float_slice() -> None:
    assert params.reward_percentiles([10, 20.5, None]) == [10.0, 20.5, 0.0]
    assert params.reward_percentiles(None) == []
    for value, message in [
        ("10", "json: cannot unmarshal string into Go value of type []float64"),
        (["10"], "json: cannot unmarshal string into Go value of type float64"),
        ([True], "json: cannot unmarshal bool into Go value of type float64"),
        ([10**400], f"json: cannot unmarshal number {10**400} into Go value of type float64"),
    ]:
        with pytest.raises(ParamError) as info:
            params.reward_percentiles(value)
        assert str(info.value) == message


AUTH = {
    "chainId": "0x7a69",
    "address": "0x" + "ab" * 20,
    "nonce": "0x1",
    "yParity": "0x1",
    "r": "0x" + "11" * 32,
    "s": "0x" + "22" * 32,
}


def test_signed_authorizations_decode_into_records() -> None:
    args = params.call_args({"to": "0x" + "ab" * 20, "authorizationList": [AUTH]})
    assert args.authorization_list == (
        Authorization(31337, Address(b"\xab" * 20), 1, 1, int("11" * 32, 16), int("22" * 32, 16)),
    )


def test_unsigned_authorizations_are_for_sends_only() -> None:
    unsigned = {"address": "0x" + "ab" * 20}
    args = params.tx_args({"authorizationList": [unsigned, {**unsigned, "nonce": "0x7"}]})
    assert args.authorization_list == (
        UnsignedAuthorization(Address(b"\xab" * 20)),
        UnsignedAuthorization(Address(b"\xab" * 20), nonce=7),
    )
    with pytest.raises(ParamError) as info:
        params.call_args({"authorizationList": [unsigned]})
    assert str(info.value) == "missing required field 'chainId' for SetCodeAuthorization"


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ({**AUTH, "r": None}, "missing required field 'r' for SetCodeAuthorization"),
        (
            {k: v for k, v in AUTH.items() if k != "address"},
            "missing required field 'address' for SetCodeAuthorization",
        ),
        (
            {**AUTH, "nonce": 1},
            "json: cannot unmarshal non-string into Go struct field "
            "SetCodeAuthorization.nonce of type hexutil.Uint64",
        ),
        (
            {**AUTH, "chainId": "0x01"},
            "json: cannot unmarshal hex number with leading zero digits into Go struct field "
            "SetCodeAuthorization.chainId of type *uint256.Int",
        ),
        ("0x12", "json: cannot unmarshal string into Go value of type types.SetCodeAuthorization"),
    ],
)
def test_authorization_errors_are_geths(auth: Any, message: str) -> None:
    with pytest.raises(ParamError) as info:
        params.call_args({"authorizationList": [auth]})
    assert str(info.value) == message
    with pytest.raises(ParamError) as not_a_list:
        params.call_args({"authorizationList": AUTH})
    assert str(not_a_list.value) == (
        "json: cannot unmarshal object into Go struct field TransactionArgs.authorizationList "
        "of type []types.SetCodeAuthorization"
    )


def test_receipts_query() -> None:
    h = "0x" + "cd" * 32
    assert params.receipts_query({"transactionHashes": [h]}) == (bytes.fromhex("cd" * 32),)
    assert params.receipts_query({}) == ()
    with pytest.raises(ParamError) as info:
        params.receipts_query({"transactionHashes": h})
    assert str(info.value) == (
        "json: cannot unmarshal string into Go struct field input.transactionHashes "
        "of type []common.Hash"
    )
