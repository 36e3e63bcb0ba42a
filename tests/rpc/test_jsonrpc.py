"""The JSON-RPC envelope against geth's observable behaviour, byte for byte.

Where a case copies one of geth's own fixtures, the comment names the file under
``go-ethereum/rpc/testdata``; other comments name the function in ``rpc/json.go``,
``rpc/handler.go`` or ``rpc/server.go`` whose behaviour the case pins down.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mocknode.rpc.errors import RpcError, method_not_found
from mocknode.rpc.jsonrpc import (
    DEFAULT_BATCH_LIMIT,
    DEFAULT_BATCH_RESPONSE_LIMIT,
    PARSE_ERROR_RESPONSE,
    Params,
    error_response,
    handle_payload,
    notification,
    subscription_notification,
)

PARSE = b'{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}'
INVALID_NULL = b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request"}}'


def invalid(id_text: str) -> bytes:
    return (
        '{"jsonrpc":"2.0","id":' + id_text + ',"error":{"code":-32600,"message":"invalid request"}}'
    ).encode()


class Recorder:
    """A dispatch that records its calls and answers like a tiny geth test service."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Params]] = []

    def __call__(self, method: str, params: Params) -> Any:
        self.calls.append((method, params))
        if method == "test_echo":
            return params
        if method == "test_block":
            return "0x1b4"
        if method == "test_null":
            return None
        if method == "test_revert":
            raise RpcError(3, "execution reverted: nope", "0x08c379a0")
        if method == "test_crash":
            raise KeyError("boom")
        if method == "test_bytes":
            return b"\x00"
        if method == "test_nan":
            return float("nan")
        if method == "test_text":
            return params[0] if isinstance(params, list) else None
        if method == "test_big":
            return "x" * 100
        raise method_not_found(method)


def run(payload: bytes | str, **kwargs: Any) -> bytes | None:
    if isinstance(payload, str):
        payload = payload.encode()
    return handle_payload(payload, Recorder(), **kwargs)


# ----------------------------------------------------------------- parse errors


@pytest.mark.parametrize(
    "payload",
    [
        b"'f",  # testdata/invalid-syntax.json (HTTP wording: server.go serveSingleRequest)
        b"{",
        b'{"jsonrpc":"2.0","id":1,',
        b"[1,2",
        b"\xff\xfe",  # invalid UTF-8 outside a string: a syntax error for Go as well
        b"\xef\xbb\xbf{}",  # a BOM is not JSON whitespace for Go
        b"NaN",  # Python's json accepts these three, Go's does not
        b'{"jsonrpc":"2.0","id":Infinity,"method":"test_block"}',
        b"[-Infinity]",
        b"tru",
        b"[" * 100_000,  # deep nesting must not crash the parser
        b"[" * 5000 + b"]" * 5000,  # deeper than Python's recursion limit
    ],
)
def test_parse_error(payload: bytes) -> None:
    assert handle_payload(payload, Recorder()) == PARSE == PARSE_ERROR_RESPONSE


@pytest.mark.parametrize("payload", [b"", b" ", b"\r\n\t "])
def test_empty_body_gets_no_answer(payload: bytes) -> None:
    # server.go serveSingleRequest: readBatch returns io.EOF, nothing is written.
    assert handle_payload(payload, Recorder()) is None


def test_only_the_first_value_is_read() -> None:
    # json.go readBatch decodes one value from the stream; the rest is not looked at.
    out = run('{"jsonrpc":"2.0","id":1,"method":"test_block"} trailing {garbage')
    assert out == b'{"jsonrpc":"2.0","id":1,"result":"0x1b4"}'


def test_invalid_utf8_inside_a_string_becomes_replacement_char() -> None:
    # Go's decoder replaces invalid UTF-8 in strings with U+FFFD instead of failing.
    out = handle_payload(b'{"jsonrpc":"2.0","id":1,"method":"x\xffy"}', Recorder())
    assert (
        out
        == (
            '{"jsonrpc":"2.0","id":1,"error":{"code":-32601,'
            '"message":"the method x\ufffdy does not exist/is not available"}}'
        ).encode()
    )


# ---------------------------------------------------------- invalid requests


@pytest.mark.parametrize("payload", ["1", "null", '"str"', "true", "{}"])
def test_non_object_or_empty_message(payload: str) -> None:
    # testdata/invalid-nonobj.js
    assert run(payload) == INVALID_NULL


@pytest.mark.parametrize(
    "payload",
    ['{"id":[],"method":"test_foo"}', '{"id":{},"method":"test_foo"}'],
)
def test_object_or_array_id_is_invalid_and_not_echoed(payload: str) -> None:
    # testdata/invalid-badid.js; json.go hasValidID rejects ids starting with { or [.
    assert run(payload) == INVALID_NULL


@pytest.mark.parametrize("payload", ['{"id":1}', '{"jsonrpc":"2.0","id":1}'])
def test_id_only(payload: str) -> None:
    # testdata/invalid-idonly.js
    assert run(payload) == invalid("1")


@pytest.mark.parametrize("version", ['"2.1"', '"go-ethereum"', "1", "2.0", "null", '""', '"2.0 "'])
def test_bad_version_echoes_id(version: str) -> None:
    # testdata/invalid-badversion.js
    payload = '{"jsonrpc":' + version + ',"id":1,"method":"test_block","params":[]}'
    assert run(payload) == invalid("1")


def test_missing_version_echoes_id() -> None:
    # testdata/invalid-badversion.js, last case
    assert run('{"id": 1,"method":"test_block","params":["x", 3]}') == invalid("1")


@pytest.mark.parametrize("method", ["5", '""', "null", "[]", '{"a":1}'])
def test_method_not_a_non_empty_string(method: str) -> None:
    # json.go isCall needs Method != ""; a wrongly typed member leaves it empty.
    rec = Recorder()
    payload = '{"jsonrpc":"2.0","id":"a","method":' + method + "}"
    assert handle_payload(payload.encode(), rec) == invalid('"a"')
    assert rec.calls == []


def test_no_version_no_id_is_answered_with_null_id() -> None:
    # handler.go handleCallMsg default branch: errorMessage() carries "id":null.
    assert run('{"method":"test_block"}') == INVALID_NULL


# ----------------------------------------------------------------- ids


@pytest.mark.parametrize(
    "id_text",
    [
        "1",
        "0",
        "-0",
        "-17",
        "1.0",
        "1.10",
        "1e3",
        "1.0E+3",
        "-2.5e-7",
        "1e400",
        str(2**70),
        "123456789012345678901234567890",
        "9" * 5000,  # beyond Python's int-string limit
        '"foo"',
        '""',
        '"a\\u0041\\n\\/"',
        '"\\ud800"',
        '"zürich ☃"',
        '"<&>"',
        "true",
        "false",
        "null",
    ],
)
def test_id_is_echoed_exactly(id_text: str) -> None:
    # json.go keeps the id as json.RawMessage and appendMessage writes it back unchanged.
    payload = '{"jsonrpc":"2.0","id":' + id_text + ',"method":"test_block"}'
    assert run(payload) == ('{"jsonrpc":"2.0","id":' + id_text + ',"result":"0x1b4"}').encode()


def test_null_id_is_a_call_not_a_notification() -> None:
    # viem's WebSocket keep-alive sends {"id":null}; geth decodes null into a non-nil
    # RawMessage, so hasValidID holds and the call is answered.
    rec = Recorder()
    out = handle_payload(b'{"jsonrpc":"2.0","id":null,"method":"test_block"}', rec)
    assert out == b'{"jsonrpc":"2.0","id":null,"result":"0x1b4"}'
    assert rec.calls == [("test_block", None)]


def test_id_with_whitespace_around_it() -> None:
    payload = '{ "jsonrpc" : "2.0" , "id" :  42 , "method" : "test_block" }'
    assert run(payload) == b'{"jsonrpc":"2.0","id":42,"result":"0x1b4"}'


# ---------------------------------------------------- notifications, responses


def test_notification_runs_but_gets_no_answer() -> None:
    # handler.go handleCallMsg: isNotification → handleCall, return nil.
    rec = Recorder()
    assert handle_payload(b'{"jsonrpc":"2.0","method":"test_block"}', rec) is None
    assert rec.calls == [("test_block", None)]


def test_failing_notification_is_silent() -> None:
    rec = Recorder()
    assert handle_payload(b'{"jsonrpc":"2.0","method":"test_crash"}', rec) is None
    assert handle_payload(b'{"jsonrpc":"2.0","method":"nope","params":7}', rec) is None


def test_subscription_notification_from_client_is_dropped() -> None:
    # handler.go handleResponses: *_subscription notifications go to client subscriptions.
    rec = Recorder()
    payload = b'{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x1"}}'
    assert handle_payload(payload, rec) is None
    assert rec.calls == []


@pytest.mark.parametrize(
    "payload",
    [
        '{"jsonrpc":"2.0","id":1,"result":"0x1"}',
        '{"jsonrpc":"2.0","id":1,"result":null}',
        '{"jsonrpc":"2.0","id":"x","error":{"code":1,"message":"m"}}',
    ],
)
def test_response_shaped_message_is_dropped(payload: str) -> None:
    # json.go isResponse + handler.go handleResponses: "Unsolicited RPC response".
    rec = Recorder()
    assert handle_payload(payload.encode(), rec) is None
    assert rec.calls == []


def test_response_shape_with_params_is_an_invalid_request() -> None:
    # isResponse requires Params == nil.
    assert run('{"jsonrpc":"2.0","id":1,"params":[],"result":1}') == invalid("1")


# ----------------------------------------------------------------- params


@pytest.mark.parametrize(
    ("params_json", "expected"),
    [
        (None, None),
        ("null", None),  # testdata/reqresp-paramsnull.js
        ("[]", []),
        ('["0x1",true]', ["0x1", True]),
        ('{"a":1}', {"a": 1}),
    ],
)
def test_params_handed_to_dispatch(params_json: str | None, expected: Params) -> None:
    rec = Recorder()
    body = '{"jsonrpc":"2.0","id":3,"method":"test_null"'
    body += "" if params_json is None else ',"params":' + params_json
    out = handle_payload((body + "}").encode(), rec)
    assert out == b'{"jsonrpc":"2.0","id":3,"result":null}'
    assert rec.calls == [("test_null", expected)]


@pytest.mark.parametrize("params_json", ['"x"', "1", "true", "1.5"])
def test_scalar_params(params_json: str) -> None:
    # json.go parsePositionalArguments: errors.New("non-array args") → -32602.
    rec = Recorder()
    payload = '{"jsonrpc":"2.0","id":3,"method":"test_block","params":' + params_json + "}"
    assert handle_payload(payload.encode(), rec) == (
        b'{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"non-array args"}}'
    )
    assert rec.calls == []


# ----------------------------------------------------------- results and errors


def test_result_null_is_written() -> None:
    # testdata/reqresp-noargsrets.js
    out = run('{"jsonrpc": "2.0", "id": "foo", "method": "test_null", "params": []}')
    assert out == b'{"jsonrpc":"2.0","id":"foo","result":null}'


def test_result_is_compact() -> None:
    out = run('{"jsonrpc":"2.0","id":1,"method":"test_echo","params":[ {"a" : [1, 2]}, "x" ]}')
    assert out == b'{"jsonrpc":"2.0","id":1,"result":[{"a":[1,2]},"x"]}'


def test_unknown_method() -> None:
    # errors.go methodNotFoundError; testdata/reqresp-nomethod.js style.
    assert run('{"jsonrpc":"2.0","id":1,"method":"foo_bar"}') == (
        b'{"jsonrpc":"2.0","id":1,"error":{"code":-32601,'
        b'"message":"the method foo_bar does not exist/is not available"}}'
    )


def test_rpc_error_with_data() -> None:
    # json.go errorMessage: code, message, then data when the error carries it.
    assert run('{"jsonrpc":"2.0","id":1,"method":"test_revert"}') == (
        b'{"jsonrpc":"2.0","id":1,"error":{"code":3,'
        b'"message":"execution reverted: nope","data":"0x08c379a0"}}'
    )


def test_handler_crash_is_internal_error() -> None:
    # geth answers a panicking handler with -32603 "method handler crashed".
    assert run('{"jsonrpc":"2.0","id":1,"method":"test_crash"}') == (
        b'{"jsonrpc":"2.0","id":1,"error":{"code":-32603,'
        b'"message":"method handler crashed: KeyError(\'boom\')"}}'
    )


@pytest.mark.parametrize("method", ["test_bytes", "test_nan"])
def test_unencodable_result_is_internal_error(method: str) -> None:
    # json.go response(): a marshal error becomes -32603 (errcodeMarshalError).
    out = run('{"jsonrpc":"2.0","id":1,"method":"' + method + '"}')
    assert out is not None
    decoded = json.loads(out)
    assert out.startswith(b'{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"json: ')
    assert set(decoded) == {"jsonrpc", "id", "error"}


def test_html_characters_are_escaped_like_go() -> None:
    # Go's json.Marshal writes <, >, & as \u003c, \u003e, \u0026.
    out = run('{"jsonrpc":"2.0","id":1,"method":"test_text","params":["a<b>&c\u2028"]}')
    assert out == b'{"jsonrpc":"2.0","id":1,"result":"a\\u003cb\\u003e\\u0026c\\u2028"}'
    out = run('{"jsonrpc":"2.0","id":1,"method":"a<b"}')
    assert out == (
        b'{"jsonrpc":"2.0","id":1,"error":{"code":-32601,'
        b'"message":"the method a\\u003cb does not exist/is not available"}}'
    )


def test_non_ascii_is_written_as_utf8() -> None:
    out = run('{"jsonrpc":"2.0","id":1,"method":"test_text","params":["zürich \\u2603"]}')
    assert out == '{"jsonrpc":"2.0","id":1,"result":"zürich ☃"}'.encode()


def test_lone_surrogate_becomes_replacement_char() -> None:
    out = run('{"jsonrpc":"2.0","id":1,"method":"test_text","params":["\\udc00"]}')
    assert out == '{"jsonrpc":"2.0","id":1,"result":"\ufffd"}'.encode()


def test_method_name_too_long() -> None:
    # handler.go handleCall: len(Method) > maxMethodNameLength (2048 bytes). The ">" is
    # escaped because errorMessage marshals the error with json.Marshal.
    name = "a" * 2049
    assert run('{"jsonrpc":"2.0","id":1,"method":"' + name + '"}') == (
        b'{"jsonrpc":"2.0","id":1,"error":{"code":-32600,'
        b'"message":"method name too long: 2049 \\u003e 2048"}}'
    )
    sub = run('{"jsonrpc":"2.0","id":1,"method":"' + name + '_subscribe"}')
    assert sub is not None
    assert b"subscription name too long: 2059 " in sub
    ok = run('{"jsonrpc":"2.0","id":1,"method":"' + "a" * 2048 + '"}')
    assert ok is not None
    assert b"-32601" in ok


# ------------------------------------------------------- Go decoding semantics


@pytest.mark.parametrize("version_key", ["JSONRPC", "JsonRpc", "j\u017fonrpc", "j\\u0073onrpc"])
def test_field_names_match_case_insensitively(version_key: str) -> None:
    # encoding/json matches struct fields with Unicode case folding (so the long s
    # U+017F matches "s"), after decoding escapes in the key.
    rec = Recorder()
    payload = '{"' + version_key + '":"2.0","Id":7,"METHOD":"test_echo","Params":[1]}'
    assert handle_payload(payload.encode(), rec) == b'{"jsonrpc":"2.0","id":7,"result":[1]}'
    assert rec.calls == [("test_echo", [1])]


def test_wrongly_typed_duplicate_does_not_overwrite() -> None:
    # encoding/json skips a member it cannot store and keeps the earlier value.
    rec = Recorder()
    payload = '{"jsonrpc":"2.0","id":1,"method":"test_block","method":5,"method":null}'
    assert handle_payload(payload.encode(), rec) == b'{"jsonrpc":"2.0","id":1,"result":"0x1b4"}'


def test_last_duplicate_id_wins() -> None:
    payload = '{"jsonrpc":"2.0","ID":1,"id":2.50,"method":"test_block"}'
    assert run(payload) == b'{"jsonrpc":"2.0","id":2.50,"result":"0x1b4"}'


def test_unknown_members_are_ignored() -> None:
    payload = '{"jsonrpc":"2.0","id":1,"method":"test_block","extra":{"x":[1]}}'
    assert run(payload) == b'{"jsonrpc":"2.0","id":1,"result":"0x1b4"}'


# ----------------------------------------------------------------- batches


def test_empty_batch() -> None:
    # handler.go handleBatch: a single (non-array) error for an empty batch.
    expected = b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"empty batch"}}'
    assert run("[]") == expected
    assert run(" [ \n ] ") == expected


@pytest.mark.parametrize(
    ("payload", "count"), [("[1]", 1), ("[1,2,3]", 3), ("[null]", 1), ("[[]]", 1)]
)
def test_batch_of_junk(payload: str, count: int) -> None:
    # testdata/invalid-batch.js
    assert run(payload) == b"[" + b",".join([INVALID_NULL] * count) + b"]"


def test_mixed_batch() -> None:
    # testdata/invalid-batch.js, last case.
    payload = (
        '[{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["foo",1]},55,'
        '{"jsonrpc":"2.0","id":2,"method":"unknown_method"},{"foo":"bar"}]'
    )
    assert run(payload) == (
        b'[{"jsonrpc":"2.0","id":1,"result":["foo",1]},'
        + INVALID_NULL
        + b',{"jsonrpc":"2.0","id":2,"error":{"code":-32601,'
        b'"message":"the method unknown_method does not exist/is not available"}},'
        + INVALID_NULL
        + b"]"
    )


def test_batch_of_notifications_gets_no_body() -> None:
    # testdata/reqresp-batch.js, first case.
    rec = Recorder()
    payload = b'[{"jsonrpc":"2.0","method":"test_echo","params":["x",99]}]'
    assert handle_payload(payload, rec) is None
    assert rec.calls == [("test_echo", ["x", 99])]


def test_batch_keeps_order_and_skips_notifications() -> None:
    rec = Recorder()
    payload = (
        b'[{"jsonrpc":"2.0","id":"b","method":"test_echo","params":[2]},'
        b'{"jsonrpc":"2.0","method":"test_echo","params":["n"]},'
        b'{"jsonrpc":"2.0","id":"a","result":1},'
        b'{"jsonrpc":"2.0","id":1.5,"method":"test_echo","params":[1]}]'
    )
    assert handle_payload(payload, rec) == (
        b'[{"jsonrpc":"2.0","id":"b","result":[2]},{"jsonrpc":"2.0","id":1.5,"result":[1]}]'
    )
    assert [c[1] for c in rec.calls] == [[2], ["n"], [1]]


NOTE = '{"jsonrpc":"2.0","method":"test_echo","params":["x",99]}'


def test_batch_too_large_without_calls() -> None:
    # testdata/invalid-batch-toolarge.js (limit 4 there): no call → "id":null.
    rec = Recorder()
    payload = "[" + ",".join([NOTE] * 5) + "]"
    assert handle_payload(payload.encode(), rec, batch_limit=4) == (
        b'[{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch too large"}}]'
    )
    assert rec.calls == []  # nothing in an oversized batch runs


def test_batch_too_large_uses_first_call_id() -> None:
    # testdata/invalid-batch-toolarge.js, second case: the first call's id.
    items = [NOTE] * 5
    items[1] = '{"jsonrpc":"2.0","id":3,"method":"test_echo","params":["x",99]}'
    assert run("[" + ",".join(items) + "]", batch_limit=4) == (
        b'[{"jsonrpc":"2.0","id":3,"error":{"code":-32600,"message":"batch too large"}}]'
    )


def test_default_batch_limit_is_geths() -> None:
    assert DEFAULT_BATCH_LIMIT == 1000
    assert DEFAULT_BATCH_RESPONSE_LIMIT == 25_000_000  # node/defaults.go 25 * 1000 * 1000
    call = '{"jsonrpc":"2.0","id":9,"method":"test_block"}'
    out = run("[" + ",".join([call] * 1001) + "]")
    assert out == b'[{"jsonrpc":"2.0","id":9,"error":{"code":-32600,"message":"batch too large"}}]'
    out = run("[" + ",".join([call] * 1000) + "]")
    assert out is not None
    assert len(json.loads(out)) == 1000


def test_batch_limit_zero_disables() -> None:
    call = '{"jsonrpc":"2.0","id":9,"method":"test_block"}'
    out = run("[" + ",".join([call] * 1500) + "]", batch_limit=0)
    assert out is not None
    assert len(json.loads(out)) == 1500


def test_batch_response_too_large() -> None:
    # handler.go handleBatch: results (not errors) are summed after each call; once past
    # the limit every remaining non-notification gets -32003 "response too large", even
    # invalid ones (with their id, or no id member at all when they had none).
    big = '{"jsonrpc":"2.0","id":%d,"method":"test_big"}'  # result is 102 bytes
    payload = (
        "["
        + ",".join(
            [
                big % 1,
                '{"jsonrpc":"2.0","id":2,"method":"nope"}',
                big % 3,  # total 204 > 150: this one is still answered normally
                big % 4,
                NOTE,
                "7",
                '{"jsonrpc":"2.0","id":5,"result":1}',
                '{"jsonrpc":"2.0","id":{},"method":"x"}',
            ]
        )
        + "]"
    )
    rec = Recorder()
    out = handle_payload(payload.encode(), rec, batch_response_limit=150)
    result = '"' + "x" * 100 + '"'
    too_large = '"error":{"code":-32003,"message":"response too large"}}'
    assert (
        out
        == (
            "["
            + '{"jsonrpc":"2.0","id":1,"result":'
            + result
            + "},"
            + '{"jsonrpc":"2.0","id":2,"error":{"code":-32601,'
            + '"message":"the method nope does not exist/is not available"}},'
            + '{"jsonrpc":"2.0","id":3,"result":'
            + result
            + "},"
            + '{"jsonrpc":"2.0","id":4,'
            + too_large
            + ","
            + '{"jsonrpc":"2.0",'
            + too_large
            + ","
            + '{"jsonrpc":"2.0","id":{},'
            + too_large
            + "]"
        ).encode()
    )
    assert [c[0] for c in rec.calls] == ["test_big", "nope", "test_big"]


def test_batch_with_odd_items_takes_the_slow_path() -> None:
    payload = (
        '[{"jsonrpc":"2.0","id":1,"method":"test_block"},'
        ' {"jsonrpc":"2.0","ID":2.0,"method":"test_block"},'
        ' {"jsonrpc":"2.0","id":"\\u0033","method":"test_block"}]'
    )
    assert run(payload) == (
        b'[{"jsonrpc":"2.0","id":1,"result":"0x1b4"},'
        b'{"jsonrpc":"2.0","id":2.0,"result":"0x1b4"},'
        b'{"jsonrpc":"2.0","id":"\\u0033","result":"0x1b4"}]'
    )


# ------------------------------------------------------------------ helpers


def test_notification_helper() -> None:
    assert notification("eth_subscription", {"subscription": "0x1", "result": None}) == (
        b'{"jsonrpc":"2.0","method":"eth_subscription",'
        b'"params":{"subscription":"0x1","result":null}}'
    )


def test_subscription_notification_helper() -> None:
    # json.go subscriptionResultEnc: "subscription" then "result".
    out = subscription_notification("0xcd0c", {"number": "0x1"})
    assert out == (
        b'{"jsonrpc":"2.0","method":"eth_subscription",'
        b'"params":{"subscription":"0xcd0c","result":{"number":"0x1"}}}'
    )


def test_error_response_helper() -> None:
    err = RpcError(-32000, "nonce too low")
    assert error_response(err) == (
        b'{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"nonce too low"}}'
    )
    assert error_response(err, "5") == (
        b'{"jsonrpc":"2.0","id":5,"error":{"code":-32000,"message":"nonce too low"}}'
    )


# --------------------------------------------------------------- properties


def _check_response_object(obj: Any) -> None:
    assert isinstance(obj, dict)
    assert obj["jsonrpc"] == "2.0"
    assert ("result" in obj) != ("error" in obj)
    if "error" in obj:
        assert isinstance(obj["error"]["code"], int)
        assert isinstance(obj["error"]["message"], str)


def _check_answer(out: bytes | None) -> None:
    if out is None:
        return
    decoded = json.loads(out.decode("utf-8"))  # strict UTF-8, valid JSON
    if isinstance(decoded, list):
        assert decoded
        for item in decoded:
            _check_response_object(item)
    else:
        _check_response_object(decoded)


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise(payload: bytes) -> None:
    _check_answer(handle_payload(payload, Recorder()))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["jsonrpc", "id", "method", "params", "result", "error", "Id", "x"])
            | st.text(max_size=5),
            children,
            max_size=5,
        )
    ),
    max_leaves=15,
)


@settings(max_examples=500)
@given(json_values)
def test_arbitrary_json_never_raises(value: Any) -> None:
    _check_answer(handle_payload(json.dumps(value).encode(), Recorder()))


ids = st.one_of(
    st.integers(),
    st.text(max_size=8),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
)
calls = st.fixed_dictionaries(
    {"jsonrpc": st.just("2.0"), "id": ids, "method": st.sampled_from(["test_echo", "nope"])},
    optional={"params": st.lists(st.integers(), max_size=3)},
)
notes = st.fixed_dictionaries({"jsonrpc": st.just("2.0"), "method": st.just("test_echo")})


@settings(max_examples=300)
@given(st.lists(st.one_of(calls, notes), min_size=1, max_size=30))
def test_valid_batches_keep_order_and_count(batch: list[dict[str, Any]]) -> None:
    out = handle_payload(json.dumps(batch).encode(), Recorder())
    expected = [item for item in batch if "id" in item]
    if not expected:
        assert out is None
        return
    assert out is not None
    answers = json.loads(out)
    assert len(answers) == len(expected)
    for request, answer in zip(expected, answers, strict=True):
        assert answer["id"] == request["id"]
        if request["method"] == "test_echo":
            assert answer["result"] == request.get("params")
        else:
            assert answer["error"]["code"] == -32601
