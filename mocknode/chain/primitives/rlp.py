"""Recursive Length Prefix, the encoding under every transaction, header and trie node.

Hand-written because it sits on the hottest paths (a transfer encodes and decodes a
handful of structures): the ``rlp`` package infers sedes and builds objects for every
item. Decoding is strict like geth's: non-canonical sizes and integers are errors,
since a mock node that accepts what geth refuses hides client bugs.
"""

from __future__ import annotations

from collections.abc import Iterable

RlpItem = bytes | list["RlpItem"]


class RlpError(ValueError):
    """Malformed RLP; the message uses geth's ``rlp:`` wording where one exists."""


def _length_prefix(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes((offset + length,))
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((offset + 55 + len(encoded),)) + encoded


def encode_bytes(data: bytes) -> bytes:
    if len(data) == 1 and data[0] < 0x80:
        return data
    return _length_prefix(len(data), 0x80) + data


def encode_int(value: int) -> bytes:
    if value == 0:
        return b"\x80"
    if value < 0x80:
        return bytes((value,))
    data = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return _length_prefix(len(data), 0x80) + data


def encode_list(encoded_items: Iterable[bytes]) -> bytes:
    payload = b"".join(encoded_items)
    return _length_prefix(len(payload), 0xC0) + payload


EMPTY = b"\x80"


def _item(data: bytes, pos: int) -> tuple[bool, int, int]:
    """(is_list, payload start, payload end) of the item at ``pos``."""
    if pos >= len(data):
        raise RlpError("rlp: value size exceeds available input length")
    first = data[pos]
    if first < 0x80:
        return False, pos, pos + 1
    if first < 0xB8:
        length = first - 0x80
        if length == 1 and pos + 1 < len(data) and data[pos + 1] < 0x80:
            raise RlpError("rlp: non-canonical size information")
        start, end = pos + 1, pos + 1 + length
        is_list = False
    elif first < 0xC0:
        size_len = first - 0xB7
        start, end = _long(data, pos, size_len)
        is_list = False
    elif first < 0xF8:
        start, end = pos + 1, pos + 1 + first - 0xC0
        is_list = True
    else:
        start, end = _long(data, pos, first - 0xF7)
        is_list = True
    if end > len(data):
        raise RlpError("rlp: value size exceeds available input length")
    return is_list, start, end


def _long(data: bytes, pos: int, size_len: int) -> tuple[int, int]:
    raw = data[pos + 1 : pos + 1 + size_len]
    if len(raw) != size_len:
        raise RlpError("rlp: value size exceeds available input length")
    if raw[0] == 0:
        raise RlpError("rlp: non-canonical size information")
    length = int.from_bytes(raw, "big")
    if length < 56:
        raise RlpError("rlp: non-canonical size information")
    start = pos + 1 + size_len
    return start, start + length


def _decode_at(data: bytes, pos: int) -> tuple[RlpItem, int]:
    is_list, start, end = _item(data, pos)
    if not is_list:
        return data[start:end], end
    items: list[RlpItem] = []
    cursor = start
    while cursor < end:
        item, cursor = _decode_at(data, cursor)
        items.append(item)
    if cursor != end:
        raise RlpError("rlp: value size exceeds available input length")
    return items, end


def decode(data: bytes) -> RlpItem:
    """Decode exactly one item spanning all of ``data``."""
    item, end = _decode_at(data, 0)
    if end != len(data):
        raise RlpError("rlp: input contains more than one value")
    return item


def to_int(item: RlpItem, bits: int = 256) -> int:
    """A canonical RLP integer (no leading zeros) of at most ``bits`` bits."""
    if not isinstance(item, bytes):
        raise RlpError("rlp: expected input string or byte for uint")
    if item[:1] == b"\x00":
        raise RlpError("rlp: non-canonical integer (leading zero bytes)")
    if len(item) * 8 > bits:
        raise RlpError(f"rlp: input string too long for uint{bits}")
    return int.from_bytes(item, "big")


def to_bytes(item: RlpItem) -> bytes:
    if not isinstance(item, bytes):
        raise RlpError("rlp: expected input string or byte")
    return item


def to_list(item: RlpItem) -> list[RlpItem]:
    if not isinstance(item, list):
        raise RlpError("rlp: expected input list")
    return item
