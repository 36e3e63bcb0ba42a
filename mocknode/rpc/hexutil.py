"""geth's hexutil text rules (common/hexutil), one function per decoder geth uses.

The rules differ in small ways clients can see: an empty string is 0 for a quantity but
an error for ``hexutil.Decode``; ``Bytes`` checks parity before digits where
``encoding/hex`` reports a bad digit first; a fixed-size value reports its length before
its digits; block numbers go through ``strconv.ParseUint``, whose first problem in digit
order wins. Each function here reproduces one of them with geth's messages, raising
:class:`DecError` for hexutil's ``decError`` values (which geth wraps in a JSON type
error when decoding a JSON value) and plain :class:`HexError` for the rest. Python's
``int(..., 16)`` and ``bytes.fromhex`` are only called on text already checked, since
they accept ``_``, signs and spaces that Go refuses.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BIG256_RANGE",
    "EMPTY_NUMBER",
    "EMPTY_STRING",
    "LEADING_ZERO",
    "MISSING_PREFIX",
    "ODD_LENGTH",
    "SYNTAX",
    "UINT64_RANGE",
    "DecError",
    "HexError",
    "decode_bytes",
    "decode_uint64",
    "has_prefix",
    "is_hex",
    "number_body",
    "unmarshal_bytes",
    "unmarshal_fixed",
    "unmarshal_number",
]


class HexError(ValueError):
    """Text that hexutil refuses; the message is geth's."""


class DecError(HexError):
    """One of hexutil's ``decError`` values: the ones geth wraps in a JSON type error."""


# hexutil's decode errors (common/hexutil/hexutil.go).
EMPTY_STRING: Final = "empty hex string"
SYNTAX: Final = "invalid hex string"
MISSING_PREFIX: Final = "hex string without 0x prefix"
ODD_LENGTH: Final = "hex string of odd length"
EMPTY_NUMBER: Final = 'hex string "0x"'
LEADING_ZERO: Final = "hex number with leading zero digits"
UINT64_RANGE: Final = "hex number > 64 bits"
BIG256_RANGE: Final = "hex number > 256 bits"

_HEX_DIGITS: Final = "0123456789abcdefABCDEF"


def is_hex(text: str) -> bool:
    """Only hex digits (or nothing). str.strip runs in C; anything left is not a digit."""
    return not text.strip(_HEX_DIGITS)


def has_prefix(text: str) -> bool:
    return text[:2] == "0x" or text[:2] == "0X"


def number_body(text: str) -> str:
    """hexutil checkNumber/checkNumberText for a non-empty text: the digits after 0x."""
    if not has_prefix(text):
        raise DecError(MISSING_PREFIX)
    body = text[2:]
    if not body:
        raise DecError(EMPTY_NUMBER)
    if len(body) > 1 and body[0] == "0":
        raise DecError(LEADING_ZERO)
    return body


def unmarshal_number(text: str, max_digits: int, range_error: str) -> int:
    """``Uint64``/``Uint``/``Big`` UnmarshalText: an empty string is 0, the length is
    checked before the digits (leading zeros are refused, so length bounds the value)."""
    if not text:
        return 0
    body = number_body(text)
    if len(body) > max_digits:
        raise DecError(range_error)
    if not is_hex(body):
        raise DecError(SYNTAX)
    return int(body, 16)


def decode_uint64(text: str) -> int:
    """hexutil.DecodeUint64 (block numbers): strconv.ParseUint reports the first problem
    in digit order, so a bad digit among the first 17 is a syntax error, else more than
    16 digits overflow."""
    if not text:
        raise DecError(EMPTY_STRING)
    body = number_body(text)
    if not is_hex(body[:17]):
        raise DecError(SYNTAX)
    if len(body) > 16:
        raise DecError(UINT64_RANGE)
    return int(body, 16)


def unmarshal_bytes(text: str) -> bytes:
    """``Bytes`` UnmarshalText (checkText with the prefix required): odd length is
    reported before bad digits; an empty string is empty bytes."""
    if not text:
        return b""
    if not has_prefix(text):
        raise DecError(MISSING_PREFIX)
    body = text[2:]
    if len(body) % 2:
        raise DecError(ODD_LENGTH)
    if not is_hex(body):
        raise DecError(SYNTAX)
    return bytes.fromhex(body)


def unmarshal_fixed(text: str, size: int, go_type: str) -> bytes:
    """UnmarshalFixedText: prefix and parity, then the length (a plain error, never
    wrapped), then the digits."""
    body = ""
    if text:
        if not has_prefix(text):
            raise DecError(MISSING_PREFIX)
        body = text[2:]
        if len(body) % 2:
            raise DecError(ODD_LENGTH)
    if len(body) != size * 2:
        raise HexError(f"hex string has length {len(body)}, want {size * 2} for {go_type}")
    if not is_hex(body):
        raise DecError(SYNTAX)
    return bytes.fromhex(body)


def decode_bytes(text: str) -> bytes:
    """hexutil.Decode (filter addresses and topics): bad digits before odd length, as
    encoding/hex reports them."""
    if not text:
        raise DecError(EMPTY_STRING)
    if not has_prefix(text):
        raise DecError(MISSING_PREFIX)
    body = text[2:]
    if not is_hex(body):
        raise DecError(SYNTAX)
    if len(body) % 2:
        raise DecError(ODD_LENGTH)
    return bytes.fromhex(body)
