"""The dev methods' parameter decoders (sans-io): anvil's reading of quantities, slots,
evm_mine's options and anvil_reset's, and geth's error text for what they refuse."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mocknode.rpc.errors import RpcError
from mocknode.rpc.methods import dev_params
from mocknode.rpc.params import ParamError

BIG = " into Go value of type *hexutil.Big"
NO_PREFIX = "json: cannot unmarshal hex string without 0x prefix" + BIG
NOT_A_STRING = "json: cannot unmarshal non-string" + BIG


def rejects(decode: Callable[[Any], Any], value: Any, message: str) -> None:
    with pytest.raises(ParamError) as info:
        decode(value)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (5, 5),
        ("0x5", 5),
        ("0X5", 5),
        ("0x05", 5),  # leading zeros: anvil's U256 takes them, geth's hexutil does not
        ("0x" + "0" * 70 + "1", 1),  # however many, as long as the value fits
        ("0x", 0),  # anvil's U256 reads "0x" as 0
        ("", 0),  # and geth's hexutil.Big reads "" so
        ("0xDE0B6B3A7640000", 10**18),
        ("1000000000000000000", 10**18),  # a decimal string, as anvil parses it
        (2**256 - 1, 2**256 - 1),
        ("0x" + "f" * 64, 2**256 - 1),
    ],
)
def test_number_reads_anvils_shapes(value: Any, expected: int) -> None:
    assert dev_params.number(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "negative number -1"),
        (2**256, "number > 256 bits"),
        (str(2**256), "number > 256 bits"),
        ("0x1" + "0" * 64, "json: cannot unmarshal hex number > 256 bits" + BIG),
        ("ten", NO_PREFIX),
        ("0xzz", "json: cannot unmarshal invalid hex string" + BIG),
        ("²", NO_PREFIX),  # a digit to str.isdigit, not to anvil
        (1.5, NOT_A_STRING),
        (True, NOT_A_STRING),
        (None, NOT_A_STRING),
    ],
)
def test_number_refuses_with_geths_text(value: Any, message: str) -> None:
    rejects(dev_params.number, value, message)


def test_number64_bounds() -> None:
    assert dev_params.number64(2**64 - 1) == 2**64 - 1
    assert dev_params.number64("0x00ffffffffffffffff") == 2**64 - 1
    rejects(dev_params.number64, 2**64, "number > 64 bits")
    rejects(
        dev_params.number64,
        "0x10000000000000000",
        "json: cannot unmarshal hex number > 64 bits into Go value of type hexutil.Uint64",
    )


def test_slot_reads_numbers_decimal_text_and_keys() -> None:
    assert dev_params.slot(5) == 5
    assert dev_params.slot("5") == 5  # decimal, as anvil's U256
    assert dev_params.slot("0x10") == 16
    assert dev_params.slot("0x" + "00" * 31 + "01") == 1
    assert dev_params.slot("ab") == 0xAB  # geth's decodeHash: hex without a prefix
    with pytest.raises(RpcError) as info:
        dev_params.slot("0x" + "11" * 33)
    assert (
        info.value.message
        == "unable to decode storage key: hex string too long, want at most 32 bytes"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (123, (1, 123)),
        ("0x7b", (1, 123)),
        ({}, (1, None)),
        ({"blocks": 3}, (3, None)),
        ({"blocks": "0x3", "timestamp": "0x7b"}, (3, 123)),
        ({"timestamp": 123, "blocks": 2}, (2, 123)),
        ({"blocks": None, "timestamp": None}, (1, None)),
        ({"blocks": 2, "other": "ignored, as serde ignores it"}, (2, None)),
    ],
)
def test_mine_options(value: Any, expected: tuple[int, int | None]) -> None:
    assert dev_params.mine_options(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        {},
        {"forking": None},
        {"forking": {}},
        {"forking": {"blockNumber": None}},
        {"jsonRpcUrl": None},
    ],
)
def test_reset_options_without_a_fork(value: Any) -> None:
    assert dev_params.reset_options(value) is None


@pytest.mark.parametrize(
    "value",
    [
        {"forking": {"jsonRpcUrl": "https://rpc.invalid"}},
        {"forking": {"blockNumber": 5}},
        {"jsonRpcUrl": "https://rpc.invalid", "blockNumber": "0x5"},
    ],
)
def test_reset_options_refuse_forking(value: Any) -> None:
    rejects(
        dev_params.reset_options,
        value,
        "forking is not supported: mocknode serves its own chain only",
    )


def test_reset_options_shape_errors() -> None:
    rejects(dev_params.reset_options, 5, "expected an object with the forking options")
    rejects(dev_params.reset_options, {"forking": "yes"}, "forking: expected an object")
