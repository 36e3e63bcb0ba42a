"""The one nesting guard (:mod:`mocknode.jsonread`) that the JSON-RPC envelope and the IPC
framing both apply before Python's recursive C parser sees a client's bytes."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mocknode.jsonread import MAX_NESTING, may_be_too_deep, too_deep
from mocknode.rpc.jsonrpc import PARSE_ERROR_RESPONSE, handle_payload


def nested(depth: int, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * depth + closer * depth).encode()


def test_the_limit_is_exact() -> None:
    assert MAX_NESTING == 512
    assert not too_deep(nested(512))
    assert too_deep(nested(513))
    assert not too_deep(b'{"a":' * 511 + b"[]" + b"}" * 511)
    assert too_deep(b'{"a":' * 512 + b"[]" + b"}" * 512)


def test_unclosed_and_unbalanced_brackets_count_as_they_open() -> None:
    assert too_deep(b"[" * 513)
    assert not too_deep(b"]" * 1000 + b"[" * 512)
    assert too_deep(b"[]" * 300 + b"[" * 513)


def test_brackets_inside_strings_do_not_count() -> None:
    inside = b'["' + b"[" * 1000 + b'"]'
    assert may_be_too_deep(inside)
    assert not too_deep(inside)
    escaped = b'["\\"' + b"[" * 1000 + b'\\\\"]'  # an escaped quote does not end it
    assert not too_deep(escaped)
    # A backslash escapes any next byte, a newline included, as the IPC scanner reads it.
    assert not too_deep(b'["\\\n' + b"{" * 600 + b'"]')


def test_many_shallow_brackets_are_fine() -> None:
    wide = b"[" + b"[{},[]]," * 1000 + b"[]]"
    assert may_be_too_deep(wide)
    assert not too_deep(wide)


def test_the_cheap_half_only_counts() -> None:
    assert not may_be_too_deep(b"[" * 512)
    assert may_be_too_deep(b"[" * 256 + b"{" * 257)


def depth_of(value: Any) -> int:
    """Nesting depth of a decoded value, without recursion (it is ~512 deep)."""
    deepest = 0
    todo = [(value, 0)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth + 1)
            todo.extend((child, depth + 1) for child in item)
    return deepest


NOISE = ["", "[", "]]", "{[", '"', "\\", "a[b{", '\\"[']


@st.composite
def deep_documents(draw: st.DrawFn) -> Any:
    """A value nested around the limit, with strings full of brackets beside the spine."""
    depth = draw(st.integers(MAX_NESTING - 3, MAX_NESTING + 3))
    rnd = random.Random(draw(st.integers(0, 2**32)))  # cheaper than 1000 draws
    value: Any = rnd.choice([[], {}, rnd.choice(NOISE)])
    for _ in range(depth - (0 if isinstance(value, str) else 1)):
        shape = rnd.randrange(3)
        if shape == 0:
            value = [value]
        elif shape == 1:
            value = [rnd.choice(NOISE), value]
        else:
            value = {rnd.choice(NOISE): value}
    return value


@settings(max_examples=100, deadline=None)
@given(deep_documents())
def test_the_guard_agrees_with_the_real_depth(value: Any) -> None:
    data = json.dumps(value).encode()
    assert too_deep(data) == (depth_of(value) > MAX_NESTING)


@pytest.mark.parametrize("payload", [nested(513), nested(600), b"[" * 600, nested(600, "{")])
def test_the_envelope_refuses_deep_bodies_with_a_parse_error(payload: bytes) -> None:
    assert handle_payload(payload, lambda method, params: None) == PARSE_ERROR_RESPONSE


def test_the_envelope_parses_bodies_at_the_limit() -> None:
    empty_batch = b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"empty batch"}}'
    assert handle_payload(nested(1), lambda method, params: None) == empty_batch
    # 512 levels parse; the outer array is a batch of one invalid item.
    invalid = b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request"}}'
    assert handle_payload(nested(512), lambda method, params: None) == b"[" + invalid + b"]"
