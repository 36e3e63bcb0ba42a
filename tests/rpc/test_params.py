"""Parameter decoders against geth 1.16's accepted shapes and exact error texts.

Each rejection's text is what geth writes after ``invalid argument N:`` (the registry
adds that prefix; tests/rpc/test_registry.py checks it). The texts come from hexutil's
decode errors, encoding/json's type errors and geth's own UnmarshalJSON methods; the
comments name the Go function whose behaviour a case pins down.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mocknode.chain.args import TxArgs
from mocknode.chain.logs.query import LogFilter
from mocknode.rpc import params
from mocknode.rpc.errors import RpcError
from mocknode.rpc.params import ParamError, StorageKey
from mocknode.types import Address, BlockRef, Hash32

A1 = "0x" + "11" * 20
A2 = "0x" + "22" * 20
H1 = "0x" + "aa" * 32
H2 = "0x" + "bb" * 32


def addr(text: str) -> Address:
    return Address(bytes.fromhex(text[2:]))


def h32(text: str) -> Hash32:
    return Hash32(bytes.fromhex(text[2:]))


def rejects(decode: Callable[[Any], Any], value: Any, message: str) -> None:
    with pytest.raises(ParamError) as info:
        decode(value)
    assert str(info.value) == message


def go_type_error(problem: str, go_type: str) -> str:
    return f"json: cannot unmarshal {problem} into Go value of type {go_type}"


# -- quantities (hexutil.Big, hexutil.Uint64, hexutil.Uint) -----------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0x0", 0),
        ("0x1", 1),
        ("0xff", 255),
        ("0xFF", 255),
        ("0XfF", 255),  # has0xPrefix accepts 0X
        ("", 0),  # checkNumberText: empty strings are allowed
        ("0x" + "f" * 64, 2**256 - 1),
    ],
)
def test_quantity_accepts(value: str, expected: int) -> None:
    assert params.quantity(value) == expected


BIG_REJECTIONS = [
    ("1", "hex string without 0x prefix"),
    ("0x", 'hex string "0x"'),
    ("0x01", "hex number with leading zero digits"),
    ("0x00", "hex number with leading zero digits"),
    ("0xg", "invalid hex string"),
    ("0x1_0", "invalid hex string"),  # Python's int() would take these three
    ("0x-1", "invalid hex string"),
    ("0x 1", "invalid hex string"),
    (" 0x1", "hex string without 0x prefix"),
    ("0x1" + "0" * 64, "hex number > 256 bits"),
    ("0x" + "g" * 65, "hex number > 256 bits"),  # length is checked before the digits
]


@pytest.mark.parametrize(("value", "problem"), BIG_REJECTIONS)
def test_quantity_rejects(value: str, problem: str) -> None:
    rejects(params.quantity, value, go_type_error(problem, "*hexutil.Big"))


@pytest.mark.parametrize("value", [1, None, True, [], {}])
def test_quantity_rejects_non_strings(value: Any) -> None:
    rejects(params.quantity, value, go_type_error("non-string", "*hexutil.Big"))


def test_quantity_in_a_struct_names_the_field() -> None:
    with pytest.raises(ParamError) as info:
        params.quantity("1", "TransactionArgs.value")
    assert str(info.value) == (
        "json: cannot unmarshal hex string without 0x prefix "
        "into Go struct field TransactionArgs.value of type *hexutil.Big"
    )


def test_uint64() -> None:
    assert params.uint64("0x" + "f" * 16) == 2**64 - 1
    assert params.uint64("") == 0
    for value, problem in [
        ("1", "hex string without 0x prefix"),
        ("0x01", "hex number with leading zero digits"),
        ("0x1" + "0" * 16, "hex number > 64 bits"),
        ("0x" + "g" * 17, "hex number > 64 bits"),
        ("0xg", "invalid hex string"),
        ("0x", 'hex string "0x"'),
    ]:
        rejects(params.uint64, value, go_type_error(problem, "hexutil.Uint64"))
    rejects(params.uint64, 7, go_type_error("non-string", "hexutil.Uint64"))


def test_uint() -> None:
    assert params.uint("0x2") == 2
    rejects(params.uint, "2", go_type_error("hex string without 0x prefix", "hexutil.Uint"))
    rejects(params.uint, "0x1" + "0" * 16, go_type_error("hex number > 64 bits", "hexutil.Uint"))
    rejects(params.uint, None, go_type_error("non-string", "hexutil.Uint"))


# -- data, addresses, hashes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0x", b""), ("", b""), ("0x00", b"\x00"), ("0xABcd", b"\xab\xcd"), ("0X01", b"\x01")],
)
def test_data_accepts(value: str, expected: bytes) -> None:
    assert params.data(value) == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("00", "hex string without 0x prefix"),
        ("0x0", "hex string of odd length"),
        ("0xzz", "invalid hex string"),
        ("0xz", "hex string of odd length"),  # checkText: parity before the digits
        ("0x00 1", "invalid hex string"),  # bytes.fromhex would skip the space
    ],
)
def test_data_rejects(value: str, problem: str) -> None:
    rejects(params.data, value, go_type_error(problem, "hexutil.Bytes"))


def test_data_rejects_non_strings() -> None:
    rejects(params.data, 12, go_type_error("non-string", "hexutil.Bytes"))


def test_address_accepts_any_case() -> None:
    mixed = "0x" + "aB" * 20
    assert params.address(mixed) == b"\xab" * 20
    assert params.address(mixed) == b"\xab" * 20  # a second time, from the cache
    assert params.address(A1.upper().replace("0X", "0x")) == addr(A1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # UnmarshalFixedText: the length error is a plain error, never wrapped.
        ("0x1234", "hex string has length 4, want 40 for common.Address"),
        ("0x" + "00" * 21, "hex string has length 42, want 40 for common.Address"),
        ("", "hex string has length 0, want 40 for common.Address"),
        ("0x", "hex string has length 0, want 40 for common.Address"),
        # The decode errors are wrapped in a type error naming common.Address.
        (A1[2:], go_type_error("hex string without 0x prefix", "common.Address")),
        (A1 + "0", go_type_error("hex string of odd length", "common.Address")),
        ("0x" + "zz" * 20, go_type_error("invalid hex string", "common.Address")),
        (5, go_type_error("non-string", "common.Address")),
        (None, go_type_error("non-string", "common.Address")),
    ],
)
def test_address_rejects(value: Any, message: str) -> None:
    rejects(params.address, value, message)


def test_hash32() -> None:
    assert params.hash32(H1) == h32(H1)
    rejects(params.hash32, "0x1234", "hex string has length 4, want 64 for common.Hash")
    rejects(params.hash32, H1[2:], go_type_error("hex string without 0x prefix", "common.Hash"))
    rejects(params.hash32, [H1], go_type_error("non-string", "common.Hash"))


def test_boolean() -> None:
    assert params.boolean(True) is True
    assert params.boolean(False) is False
    assert params.boolean(None) is False  # null leaves a Go bool false
    rejects(params.boolean, "true", go_type_error("string", "bool"))
    rejects(params.boolean, 1, go_type_error("number", "bool"))
    rejects(params.boolean, [], go_type_error("array", "bool"))
    rejects(params.boolean, {}, go_type_error("object", "bool"))


def test_rpc_id() -> None:
    assert params.rpc_id("0xab12") == "0xab12"
    assert params.rpc_id(None) == ""  # null leaves a Go string empty
    rejects(params.rpc_id, 1, go_type_error("number", "rpc.ID"))
    rejects(params.rpc_id, ["0x1"], go_type_error("array", "rpc.ID"))


# -- block numbers (rpc.BlockNumber) -------------------------------------------------------


@pytest.mark.parametrize("tag", ["latest", "earliest", "pending", "safe", "finalized"])
def test_block_number_tags(tag: str) -> None:
    assert params.block_number(tag) == BlockRef(tag=tag)  # type: ignore[arg-type]
    assert params.block_ref(tag) == BlockRef(tag=tag)  # type: ignore[arg-type]


def test_block_number_numbers() -> None:
    assert params.block_number("0x0") == BlockRef(number=0)
    assert params.block_number("0x10") == BlockRef(number=16)
    assert params.block_number("0x7fffffffffffffff") == BlockRef(number=2**63 - 1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # Errors come back bare: rpc.BlockNumber returns hexutil's errors unwrapped.
        ("10", "hex string without 0x prefix"),
        ("Latest", "hex string without 0x prefix"),  # an unknown tag
        ("latestt", "hex string without 0x prefix"),
        ("", "empty hex string"),
        ("0x", 'hex string "0x"'),
        ("0x01", "hex number with leading zero digits"),
        ("0xg", "invalid hex string"),
        ("0x8000000000000000", "block number larger than int64"),
        ("0x1" + "0" * 16, "hex number > 64 bits"),
        ("0x" + "f" * 16 + "g", "invalid hex string"),  # ParseUint: digit order decides
        ("0x" + "f" * 17 + "g", "hex number > 64 bits"),
        # The raw JSON text of a non-string has no 0x prefix.
        (10, "hex string without 0x prefix"),
        (None, "hex string without 0x prefix"),
        (True, "hex string without 0x prefix"),
    ],
)
def test_block_number_rejects(value: Any, message: str) -> None:
    rejects(params.block_number, value, message)


# -- block references (rpc.BlockNumberOrHash, EIP-1898) ----------------------------------


def test_block_ref_shapes() -> None:
    assert params.block_ref("0x5") == BlockRef(number=5)
    assert params.block_ref(H1) == BlockRef(block_hash=h32(H1))
    assert params.block_ref({"blockNumber": "0x5"}) == BlockRef(number=5)
    assert params.block_ref({"blockNumber": "safe"}) == BlockRef(tag="safe")
    assert params.block_ref({"blockHash": H1}) == BlockRef(block_hash=h32(H1))
    assert params.block_ref({"blockHash": H1, "requireCanonical": True}) == BlockRef(
        block_hash=h32(H1), require_canonical=True
    )
    assert params.block_ref({"blockHash": H1, "requireCanonical": False, "x": 1}) == BlockRef(
        block_hash=h32(H1)
    )
    assert params.block_ref({"blockNumber": "0x1", "blockHash": None}) == BlockRef(number=1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("10", "hex string without 0x prefix"),
        ("0x8000000000000000", "blocknumber too high"),  # this path's own wording
        # 66 characters: read as a hash, its errors unwrapped (UnmarshalText).
        ("00" + "ab" * 32, "hex string without 0x prefix"),
        ("0x" + "zz" * 32, "invalid hex string"),
        # Not an object, so geth retries it as a Go string and reports that.
        (5, go_type_error("number", "string")),
        (True, go_type_error("bool", "string")),
        ([H1], go_type_error("array", "string")),
        # An object whose members do not decode fails the same way.
        ({"blockHash": "0x12"}, go_type_error("object", "string")),
        ({"blockNumber": 5}, go_type_error("object", "string")),
        ({"blockHash": H1, "requireCanonical": "yes"}, go_type_error("object", "string")),
        (
            {"blockNumber": "0x1", "blockHash": H1},
            "cannot specify both BlockHash and BlockNumber, choose one or the other",
        ),
    ],
)
def test_block_ref_rejects(value: Any, message: str) -> None:
    rejects(params.block_ref, value, message)


@pytest.mark.parametrize("value", [{}, {"requireCanonical": True}, None])
def test_block_ref_naming_neither_fails_when_the_method_runs(value: Any) -> None:
    # geth 1.16 decodes these and fails in StateAndHeaderByNumberOrHash: -32000, no prefix.
    with pytest.raises(RpcError) as info:
        params.block_ref(value)
    assert (info.value.code, info.value.message) == (
        -32000,
        "invalid arguments; neither block nor hash specified",
    )


# -- storage keys -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "slot"),
    [
        ("0x0", 0),
        ("0x01", 1),
        ("1", 1),  # the prefix is optional here
        ("abc", 0xABC),  # odd length is padded
        ("0x", 0),
        ("", 0),
        (None, 0),  # null leaves the Go string empty
        ("0x" + "ff" * 32, 2**256 - 1),
    ],
)
def test_storage_key_accepts(value: Any, slot: int) -> None:
    assert params.storage_key(value) == slot
    assert params.storage_slot(params.storage_text(value)) == slot


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0x" + "0" * 65, "hex string too long, want at most 32 bytes"),  # padded to 66
        ("0xzz", "hex string invalid"),
        ("0x1_0", "hex string invalid"),
        ("0x 1", "hex string invalid"),
    ],
)
def test_bad_storage_keys_are_server_errors(value: str, problem: str) -> None:
    # geth 1.16 decodes keys inside the methods (decodeHash): -32000, no argument prefix.
    with pytest.raises(RpcError) as info:
        params.storage_slot(value)
    assert (info.value.code, info.value.message) == (
        -32000,
        f"unable to decode storage key: {problem}",
    )
    with pytest.raises(RpcError) as info:
        params.storage_keys(["0x1", value])
    assert (info.value.code, info.value.message) == (-32000, problem)


def test_storage_key_must_be_a_string() -> None:
    assert params.storage_text("0xzz") == "0xzz"  # checked later, by the method
    assert params.storage_text(None) == ""
    rejects(params.storage_text, 5, go_type_error("number", "string"))
    rejects(params.storage_key, 5, go_type_error("number", "string"))


def test_storage_keys_keep_the_width_they_were_sent_with() -> None:
    word = "0x" + "00" * 31 + "07"
    assert params.storage_keys(["0x7", word, "0x0100", "", None]) == [
        StorageKey(7, 1),
        StorageKey(7, 32),
        StorageKey(256, 2),
        StorageKey(0, 0),
        StorageKey(0, 0),
    ]
    assert params.storage_keys(None) == []
    rejects(params.storage_keys, "0x1", go_type_error("string", "[]string"))
    rejects(params.storage_keys, ["0x1", 2], go_type_error("number", "string"))


# -- transaction arguments (ethapi.TransactionArgs) ----------------------------------------


def test_tx_args_all_fields() -> None:
    decoded = params.tx_args(
        {
            "from": A1,
            "to": A2,
            "gas": "0x5208",
            "gasPrice": "0x1",
            "maxFeePerGas": "0x3b9aca00",
            "maxPriorityFeePerGas": "0x2",
            "value": "0xde0b6b3a7640000",
            "nonce": "0x7",
            "input": "0xabcd",
            "chainId": "0x7a69",
            "accessList": [{"address": A2, "storageKeys": [H1, H2]}],
            "type": "0x2",
            "unknownField": [1, 2],  # ignored, as Go ignores unknown members
        }
    )
    assert decoded == TxArgs(
        sender=addr(A1),
        to=addr(A2),
        gas=21000,
        gas_price=1,
        max_fee_per_gas=10**9,
        max_priority_fee_per_gas=2,
        value=10**18,
        data=b"\xab\xcd",
        nonce=7,
        chain_id=31337,
        access_list=((addr(A2), (h32(H1), h32(H2))),),
        type=2,
    )


def test_tx_args_null_and_empty() -> None:
    assert params.tx_args(None) == TxArgs()  # null leaves the Go struct zero
    assert params.tx_args({}) == TxArgs()
    assert params.tx_args({"to": None, "data": None}) == TxArgs()
    assert params.tx_args({"data": "0x01"}) == TxArgs(data=b"\x01")


def test_data_and_input() -> None:
    assert params.tx_args({"data": "0x01", "input": "0x01"}).data == b"\x01"
    # eth_call and eth_estimateGas: input wins without complaint (ToMessage).
    assert params.call_args({"data": "0x01", "input": "0x02"}).data == b"\x02"
    # eth_sendTransaction: setDefaults refuses the mix, -32000 once arguments decoded.
    with pytest.raises(RpcError) as info:
        params.tx_args({"data": "0x01", "input": "0x02"})
    assert (info.value.code, info.value.message) == (
        -32000,
        'both "data" and "input" are set and not equal. '
        'Please use "input" to pass transaction call data',
    )


def field_error(problem: str, field: str, go_type: str) -> str:
    return (
        f"json: cannot unmarshal {problem} into Go struct field "
        f"TransactionArgs.{field} of type {go_type}"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0x1", go_type_error("string", "ethapi.TransactionArgs")),
        ([{}], go_type_error("array", "ethapi.TransactionArgs")),
        (7, go_type_error("number", "ethapi.TransactionArgs")),
        ({"from": 5}, field_error("non-string", "from", "common.Address")),
        ({"to": A1[2:]}, field_error("hex string without 0x prefix", "to", "common.Address")),
        ({"from": "0x12"}, "hex string has length 2, want 40 for common.Address"),
        ({"gas": "21000"}, field_error("hex string without 0x prefix", "gas", "hexutil.Uint64")),
        (
            {"nonce": "0x01"},
            field_error("hex number with leading zero digits", "nonce", "hexutil.Uint64"),
        ),
        ({"value": "0x"}, field_error('hex string "0x"', "value", "*hexutil.Big")),
        ({"gasPrice": 1}, field_error("non-string", "gasPrice", "*hexutil.Big")),
        ({"input": "0x1"}, field_error("hex string of odd length", "input", "hexutil.Bytes")),
        ({"data": "zz"}, field_error("hex string without 0x prefix", "data", "hexutil.Bytes")),
        # Members decode in document order: the first bad one is reported.
        (
            {"gas": "1", "from": 5},
            field_error("hex string without 0x prefix", "gas", "hexutil.Uint64"),
        ),
        ({"from": 5, "gas": "1"}, field_error("non-string", "from", "common.Address")),
    ],
)
def test_tx_args_rejects(value: Any, message: str) -> None:
    rejects(params.tx_args, value, message)
    rejects(params.call_args, value, message)


@pytest.mark.parametrize(
    ("access_list", "message"),
    [
        ("0x", field_error("string", "accessList", "types.AccessList")),
        ({}, field_error("object", "accessList", "types.AccessList")),
        (["0x"], field_error("string", "accessList", "types.AccessTuple")),
        ([{}], "missing required field 'address' for AccessTuple"),
        ([None], "missing required field 'address' for AccessTuple"),
        ([{"address": A1}], "missing required field 'storageKeys' for AccessTuple"),
        (
            [{"address": 1, "storageKeys": []}],
            field_error("non-string", "accessList.address", "common.Address"),
        ),
        (
            [{"address": A1, "storageKeys": "0x"}],
            field_error("string", "accessList.storageKeys", "[]common.Hash"),
        ),
        (
            [{"address": A1, "storageKeys": ["0x1"]}],
            field_error("hex string of odd length", "accessList.storageKeys", "common.Hash"),
        ),
    ],
)
def test_access_list_rejects(access_list: Any, message: str) -> None:
    rejects(params.tx_args, {"accessList": access_list}, message)


def test_access_list_empty_keys() -> None:
    decoded = params.tx_args({"accessList": [{"address": A1, "storageKeys": []}]})
    assert decoded.access_list == ((addr(A1), ()),)


# -- log filters (filters.FilterCriteria) --------------------------------------------------


def test_log_filter_shapes() -> None:
    assert params.log_filter(None) == LogFilter()
    assert params.log_filter({}) == LogFilter()
    assert params.log_filter(
        {"fromBlock": "0x1", "toBlock": "latest", "address": A1, "topics": [H1, None, [H1, H2]]}
    ) == LogFilter(
        from_block=BlockRef(number=1),
        to_block=BlockRef(tag="latest"),
        addresses=(addr(A1),),
        topics=((h32(H1),), None, (h32(H1), h32(H2))),
    )
    assert params.log_filter({"blockHash": H1, "address": [A1, A2]}) == LogFilter(
        block_hash=h32(H1), addresses=(addr(A1), addr(A2))
    )
    assert params.log_filter({"address": [], "topics": []}) == LogFilter()
    assert params.log_filter({"address": None, "topics": None, "fromBlock": None}) == LogFilter()


def test_topic_positions() -> None:
    def topics(value: list[Any]) -> Any:
        return params.log_filter({"topics": value}).topics

    assert topics([[]]) == (None,)  # an empty alternative list matches anything
    assert topics([[H1, None]]) == (None,)  # a null alternative makes the position a wildcard
    # geth stops reading a position at its null, so what follows is never checked.
    assert topics([[None, "garbage"]]) == (None,)
    assert topics([None, None, H2]) == (None, None, (h32(H2),))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("latest", go_type_error("string", "filters.input")),
        ([], go_type_error("array", "filters.input")),
        (
            {"blockHash": H1, "fromBlock": "0x1"},
            "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other",
        ),
        (
            {"toBlock": "latest", "blockHash": H1},
            "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other",
        ),
        ({"fromBlock": 1}, "hex string without 0x prefix"),
        ({"toBlock": "0x01"}, "hex number with leading zero digits"),
        ({"blockHash": "0x12"}, "hex string has length 2, want 64 for common.Hash"),
        (
            {"blockHash": 1},
            "json: cannot unmarshal non-string into Go struct field input.blockHash "
            "of type common.Hash",
        ),
        (
            {"topics": H1},
            "json: cannot unmarshal string into Go struct field input.topics "
            "of type []interface {}",
        ),
        # Addresses go through hexutil.Decode and geth's own length check.
        ({"address": A1[2:]}, "invalid address: hex string without 0x prefix"),
        ({"address": ""}, "invalid address: empty hex string"),
        ({"address": "0xabc"}, "invalid address: hex string of odd length"),
        ({"address": "0xzzz"}, "invalid address: invalid hex string"),  # digits before parity
        (
            {"address": "0x1234"},
            "invalid address: hex has invalid length 2 after decoding; expected 20 for address",
        ),
        ({"address": [A1, 5]}, "non-string address at index 1"),
        (
            {"address": [A1, "0x12"]},
            "invalid address at index 1: "
            "hex has invalid length 1 after decoding; expected 20 for address",
        ),
        ({"address": 5}, "invalid addresses in query"),
        ({"address": {"a": A1}}, "invalid addresses in query"),
        # Topics.
        ({"topics": [H1] * 5}, "exceed max topics"),
        ({"topics": [[H1] * 1001]}, "exceed max topics"),
        ({"topics": [5]}, "invalid topic(s)"),
        ({"topics": [[H1, 5]]}, "invalid topic(s)"),
        ({"topics": ["0x12"]}, "hex has invalid length 1 after decoding; expected 32 for topic"),
        (
            {"topics": [[H1, "0x"]]},
            "hex has invalid length 0 after decoding; expected 32 for topic",
        ),
        ({"topics": [H1[2:]]}, "hex string without 0x prefix"),
    ],
)
def test_log_filter_rejects(value: Any, message: str) -> None:
    rejects(params.log_filter, value, message)
