"""handle_payload's item hook: what it sees, and each kind of replacement it may give."""

from __future__ import annotations

from typing import Any

import pytest

from mocknode.rpc.errors import RpcError, method_not_found
from mocknode.rpc.jsonrpc import (
    DROP,
    ItemHook,
    Params,
    RawResponse,
    Replacement,
    handle_payload,
)


class Dispatch:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, method: str, params: Params) -> Any:
        self.calls.append(method)
        if method == "eth_blockNumber":
            return "0x10"
        if method == "eth_chainId":
            return "0x7a69"
        raise method_not_found(method)


class Hook:
    """Records what it is shown; answers from a table keyed by method."""

    def __init__(self, answers: dict[str, Replacement] | None = None) -> None:
        self.answers = answers or {}
        self.seen: list[tuple[str, Any, str, bool]] = []

    def __call__(self, method: str, params: Any, id_text: str, in_batch: bool) -> Any:
        self.seen.append((method, params, id_text, in_batch))
        return self.answers.get(method)


def run(payload: str, hook: ItemHook | None, dispatch: Dispatch | None = None) -> bytes | None:
    return handle_payload(payload.encode(), dispatch or Dispatch(), item_hook=hook)


BN = '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'
CID = '{"jsonrpc":"2.0","id":"b","method":"eth_chainId"}'


def test_a_hook_that_answers_none_changes_nothing() -> None:
    hook = Hook()
    batch = f"[{BN},{CID}]"
    assert run(BN, hook) == run(BN, None) == b'{"jsonrpc":"2.0","id":1,"result":"0x10"}'
    assert run(batch, hook) == run(batch, None)
    assert hook.seen == [
        ("eth_blockNumber", [], "1", False),
        ("eth_blockNumber", [], "1", True),
        ("eth_chainId", None, '"b"', True),
    ]


def test_the_hook_sees_raw_id_text_and_params_as_sent() -> None:
    hook = Hook()
    run('{"jsonrpc":"2.0","id":1.0e3,"method":"m","params":{"a":1}}', hook)
    run('{"jsonrpc":"2.0","id":null,"method":"m","params":7}', hook)
    assert hook.seen == [("m", {"a": 1}, "1.0e3", False), ("m", 7, "null", False)]


def test_only_calls_reach_the_hook() -> None:
    hook = Hook({"eth_blockNumber": DROP})
    dispatch = Dispatch()
    notification = '{"jsonrpc":"2.0","method":"eth_blockNumber"}'
    peer_response = '{"jsonrpc":"2.0","id":5,"result":"0x1"}'
    invalid = '{"jsonrpc":"1.0","id":6,"method":"eth_blockNumber"}'
    out = run(f"[{notification},{peer_response},{invalid}]", hook, dispatch)
    assert out == b'[{"jsonrpc":"2.0","id":6,"error":{"code":-32600,"message":"invalid request"}}]'
    assert hook.seen == []
    assert dispatch.calls == ["eth_blockNumber"]  # the notification still ran
    # A batch refused as too large never reaches it either.
    assert handle_payload(f"[{BN},{BN}]".encode(), Dispatch(), batch_limit=1, item_hook=hook)
    assert hook.seen == []


def test_error_replacement_answers_under_the_call_id() -> None:
    hook = Hook({"eth_blockNumber": RpcError(-32005, "limit exceeded", {"retry": 1})})
    dispatch = Dispatch()
    assert run(f"[{BN},{CID}]", hook, dispatch) == (
        b'[{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"limit exceeded",'
        b'"data":{"retry":1}}},{"jsonrpc":"2.0","id":"b","result":"0x7a69"}]'
    )
    assert dispatch.calls == ["eth_chainId"]  # the replaced call never ran
    assert run(BN, hook) == (
        b'{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"limit exceeded",'
        b'"data":{"retry":1}}}'
    )


def test_drop_leaves_the_item_out() -> None:
    hook = Hook({"eth_blockNumber": DROP})
    dispatch = Dispatch()
    assert run(f"[{BN},{CID},{BN}]", hook, dispatch) == (
        b'[{"jsonrpc":"2.0","id":"b","result":"0x7a69"}]'
    )
    assert dispatch.calls == ["eth_chainId"]
    assert run(BN, hook) is None  # a single request: no body at all
    assert run(f"[{BN},{BN}]", hook) is None  # nothing left to answer


def test_raw_response_is_spliced_verbatim() -> None:
    wrong_id = RawResponse('{"jsonrpc":"2.0","id":99,"result":"0x10"}')
    hook = Hook({"eth_blockNumber": wrong_id, "eth_chainId": RawResponse("<html>")})
    assert run(f"[{BN},{CID}]", hook) == (b'[{"jsonrpc":"2.0","id":99,"result":"0x10"},<html>]')
    assert run(BN, hook) == b'{"jsonrpc":"2.0","id":99,"result":"0x10"}'


def test_replacements_do_not_count_toward_the_response_limit() -> None:
    big = RawResponse('{"jsonrpc":"2.0","id":1,"result":"' + "a" * 500 + '"}')
    hook = Hook({"eth_blockNumber": big})
    out = handle_payload(
        f"[{BN},{CID}]".encode(), Dispatch(), batch_response_limit=100, item_hook=hook
    )
    assert out == ("[" + big + ',{"jsonrpc":"2.0","id":"b","result":"0x7a69"}]').encode()


def test_a_wrong_answer_from_the_hook_is_a_bug_not_a_response() -> None:
    with pytest.raises(TypeError, match="an item hook returned 'text'"):
        run(BN, Hook({"eth_blockNumber": "text"}))  # type: ignore[dict-item]
