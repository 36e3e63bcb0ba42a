"""EIP-712 typed data: the document clients send, hashed as geth hashes it.

geth 1.16's eth namespace has no ``eth_signTypedData`` (it went with the personal
namespace); its EIP-712 code lives on in clef (signer/core/apitypes), and dev nodes answer
``eth_signTypedData_v4`` with the same hashing. This module follows apitypes: the
document's shape (``types``, ``primaryType``, a ``domain`` of at most ``name``,
``version``, ``chainId``, ``verifyingContract`` and ``salt``, a ``message``), its
validation, and its encoding, error texts included:

* ``encodeType``: the primary type first, its dependencies after it in alphabetical
  order, each as ``Name(type1 name1,type2 name2)``;
* ``encodeData``: the type hash, then 32 bytes per member: atomic values padded, strings
  and ``bytes`` hashed, structs hashed recursively, arrays (fixed or dynamic, nested) the
  hash of their encoded elements;
* integers from JSON numbers, decimal strings or hex strings; ``intN`` two's complement;
* the digest ``keccak(0x19 0x01 || domainSeparator || hashStruct(message))``.

Kept where geth keeps quirks clients can see: member values are checked against their
types only as they are encoded (the first bad one is reported); a struct type with no
members encodes as ``Name)``; a ``primaryType`` of ``EIP712Domain`` still hashes its
message. One deliberate difference: geth reads every JSON number as a float64 (so an
integer above 2**53 is rounded before it is signed); here integers stay exact, as in
eth-account and viem.

This is the JSON-RPC layer's code, not the chain's: it reads hex strings and decimal
text inside a JSON document, which only ``rpc`` does; the chain signs the digest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from mocknode.chain.primitives.hashing import keccak
from mocknode.rpc import hexutil
from mocknode.rpc.errors import SERVER_ERROR, RpcError
from mocknode.rpc.params import ParamError, json_kind
from mocknode.values import dataclass

__all__ = ["TypedData", "TypedDataError", "digest", "encode_type", "hash_struct", "parse"]

_REFERENCE: Final = re.compile(r"[A-Za-z](\w*)(\[\d*\])*", re.ASCII)
_DECIMAL: Final = re.compile(r"[+-]?[0-9]+", re.ASCII)
_HEX: Final = re.compile(r"[+-]?[0-9a-fA-F]+", re.ASCII)
_U256: Final = 2**256


def _primitives() -> frozenset[str]:
    names = ["address", "bool", "string", "bytes", "int", "uint"]
    names += [f"bytes{n}" for n in range(1, 33)]
    names += [f"{kind}{n}" for kind in ("int", "uint") for n in range(8, 257, 8)]
    return frozenset(names)


_PRIMITIVES: Final = _primitives()


class TypedDataError(RpcError):
    """Typed data geth's apitypes refuses; -32000 with its message."""

    def __init__(self, message: str) -> None:
        super().__init__(SERVER_ERROR, message)


# -- Go's text for values in error messages ----------------------------------------------


def _go_float(value: float) -> str:
    """fmt's %v of a float64: strconv's 'g' with the shortest digits, in exponent form
    when the decimal exponent is below -4 or at least 6 (``1e+06``, ``1.5e-05``)."""
    if value == 0:
        return "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    point = len(text) + exponent - 1  # decimal exponent of the first digit
    minus = "-" if sign else ""
    if point < -4 or point >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{minus}{mantissa}e{'-' if point < 0 else '+'}{abs(point):02d}"
    fixed = format(Decimal(repr(abs(value))), "f")
    if "." in fixed:
        fixed = fixed.rstrip("0").rstrip(".")
    return minus + fixed


def go_value(value: Any) -> str:
    """fmt's %v of a value encoding/json decoded into an ``interface{}``."""
    if value is None:
        return "<nil>"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def _go_type(value: Any) -> str:
    """reflect.TypeOf(value) printed with %v, for a JSON-decoded value."""
    if value is None:
        return "<nil>"
    if value is True or value is False:
        return "bool"
    if isinstance(value, (int, float)):
        return "float64"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    return "string"


def _go_quote(text: str) -> str:
    """Go's %q for the plain strings type names are."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _mismatch(enc_type: str, value: Any) -> TypedDataError:
    return TypedDataError(f"provided data '{go_value(value)}' doesn't match type '{enc_type}'")


# -- the document ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypedData:
    """An EIP-712 document, decoded as geth's apitypes.TypedData: member lists by type
    name (document order kept), the domain as the map its members make (empty ones
    left out, as TypedDataDomain.Map does), the message as sent."""

    types: dict[str, list[tuple[str, str]]]  # type name -> [(member name, member type)]
    primary_type: str
    domain: dict[str, Any]
    message: dict[str, Any]


def _unmarshal(value: Any, field: str, go_type: str) -> ParamError:
    """A document that does not decode into geth's TypedData: an argument error."""
    return ParamError(
        f"json: cannot unmarshal {json_kind(value)} into Go struct field {field} of type {go_type}"
    )


def _string(value: Any, field: str) -> str:
    if value is None:
        return ""
    if type(value) is not str:
        raise _unmarshal(value, field, "string")
    return value


def _hex_or_decimal256(text: str) -> int:
    """math.ParseBig256: ``0x`` hex or decimal (a sign allowed, as big.Int reads it),
    at most 256 bits; geth's HexOrDecimal256 error otherwise."""
    number: int | None = None
    if text == "":
        number = 0
    elif hexutil.has_prefix(text):
        if _HEX.fullmatch(text[2:]):
            number = int(text[2:], 16)
    elif _DECIMAL.fullmatch(text):
        number = int(text, 10)
    if number is None or abs(number).bit_length() > 256:
        raise TypedDataError(f"invalid hex or decimal integer {_go_quote(text)}")
    return number


def _domain_chain_id(value: Any) -> int:
    """TypedDataDomain.chainId, a *math.HexOrDecimal256: a JSON number's text or a
    string's contents."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _unmarshal(value, "TypedDataDomain.domain.chainId", "*math.HexOrDecimal256")
    if isinstance(value, float):
        if not value.is_integer():
            raise ParamError(f"invalid hex or decimal integer {_go_quote(repr(value))}")
        value = int(value)
    if isinstance(value, str):
        try:
            return _hex_or_decimal256(value)
        except TypedDataError as exc:
            raise ParamError(exc.message) from None
    return int(value)


def _domain(value: Any) -> dict[str, Any]:
    if value is None:
        value = {}
    if type(value) is not dict:
        raise _unmarshal(value, "TypedData.domain", "apitypes.TypedDataDomain")
    out: dict[str, Any] = {}
    chain_id = value.get("chainId")
    if chain_id is not None:
        out["chainId"] = _domain_chain_id(chain_id)
    for key in ("name", "version", "verifyingContract", "salt"):
        text = _string(value.get(key), f"TypedDataDomain.domain.{key}")
        if text:
            out[key] = text
    return out


def _types(value: Any) -> dict[str, list[tuple[str, str]]]:
    if value is None:
        return {}
    if type(value) is not dict:
        raise _unmarshal(value, "TypedData.types", "apitypes.Types")
    out = {}
    for name, members in value.items():
        if members is None:
            members = []
        if type(members) is not list:
            raise _unmarshal(members, "TypedData.types", "[]apitypes.Type")
        fields = []
        for member in members:
            if member is None:
                member = {}
            if type(member) is not dict:
                raise _unmarshal(member, "TypedData.types", "apitypes.Type")
            fields.append(
                (
                    _string(member.get("name"), "Type.types.name"),
                    _string(member.get("type"), "Type.types.type"),
                )
            )
        out[name] = fields
    return out


def parse(value: Any) -> TypedData:
    """The typed-data argument: an object, or (as ethers and viem send it to JSON-RPC
    accounts) a string holding one. A document that does not decode into geth's
    TypedData raises ParamError (an argument error); what is wrong with its contents is
    found when it is hashed (:func:`digest`, -32000)."""
    if type(value) is str:
        try:
            value = json.loads(value)
        except ValueError:
            raise ParamError(
                "json: cannot unmarshal string into Go value of type apitypes.TypedData"
            ) from None
    if value is None:
        value = {}
    if type(value) is not dict:
        raise ParamError(
            f"json: cannot unmarshal {json_kind(value)} into Go value of type apitypes.TypedData"
        )
    message = value.get("message")
    if message is None:
        message = {}
    if type(message) is not dict:
        raise _unmarshal(message, "TypedData.message", "map[string]interface {}")
    return TypedData(
        types=_types(value.get("types")),
        primary_type=_string(value.get("primaryType"), "TypedData.primaryType"),
        domain=_domain(value.get("domain")),
        message=message,
    )


# -- validation ----------------------------------------------------------------------


def _base(type_name: str) -> str:
    return type_name.split("[", 1)[0]


def _validate(data: TypedData) -> None:
    """apitypes' Types.validate and TypedDataDomain.validate (types in document order;
    geth walks a Go map, so with two faults it may name either)."""
    types = data.types
    for key, members in types.items():
        if not key:
            raise TypedDataError("empty type key")
        for i, (name, member_type) in enumerate(members):
            if not member_type:
                raise TypedDataError(f"type {_go_quote(key)}:{i}: empty Type")
            if not name:
                raise TypedDataError(f"type {_go_quote(key)}:{i}: empty Name")
            if key == member_type:
                raise TypedDataError(f"type {_go_quote(member_type)} cannot reference itself")
            if _base(member_type) in _PRIMITIVES:
                continue
            if _base(member_type) not in types:
                raise TypedDataError(f"reference type {_go_quote(member_type)} is undefined")
            if not _REFERENCE.fullmatch(member_type):
                raise TypedDataError(f"unknown reference type {_go_quote(member_type)}")
    if not data.domain:
        raise TypedDataError("domain is undefined")


# -- encoding --------------------------------------------------------------------------


def _dependencies(types: Mapping[str, list[tuple[str, str]]], name: str, found: list[str]) -> None:
    name = _base(name)
    if name in found or name not in types:
        return
    found.append(name)
    for _, member_type in types[name]:
        _dependencies(types, member_type, found)


def encode_type(data: TypedData, primary_type: str) -> bytes:
    """``Primary(type name,...)Dep1(...)Dep2(...)``, dependencies sorted by name."""
    found: list[str] = []
    _dependencies(data.types, primary_type, found)
    if found:
        found = [primary_type, *sorted(found[1:])]
    out = []
    for name in found:
        members = ",".join(f"{t} {n}" for n, t in data.types[name])
        # geth drops the last character written before ")": the "," after the last
        # member, or the "(" itself when there are no members.
        out.append(f"{name}({members})" if members else f"{name})")
    return "".join(out).encode()


def _parse_bytes(value: Any) -> bytes | None:
    if type(value) is not str:
        return None
    try:
        return hexutil.decode_bytes(value)
    except hexutil.HexError:
        return None


def _integer(enc_type: str, value: Any) -> int:
    """apitypes' parseInteger."""
    signed = enc_type.startswith("int")
    size_text = enc_type[3:] if signed else enc_type[4:]
    if enc_type in ("int", "uint"):
        size = 256
    else:
        if not re.fullmatch(r"[+-]?[0-9]+", size_text, re.ASCII):
            raise TypedDataError(f"invalid size on integer: {size_text}")
        size = int(size_text)
    number: int | None = None
    if type(value) is str:
        number = _hex_or_decimal256(value)
    elif type(value) is float:
        if not value.is_integer() or not -(2**63) <= value < 2**63:
            raise TypedDataError(f"invalid float value {_go_float(value)} for type {enc_type}")
        number = int(value)
    elif type(value) is int:
        number = value  # exact (geth would have rounded it through a float64)
    if number is None:
        raise TypedDataError(
            f"invalid integer value {go_value(value)}/{_go_type(value)} for type {enc_type}"
        )
    if abs(number).bit_length() > size:
        raise TypedDataError(f"integer larger than '{enc_type}'")
    if not signed and number < 0:
        raise TypedDataError(f"invalid negative value for unsigned type {enc_type}")
    return number


def _encode_primitive(enc_type: str, value: Any) -> bytes:
    """apitypes' EncodePrimitiveValue: 32 bytes."""
    if enc_type == "address":
        if type(value) is str:
            body = value[2:] if hexutil.has_prefix(value) else value
            if len(body) == 40 and hexutil.is_hex(body):
                return bytes(12) + bytes.fromhex(body)
        raise _mismatch(enc_type, value)
    if enc_type == "bool":
        if value is not True and value is not False:
            raise _mismatch(enc_type, value)
        return (1 if value else 0).to_bytes(32, "big")
    if enc_type == "string":
        if type(value) is not str:
            raise _mismatch(enc_type, value)
        return keccak(value.encode("utf-8", "surrogatepass"))
    if enc_type == "bytes":
        raw = _parse_bytes(value)
        if raw is None:
            raise _mismatch(enc_type, value)
        return keccak(raw)
    if enc_type.startswith("bytes"):
        size_text = enc_type[5:]
        if not re.fullmatch(r"[+-]?[0-9]+", size_text, re.ASCII):
            raise TypedDataError(f"invalid size on bytes: {size_text}")
        size = int(size_text)
        if size < 0 or size > 32:
            raise TypedDataError(f"invalid size on bytes: {size}")
        raw = _parse_bytes(value)
        if raw is None or len(raw) != size:
            raise _mismatch(enc_type, value)
        return raw.ljust(32, b"\x00")
    if enc_type.startswith(("int", "uint")):
        return (_integer(enc_type, value) % _U256).to_bytes(32, "big")
    raise TypedDataError(f"unrecognized type '{enc_type}'")


def _encode_array(data: TypedData, value: Any, enc_type: str) -> bytes:
    """apitypes' encodeArrayValue: the hash of the elements' encodings; a nested list is
    encoded against the base type, as geth recurses."""
    if type(value) is not list:
        raise _mismatch(enc_type, value)
    base = _base(enc_type)
    parts = []
    for item in value:
        if type(item) is list:
            parts.append(_encode_array(data, item, base))
        elif base in data.types:
            if type(item) is not dict:
                raise _mismatch(base, item)
            parts.append(keccak(_encode_data(data, base, item)))
        else:
            parts.append(_encode_primitive(base, item))
    return keccak(b"".join(parts))


def _encode_data(data: TypedData, primary_type: str, values: dict[str, Any]) -> bytes:
    """apitypes' EncodeData: the type hash, then each member's 32 bytes."""
    _validate(data)
    members = data.types.get(primary_type, [])
    if len(members) < len(values):
        raise TypedDataError(
            f"there is extra data provided in the message ({len(members)} < {len(values)})"
        )
    out = [keccak(encode_type(data, primary_type))]
    for name, member_type in members:
        value = values.get(name)
        if member_type.endswith("]"):
            out.append(_encode_array(data, value, member_type))
        elif member_type in data.types:
            if type(value) is not dict:
                raise _mismatch(member_type, value)
            out.append(keccak(_encode_data(data, member_type, value)))
        else:
            out.append(_encode_primitive(member_type, value))
    return b"".join(out)


def hash_struct(data: TypedData, primary_type: str, values: dict[str, Any]) -> bytes:
    return keccak(_encode_data(data, primary_type, values))


def digest(data: TypedData) -> bytes:
    """What is signed: ``keccak(0x19 0x01 || domainSeparator || hashStruct(message))``."""
    separator = hash_struct(data, "EIP712Domain", data.domain)
    return keccak(b"\x19\x01" + separator + hash_struct(data, data.primary_type, data.message))
