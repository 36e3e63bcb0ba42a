"""The JSON-RPC envelope answered in steps: what the node serves every connection with.

:func:`answer_stepwise` and :func:`answer_decoded_stepwise` give the bytes
:func:`mocknode.rpc.jsonrpc.handle_payload` and :func:`~mocknode.rpc.jsonrpc.handle_decoded`
give (``tests/rpc/test_jsonrpc_decoded.py`` holds them equal), for a driver that lets other
work run meanwhile (:mod:`mocknode.rpc.steps`, :func:`mocknode.offload.drive`): the answer
when it is ready at once, else a generator of steps that returns it.

Split from :mod:`mocknode.rpc.jsonrpc` (which keeps the geth rules, the parsing and the
synchronous entries) because this is the request path of every socket: a plain call (the
message nearly every client sends, :func:`_plain_call_id`) takes a short lane here, with
no :class:`~mocknode.rpc.jsonrpc._Msg` built and four frames fewer, and answers bytes,
never a generator, unless its method returned a :class:`~mocknode.rpc.steps.Deferred`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from typing import Any, Final

from mocknode.rpc.errors import RpcError
from mocknode.rpc.jsonrpc import (
    _INVALID_REQUEST_NULL,
    _JUNK,
    _KNOWN_KEYS,
    _VERSION,
    DEFAULT_BATCH_LIMIT,
    DEFAULT_BATCH_RESPONSE_LIMIT,
    MAX_METHOD_NAME_LENGTH,
    Dispatch,
    _answer,
    _batch_messages,
    _call_check,
    _crashed,
    _decode,
    _encode,
    _is_call,
    _Msg,
    _norm_fast,
    _norm_slow,
    _result,
    _rpc_error_str,
    _Source,
    _too_large,
)
from mocknode.rpc.steps import CHECKPOINT, Deferred, Steps

__all__ = ["answer_decoded_stepwise", "answer_stepwise", "plain_call_id"]


def _call_stepwise(msg: _Msg, id_text: str, dispatch: Dispatch) -> tuple[str, int] | Steps:
    """:func:`_call`, leaving a :class:`Deferred` result to whoever drives the steps:
    the answer, or a generator of steps that returns it."""
    early = _call_check(msg, id_text)
    if early is not None:
        return early
    try:
        result = dispatch(msg.method, msg.params)
    except RpcError as err:
        return _rpc_error_str(id_text, err), 0
    except Exception as exc:
        return _crashed(id_text, exc), 0
    if type(result) is Deferred:
        return _finish(id_text, result.steps)
    return _result(id_text, result)


def _finish(id_text: str, steps: Steps) -> Generator[Any, Any, tuple[str, int]]:
    try:
        result = yield from steps
    except RpcError as err:
        return _rpc_error_str(id_text, err), 0
    except Exception as exc:
        return _crashed(id_text, exc), 0
    return _result(id_text, result)


def answer_stepwise(
    payload: bytes,
    dispatch: Dispatch,
    *,
    batch_limit: int = DEFAULT_BATCH_LIMIT,
    batch_response_limit: int = DEFAULT_BATCH_RESPONSE_LIMIT,
) -> bytes | Steps | None:
    """:func:`handle_payload` for a driver that lets other work run meanwhile
    (:mod:`mocknode.rpc.steps`): the answer when it is ready at once, else a generator
    of steps that returns it. A batch always answers in steps, with a checkpoint
    between items (each item runs whole); a single call only when its method returned
    a :class:`Deferred`. The bytes are the ones :func:`handle_payload` answers."""
    parsed = _decode(payload)
    if not isinstance(parsed, tuple):
        return parsed
    value, src, start = parsed
    return _respond_stepwise(value, src, start, dispatch, batch_limit, batch_response_limit)


def answer_decoded_stepwise(
    value: Any,
    text: str,
    dispatch: Dispatch,
    *,
    batch_limit: int = DEFAULT_BATCH_LIMIT,
    batch_response_limit: int = DEFAULT_BATCH_RESPONSE_LIMIT,
) -> bytes | Steps | None:
    """:func:`answer_stepwise` for a message already decoded, as :func:`handle_decoded`."""
    src = _Source(text, False)
    return _respond_stepwise(value, src, 0, dispatch, batch_limit, batch_response_limit)


def _respond_stepwise(
    value: Any, src: _Source, start: int, dispatch: Dispatch, batch_limit: int, response_limit: int
) -> bytes | Steps | None:
    if type(value) is list:
        messages = _batch_messages(value, src, start, batch_limit)
        if isinstance(messages, bytes):
            return messages
        return _batch_steps(messages, dispatch, response_limit)
    if type(value) is not dict:
        return _INVALID_REQUEST_NULL.encode()
    id_text = _plain_call_id(value, src)
    if id_text is not None:
        return _plain_call(value, id_text, dispatch)
    msg = _norm_fast(value, src) or _norm_slow(src.text, start)
    answer = _answer_stepwise(msg, dispatch)
    if answer is None:
        return None
    if isinstance(answer, tuple):
        return _encode(answer[0])
    return _single_steps(answer)


def _plain_call_id(obj: dict[str, Any], src: _Source) -> str | None:
    """The id's text when ``obj`` is a plain call, the message nearly every client
    sends: version "2.0", a short method name, an integer or plain string id and
    array (or no) params; else None. A plain call is answered by :func:`_plain_call`
    without building a :class:`_Msg`: the same answer as :func:`_answer_stepwise`
    gives it (it is a call, :func:`_call_check` passes it), in fewer steps."""
    if obj.get("jsonrpc") != _VERSION or src.force_slow or not obj.keys() <= _KNOWN_KEYS:
        return None
    method = obj.get("method")
    if type(method) is not str or not method or len(method) > _PLAIN_METHOD_LENGTH:
        return None
    params = obj.get("params")
    if params is not None and type(params) is not list:
        return None
    ident: object = obj.get("id", _JUNK)
    if type(ident) is int:
        if ident == 0 and src.has_minus_zero():
            return None
        return int.__repr__(ident)
    if type(ident) is str and not src.has_backslash():
        return '"' + ident + '"'
    return None


def plain_call_id(obj: dict[str, Any], text: str) -> str | None:
    """:func:`_plain_call_id` for ``obj`` decoded from ``text``: the id's text when it
    is a plain call, else None (the read memo keeps plain calls only)."""
    return _plain_call_id(obj, _Source(text, False))


# Names this short pass _call_check's length test whatever their encoding.
_PLAIN_METHOD_LENGTH: Final = MAX_METHOD_NAME_LENGTH // 4


def _plain_call(obj: dict[str, Any], id_text: str, dispatch: Dispatch) -> bytes | Steps:
    """Answer a plain call (:func:`_plain_call_id`): its bytes, or steps for a
    :class:`Deferred` result."""
    try:
        result = dispatch(obj["method"], obj.get("params"))
    except RpcError as err:
        return _encode(_rpc_error_str(id_text, err))
    except Exception as exc:
        return _encode(_crashed(id_text, exc))
    if type(result) is Deferred:
        return _single_steps(_finish(id_text, result.steps))
    return _encode(_result(id_text, result)[0])


def _single_steps(steps: Generator[Any, Any, tuple[str, int] | None]) -> Steps:
    answer = yield from steps
    return None if answer is None else _encode(answer[0])


def _answer_stepwise(
    msg: _Msg, dispatch: Dispatch
) -> tuple[str, int] | Generator[Any, Any, tuple[str, int] | None] | None:
    """:func:`_answer`, leaving deferred work to the driver."""
    if _is_call(msg):
        return _call_stepwise(msg, msg.id_text, dispatch)  # type: ignore[arg-type]
    if msg.version_ok and msg.id_text is None and msg.method != "":
        if msg.method.endswith("_subscription"):
            return None
        return _notify_stepwise(msg, dispatch)
    return _answer(msg, dispatch)


def _notify_stepwise(msg: _Msg, dispatch: Dispatch) -> Generator[Any, Any, None] | None:
    params = msg.params
    if params is not None and type(params) is not list and type(params) is not dict:
        return None
    try:
        result = dispatch(msg.method, params)
    except Exception:  # nobody to tell
        return None
    if type(result) is Deferred:
        return _drain(result.steps)
    return None


def _drain(steps: Steps) -> Generator[Any, Any, None]:
    with contextlib.suppress(Exception):  # a notification: nobody to tell
        yield from steps


def _batch_steps(messages: list[_Msg], dispatch: Dispatch, response_limit: int) -> Steps:
    """:func:`_batch`'s loop, one item at a time with a checkpoint between items."""
    answers: list[str] = []
    total = 0
    for index, msg in enumerate(messages):
        if index:
            yield CHECKPOINT
        answer = _answer_stepwise(msg, dispatch)
        if answer is not None and type(answer) is not tuple:
            answer = yield from answer
        if answer is None:
            continue
        answers.append(answer[0])
        if response_limit:
            total += answer[1]
            if total > response_limit:
                _too_large(messages, index, answers)
                break
    if not answers:
        return None
    return _encode("[" + ",".join(answers) + "]")
