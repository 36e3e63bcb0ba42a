"""``handle_decoded`` (the IPC entry: the framing already decoded the message) answers
byte for byte as ``handle_payload`` answers the same bytes, with the same calls made;
so do the step-wise entries the node serves with (``answer_stepwise`` and
``answer_decoded_stepwise``, plain calls' short lane included), driven to the end."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mocknode.jsonread import NonFiniteConstant, decode_first
from mocknode.rpc.errors import RpcError, method_not_found
from mocknode.rpc.jsonrpc import (
    DROP,
    Params,
    RawResponse,
    handle_decoded,
    handle_payload,
)
from mocknode.rpc.steps import Deferred, run_inline
from mocknode.rpc.stepwise import answer_decoded_stepwise, answer_stepwise


class Recorder:
    """A dispatch that records its calls; a few methods with distinct answers."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Params]] = []

    def __call__(self, method: str, params: Params) -> Any:
        self.calls.append((method, params))
        if method == "test_echo":
            return params
        if method == "test_block":
            return "0x1b4"
        if method == "test_revert":
            raise RpcError(3, "execution reverted", "0x08c379a0")
        if method == "test_crash":
            raise KeyError("boom")
        if method == "test_big":
            return "x" * 100
        if method == "test_steps":  # a result computed in steps (mining many blocks)
            return Deferred(self._steps(params))
        raise method_not_found(method)

    @staticmethod
    def _steps(params: Params) -> Any:
        yield None
        if params == ["fail"]:
            raise RpcError(-32000, "failed in a step")
        return "0x2a"


def hook(method: str, params: Any, id_text: str, in_batch: bool) -> Any:
    """An item hook replacing some calls, to run the hooked path too."""
    if method == "test_drop":
        return DROP
    if method == "test_raw":
        return RawResponse('{"raw":' + id_text + "}")
    if method == "test_block" and in_batch:
        return RpcError(-32000, "hooked")
    return None


BIG = '{{"jsonrpc":"2.0","id":{},"method":"test_big"}}'  # a 102-byte result
LONG_OK = "9" * 4300  # the longest integer Python's int() reads

CORPUS = [
    # single calls, every id kind geth accepts
    '{"jsonrpc":"2.0","id":1,"method":"test_block"}',
    '{"jsonrpc":"2.0","id":"a","method":"test_echo","params":[1,"x",{"k":[true,null]}]}',
    '{"jsonrpc":"2.0","id":null,"method":"test_block","params":[]}',
    '{"jsonrpc":"2.0","id":true,"method":"test_block"}',
    '{"jsonrpc":"2.0","id":1.0e3,"method":"test_block"}',
    '{"jsonrpc":"2.0","id":-0,"method":"test_block"}',
    '{"jsonrpc":"2.0","id":"\\u0041\\n","method":"test_block"}',
    '{"jsonrpc":"2.0","id":7,"method":"test_revert"}',
    '{"jsonrpc":"2.0","id":8,"method":"test_crash"}',
    '{"jsonrpc":"2.0","id":9,"method":"nope"}',
    '{"jsonrpc":"2.0","id":10,"method":"test_echo","params":{"a":1}}',
    '{"jsonrpc":"2.0","id":11,"method":"test_echo","params":5}',
    '{"jsonrpc":"2.0","id":12,"method":"' + "m" * 3000 + '"}',
    '{"jsonrpc":"2.0","id":13,"method":"test_raw"}',
    '{"jsonrpc":"2.0","id":14,"method":"test_drop"}',
    '{"jsonrpc":"2.0","id":15,"method":"test_steps","params":[]}',
    '{"jsonrpc":"2.0","id":"s","method":"test_steps","params":["fail"]}',
    '{"jsonrpc":"2.0","id":16,"method":"test_echo","params":null}',
    '{"jsonrpc":"2.0","id":17,"method":"test_block","params":[],"result":1}',
    '{"jsonrpc":"2.0","id":18,"method":"' + "m" * 512 + '"}',
    '{"jsonrpc":"2.0","id":19,"method":"' + "é" * 513 + '"}',
    '{"jsonrpc":"2.0","id":0,"method":"test_block"}',
    '{"jsonrpc":"2.0","id":-1,"method":"test_block","params":["-0"]}',
    # Go's field rules: case-insensitive names, the last duplicate wins, odd members
    '{"JSONRPC":"2.0","ID":7,"Method":"test_block"}',
    '{"jsonrpc":"2.0","id":1,"id":2,"method":"test_block","method":5}',
    '{"jsonrpc":"2.0","id":1,"method":"test_echo","params":[1],"extra":{"x":[]}}',
    ' {"jsonrpc":"2.0","id":1,"method":"test_block"} trailing',
    # notifications, peer responses, subscription notifications: no answer
    '{"jsonrpc":"2.0","method":"test_echo","params":[1]}',
    '{"jsonrpc":"2.0","id":1,"result":"0x1"}',
    '{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x1"}}',
    # invalid requests inside valid JSON
    "{}",
    "[1]",
    '{"jsonrpc":"1.0","id":1,"method":"test_block"}',
    '{"jsonrpc":"2.0","id":1}',
    '{"jsonrpc":"2.0","id":1,"method":5}',
    '{"jsonrpc":"2.0","id":[1],"method":"test_block"}',
    '{"jsonrpc":"2.0","id":{},"method":""}',
    # big integers, up to the digit limit (past it only the bytes path reads them)
    '{"jsonrpc":"2.0","id":' + LONG_OK + ',"method":"test_block"}',
    '{"jsonrpc":"2.0","id":1,"method":"test_echo","params":[-' + LONG_OK + ",1e400]}",
    '[{"jsonrpc":"2.0","id":' + LONG_OK + ',"method":"nope"}]',
    # unicode, lone surrogates from escapes, characters Go escapes in output
    '{"jsonrpc":"2.0","id":"日本","method":"test_echo","params":["é","\u2028<>&"]}',
    '{"jsonrpc":"2.0","id":2,"method":"tést"}',
    '{"jsonrpc":"2.0","id":3,"method":"test_echo","params":["\\ud800","\\u00e9"]}',
    # batches
    "[]",
    '[{"jsonrpc":"2.0","method":"test_echo"},{"jsonrpc":"2.0","method":"test_block"}]',
    '[{"jsonrpc":"2.0","id":1,"method":"test_block"},{"jsonrpc":"2.0","method":"test_echo"},'
    '1,{},{"jsonrpc":"2.0","id":"x","result":1},{"jsonrpc":"2.0","id":2,"method":"nope"},'
    '{"Id":3,"jsonrpc":"2.0","method":"test_echo","params":[[]]},'
    '{"jsonrpc":"2.0","id":4,"method":"test_raw"},{"jsonrpc":"2.0","id":5,"method":"test_drop"}]',
    "[" + ",".join(BIG.format(i) for i in range(3)) + "]",
    "["
    + ",".join(BIG.format(i) for i in range(4))
    + ',{"jsonrpc":"2.0","method":"test_echo"},{"jsonrpc":"2.0","id":9,"method":"test_block"}]',
]

OPTIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "hooked": {"item_hook": hook},
    "limits": {"batch_limit": 3, "batch_response_limit": 150},
    "limits-hooked": {"batch_limit": 3, "batch_response_limit": 150, "item_hook": hook},
}


def both_paths(payload: bytes, **options: Any) -> None:
    """Answer ``payload`` as bytes and as the IPC framing hands it up; compare."""
    text = payload.decode()
    start = len(text) - len(text.lstrip(" \t\r\n"))
    value, _ = decode_first(text, start)
    by_bytes, by_value = Recorder(), Recorder()
    expected = handle_payload(payload, by_bytes, **options)
    got = handle_decoded(value, text[start:], by_value, **options)
    assert got == expected
    assert by_value.calls == by_bytes.calls
    if "item_hook" in options:
        return  # the step-wise entries serve the unarmed path: no hook
    for stepwise in (
        answer_stepwise(payload, by_steps := Recorder(), **options),
        answer_decoded_stepwise(value, text[start:], by_decoded := Recorder(), **options),
    ):
        got = stepwise if stepwise is None or type(stepwise) is bytes else run_inline(stepwise)
        assert got == expected
    assert by_steps.calls == by_decoded.calls == by_bytes.calls


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
@pytest.mark.parametrize("message", CORPUS, ids=range(len(CORPUS)))
def test_the_value_path_answers_like_the_bytes_path(message: str, options: dict[str, Any]) -> None:
    both_paths(message.encode(), **options)


def test_what_the_decoder_refuses_stays_on_the_bytes_path() -> None:
    # No value can be made for these, so the framing sends bytes alone (see the wire).
    with pytest.raises(NonFiniteConstant):
        decode_first('{"id":NaN}', 0)
    with pytest.raises(ValueError, match="digits"):
        decode_first('{"id":' + "1" * 4301 + "}", 0)


# -- property: request-shaped JSON, as a client might write it ---------------------------

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=6)
finite = st.floats(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | st.integers() | text | finite
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
keys = st.sampled_from(["jsonrpc", "id", "method", "params", "result", "ID", "Method", "x"])
messages = st.dictionaries(
    keys,
    st.one_of(
        st.just("2.0"),
        st.sampled_from(["test_echo", "test_block", "test_steps", "nope", "eth_subscription"]),
        json_values,
    ),
    max_size=5,
)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(messages, st.lists(messages | json_values, max_size=6), json_values),
    st.booleans(),
    st.sampled_from(list(OPTIONS.values())),
)
def test_any_message_is_answered_alike(value: Any, ascii_only: bool, options: Any) -> None:
    both_paths(json.dumps(value, ensure_ascii=ascii_only).encode(), **options)
