"""EIP-712 hashing on its own, checked against eth-account's encode_typed_data and the
EIP's own example, and geth apitypes' error texts for documents it refuses."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from eth_account.messages import _hash_eip191_message, encode_typed_data

from mocknode.rpc import typed_data
from mocknode.rpc.params import ParamError
from mocknode.rpc.typed_data import TypedDataError

# The example of EIP-712 itself.
MAIL: dict[str, Any] = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "version", "type": "string"},
            {"name": "chainId", "type": "uint256"},
            {"name": "verifyingContract", "type": "address"},
        ],
        "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
        "Mail": [
            {"name": "from", "type": "Person"},
            {"name": "to", "type": "Person"},
            {"name": "contents", "type": "string"},
        ],
    },
    "primaryType": "Mail",
    "domain": {
        "name": "Ether Mail",
        "version": "1",
        "chainId": 1,
        "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
    },
    "message": {
        "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
        "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
        "contents": "Hello, Bob!",
    },
}

# Everything v4 adds: arrays of structs, nested and fixed-size arrays, every atomic type,
# integers as JSON numbers, decimal strings and hex strings, a salt in the domain.
ORDER: dict[str, Any] = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "chainId", "type": "uint256"},
            {"name": "verifyingContract", "type": "address"},
            {"name": "salt", "type": "bytes32"},
        ],
        "Item": [
            {"name": "sku", "type": "bytes4"},
            {"name": "qty", "type": "uint16"},
            {"name": "tags", "type": "string[]"},
        ],
        "Party": [{"name": "who", "type": "address"}, {"name": "items", "type": "Item[]"}],
        "Order": [
            {"name": "buyer", "type": "Party"},
            {"name": "sellers", "type": "Party[2]"},
            {"name": "grid", "type": "int8[2][]"},
            {"name": "memo", "type": "bytes"},
            {"name": "urgent", "type": "bool"},
            {"name": "amount", "type": "uint256"},
            {"name": "delta", "type": "int64"},
            {"name": "ids", "type": "uint32[]"},
        ],
    },
    "primaryType": "Order",
    "domain": {
        "name": "Shop",
        "chainId": "0x7a69",
        "verifyingContract": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "salt": "0x" + "5a" * 32,
    },
    "message": {
        "buyer": {
            "who": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            "items": [{"sku": "0xdeadbeef", "qty": 3, "tags": ["red", "", "big"]}],
        },
        "sellers": [
            {"who": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "items": []},
            {
                "who": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
                "items": [
                    {"sku": "0x00000001", "qty": "65535", "tags": []},
                    {"sku": "0xffffffff", "qty": "0x10", "tags": ["x"]},
                ],
            },
        ],
        "grid": [[1, -2], [127, -128], []],
        "memo": "0x0102030405",
        "urgent": True,
        "amount": str(2**256 - 1),
        "delta": -(2**63),
        "ids": [],
    },
}


def eth_account_digest(document: dict[str, Any]) -> bytes:
    return bytes(_hash_eip191_message(encode_typed_data(full_message=document)))


def test_the_eip_712_example_digest() -> None:
    data = typed_data.parse(MAIL)
    assert typed_data.encode_type(data, "Mail") == (
        b"Mail(Person from,Person to,string contents)Person(string name,address wallet)"
    )
    assert typed_data.hash_struct(data, "Mail", MAIL["message"]).hex() == (
        "c52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e"
    )
    assert typed_data.digest(data).hex() == (
        "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"
    )
    assert typed_data.digest(data) == eth_account_digest(MAIL)


def test_nested_structs_and_arrays_hash_as_eth_account_does() -> None:
    data = typed_data.parse(ORDER)
    assert typed_data.encode_type(data, "Order") == (
        b"Order(Party buyer,Party[2] sellers,int8[2][] grid,bytes memo,bool urgent,"
        b"uint256 amount,int64 delta,uint32[] ids)"
        b"Item(bytes4 sku,uint16 qty,string[] tags)Party(address who,Item[] items)"
    )
    assert typed_data.digest(data) == eth_account_digest(ORDER)


def test_a_json_string_document_is_the_same_document() -> None:
    # ethers and viem send typed data to JSON-RPC accounts as a string.
    assert typed_data.digest(typed_data.parse(json.dumps(ORDER))) == eth_account_digest(ORDER)


def test_integers_as_numbers_decimal_or_hex_strings_are_one_value() -> None:
    digests = set()
    for qty in (3, "3", "0x3", 3.0):
        document = copy.deepcopy(ORDER)
        document["message"]["buyer"]["items"][0]["qty"] = qty
        digests.add(typed_data.digest(typed_data.parse(document)))
    assert digests == {eth_account_digest(ORDER)}


def test_a_struct_without_members_encodes_as_geth_writes_it() -> None:
    # geth writes "Name(" then drops the last byte before ")": with no members that is
    # the "(" itself.
    document = {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}],
            "Ping": [{"name": "empty", "type": "Empty"}],
            "Empty": [],
        },
        "primaryType": "Ping",
        "domain": {"name": "x"},
        "message": {"empty": {}},
    }
    data = typed_data.parse(document)
    assert typed_data.encode_type(data, "Ping") == b"Ping(Empty empty)Empty)"


def mutated(path: list[Any], value: Any, base: dict[str, Any] = MAIL) -> dict[str, Any]:
    document = copy.deepcopy(base)
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            mutated(["message", "contents"], 5),
            "provided data '5' doesn't match type 'string'",
        ),
        (
            mutated(["message", "contents"], KeyError),
            "provided data '<nil>' doesn't match type 'string'",
        ),
        (
            mutated(["message", "from"], "Cow"),
            "provided data 'Cow' doesn't match type 'Person'",
        ),
        (
            mutated(["message", "to", "wallet"], "0x1234"),
            "provided data '0x1234' doesn't match type 'address'",
        ),
        (
            mutated(["message", "extra"], 1),
            "there is extra data provided in the message (3 < 4)",
        ),
        (
            mutated(["types", "Mail", 0, "type"], "Persona"),
            'reference type "Persona" is undefined',
        ),
        (
            mutated(["types", "Person", 0, "type"], "Person"),
            'type "Person" cannot reference itself',
        ),
        (mutated(["types", "Person", 1, "name"], ""), 'type "Person":1: empty Name'),
        (mutated(["domain"], {}), "domain is undefined"),
        (
            mutated(["domain", "chainId"], KeyError),
            "invalid integer value <nil>/<nil> for type uint256",
        ),
        (
            mutated(
                ["types", "EIP712Domain", 2, "type"], "uint8", mutated(["domain", "chainId"], 300)
            ),
            "integer larger than 'uint8'",
        ),
    ],
)
def test_documents_geth_refuses_get_its_texts(document: dict[str, Any], message: str) -> None:
    data = typed_data.parse(document)
    with pytest.raises(TypedDataError) as info:
        typed_data.digest(data)
    assert (info.value.code, info.value.message) == (-32000, message)


def scalar(member_type: str, value: Any) -> dict[str, Any]:
    """A document whose message is one member of ``member_type``."""
    return {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}],
            "M": [{"name": "v", "type": member_type}],
        },
        "primaryType": "M",
        "domain": {"name": "d"},
        "message": {"v": value},
    }


@pytest.mark.parametrize(
    ("member_type", "value", "message"),
    [
        ("uint8", -1, "invalid negative value for unsigned type uint8"),
        ("uint8", 256, "integer larger than 'uint8'"),
        ("int8", -255, None),  # geth checks the magnitude's bits: -255 passes int8
        ("uint256", 1.5, "invalid float value 1.5 for type uint256"),
        ("uint256", True, "invalid integer value true/bool for type uint256"),
        ("uint256", "12x", 'invalid hex or decimal integer "12x"'),
        ("uint256", "0x" + "f" * 65, 'invalid hex or decimal integer "0x' + "f" * 65 + '"'),
        ("bytes4", "0x1234", "provided data '0x1234' doesn't match type 'bytes4'"),
        ("bytes", "1234", "provided data '1234' doesn't match type 'bytes'"),
        ("bool", 1, "provided data '1' doesn't match type 'bool'"),
        ("string[]", "a", "provided data 'a' doesn't match type 'string[]'"),
        ("address", "f39Fd6e51aad88F6F4ce6aB8827279cffFb92266", None),  # 0x optional
    ],
)
def test_member_values_are_checked_as_geth_checks_them(
    member_type: str, value: Any, message: str | None
) -> None:
    data = typed_data.parse(scalar(member_type, value))
    if message is None:
        assert len(typed_data.digest(data)) == 32
        return
    with pytest.raises(TypedDataError) as info:
        typed_data.digest(data)
    assert info.value.message == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "json: cannot unmarshal array into Go value of type apitypes.TypedData"),
        ("{not json", "json: cannot unmarshal string into Go value of type apitypes.TypedData"),
        (
            {**MAIL, "message": "hi"},
            "json: cannot unmarshal string into Go struct field TypedData.message "
            "of type map[string]interface {}",
        ),
        (
            {**MAIL, "types": []},
            "json: cannot unmarshal array into Go struct field TypedData.types "
            "of type apitypes.Types",
        ),
        (
            {**MAIL, "domain": {"chainId": "seven"}},
            'invalid hex or decimal integer "seven"',
        ),
        (
            {**MAIL, "domain": {"name": 7}},
            "json: cannot unmarshal number into Go struct field TypedDataDomain.domain.name "
            "of type string",
        ),
    ],
)
def test_documents_that_do_not_decode_are_argument_errors(value: Any, message: str) -> None:
    with pytest.raises(ParamError) as info:
        typed_data.parse(value)
    assert str(info.value) == message


def test_go_value_text() -> None:
    assert typed_data.go_value(None) == "<nil>"
    assert typed_data.go_value([1, "a", None]) == "[1 a <nil>]"
    assert typed_data.go_value({"b": 1, "a": True}) == "map[a:true b:1]"
    assert typed_data.go_value(1e21) == "1e+21"
    assert typed_data.go_value(2.5) == "2.5"
