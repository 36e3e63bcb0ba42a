"""The JSON-RPC 2.0 envelope, sans-io: request bytes in, response bytes (or nothing) out.

:func:`handle_payload` takes one complete message as the transports deliver it (an HTTP
body, a WebSocket message, one JSON value off the IPC stream), calls ``dispatch(method,
params)`` for every call in it, and returns the bytes to send back, or ``None`` when
nothing must be sent. It never raises for anything a client can send.

Everything a client can observe copies go-ethereum's ``rpc`` package (``json.go``,
``handler.go``, ``server.go``, ``errors.go``); ``tests/rpc`` pins every string byte for
byte. In short:

* A message is a call when ``jsonrpc == "2.0"``, it has an ``id`` that is not an object
  or array (``null``, ``true``, numbers and strings are all fine: geth keeps the raw id
  text and only looks at its first byte), and ``method`` is a non-empty string.
* No ``id`` member (with a valid version and a method) is a notification: it is executed
  and gets no answer. ``"id": null`` is a call and is answered with ``"id":null`` (viem's
  keep-alive depends on this, and geth does it).
* Anything else with a usable id gets ``-32600 "invalid request"`` echoing that id; the
  rest gets the same error with ``"id":null``. Messages that look like responses
  (version, id, ``result`` or ``error``, no method, no params) and ``*_subscription``
  notifications are dropped silently, as geth's server drops them.
* Field names match case-insensitively and later duplicates win, like Go's
  ``encoding/json``; a member of the wrong type is ignored rather than rejected.
* The id is echoed byte for byte as the client wrote it (``1.0e3`` stays ``1.0e3``,
  ``"\\u0041"`` keeps its escape), which Go gets for free from ``json.RawMessage``.
* Batches: ``[]`` gets one (non-array) ``-32600 "empty batch"``; more than
  ``batch_limit`` items get a one-element array ``-32600 "batch too large"`` carrying the
  id of the first call in the batch (``null`` if there is none); answers come in request
  order; once the results in a batch pass ``batch_response_limit`` bytes, every later
  non-notification item gets ``-32003 "response too large"``; a batch with nothing to
  answer gets no body.
* Unparsable input gets ``-32700 "parse error"`` (geth's HTTP wording; over WebSocket and
  IPC geth sends Go's syntax-error text and then drops the connection, which is the
  transport's business). Only the first JSON value is read, trailing bytes are ignored,
  and an empty or all-whitespace body gets no answer at all: geth reads ``io.EOF`` there.
  Invalid UTF-8 inside strings becomes U+FFFD, as Go decodes it.
* Output is compact, keys in geth's order (``jsonrpc``, ``id``, ``result``/``error``),
  ``"result":null`` kept, and ``<``, ``>``, ``&``, U+2028, U+2029 in results and errors
  escaped as ``\\u003c`` etc., since Go's ``json.Marshal`` does that.

Deliberate differences, all on inputs no client sends: params that are a JSON scalar
get ``-32602 "non-array args"`` from here even when the method does not exist (geth checks
the method first); an object ``params`` is handed to ``dispatch`` as a dict, so the
param decoder must answer it with ``non-array args`` to match geth; nesting deeper than
:data:`mocknode.jsonread.MAX_NESTING` (512; Go allows 10000) is a parse error; invalid
UTF-8 inside an echoed string id comes back as U+FFFD where Go echoes the raw bytes.

Speed: one plain ``json.JSONDecoder.raw_decode`` over the whole payload, then a cheap check
that each message needs nothing Go-specific; only odd messages (unknown keys, duplicate
oddities, float or escaped ids, integers past Python's 4300-digit limit) are walked again
member by member to recover raw id text and Go's field semantics. Over IPC even that one
parse is the framing's: :func:`handle_decoded` answers from the value it decoded.

The node's sockets are answered through :mod:`mocknode.rpc.stepwise` (the same bytes, in
steps a driver can interleave with other connections); the entries here answer in place
(the fault layer's armed path, in-process requests).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from functools import partial
from typing import Any, Final, NamedTuple

from mocknode.jsonread import NonFiniteConstant, decode_first, reject_constant, too_deep
from mocknode.rpc.errors import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    PARSE_ERROR,
    RpcError,
)
from mocknode.rpc.steps import Deferred, run_inline

__all__ = [
    "DEFAULT_BATCH_LIMIT",
    "DEFAULT_BATCH_RESPONSE_LIMIT",
    "DROP",
    "MAX_METHOD_NAME_LENGTH",
    "PARSE_ERROR_RESPONSE",
    "RESPONSE_TOO_LARGE",
    "Dispatch",
    "DropItem",
    "ItemHook",
    "Params",
    "RawJson",
    "RawResponse",
    "Replacement",
    "error_response",
    "handle_decoded",
    "handle_payload",
    "notification",
    "subscription_notification",
]

Params = list[Any] | dict[str, Any] | None
Dispatch = Callable[[str, Params], Any]
"""``dispatch(method, params)`` returns a JSON-ready result or raises :class:`RpcError`.

``params`` is ``None`` when the request had no ``params`` member or ``"params": null``.
Unknown methods must raise ``errors.method_not_found(method)``.
"""


class DropItem:
    """The type of :data:`DROP`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DROP"


DROP: Final = DropItem()
"""An item hook's answer for "no response to this call": it is left out of its batch
(a short batch), and a single request gets no body at all."""


class RawResponse(str):
    """An item hook's answer: the call's whole response text, spliced in as is (in its
    batch's array, or as the body of a single request). Never checked nor escaped, so a
    layer above can answer with a wrong id, a spec violation or broken JSON."""

    __slots__ = ()


Replacement = RpcError | RawResponse | DropItem
ItemHook = Callable[[str, Any, str, bool], Replacement | None]
"""``hook(method, params, id_text, in_batch)``, called for every call before dispatch.

``params`` are as sent (``None`` when absent), ``id_text`` the id's raw JSON text
(``'7'``, ``'"a"'``, ``'null'``), ``in_batch`` tells a batch item from a single
request. ``None`` lets the call run as usual; an :class:`RpcError` answers with that
error object (under the call's id); :class:`RawResponse` text or :data:`DROP` replace
the response as they say. Only calls reach the hook: notifications, invalid messages
and peer responses are handled without it, and so are the items of a batch refused as
too large or cut off by the response size limit. A replacement does not count toward
``batch_response_limit``. The hook's own exceptions propagate.
"""

# geth node/defaults.go: BatchRequestLimit 1000, BatchResponseMaxSize 25 * 1000 * 1000.
DEFAULT_BATCH_LIMIT: Final = 1000
DEFAULT_BATCH_RESPONSE_LIMIT: Final = 25 * 1000 * 1000
# geth rpc/json.go maxMethodNameLength, checked in handler.go handleCall/handleSubscribe.
MAX_METHOD_NAME_LENGTH: Final = 2048
# geth rpc/errors.go errcodeResponseTooLarge / errMsgResponseTooLarge.
RESPONSE_TOO_LARGE: Final = -32003

_VERSION: Final = "2.0"
_KNOWN_KEYS: Final = frozenset(("jsonrpc", "id", "method", "params", "result", "error"))
_WS: Final = re.compile(r"[ \t\n\r]*")
_SURROGATES: Final = re.compile("[\ud800-\udfff]")


# --------------------------------------------------------------------------- parsing


def _parse_big_int(text: str) -> int:
    # Python refuses str->int past 4300 digits; Go keeps such an id as raw text. Decimal
    # has no such limit, and this decoder only runs after the fast one gave up.
    if len(text) < 4000:
        return int(text)
    from decimal import Decimal  # rare: not loaded for every start (issue 12)

    return int(Decimal(text))


# json.decoder.scanstring(text, index after the opening quote) -> (value, index after
# the closing quote); public at runtime but missing from typeshed.
_scanstring: Final[Callable[[str, int], tuple[str, int]]] = json.decoder.scanstring  # type: ignore[attr-defined]

# The fast decoder is mocknode.jsonread.decode_first, which IPC framing shares; this one
# also reads integers of any length.
_slow_decode: Final = json.JSONDecoder(
    parse_constant=reject_constant, parse_int=_parse_big_int
).raw_decode


class _Msg(NamedTuple):
    """One message reduced to what geth's ``jsonrpcMessage`` predicates look at."""

    version_ok: bool
    id_text: str | None  # raw JSON text of the id; None when the member is absent
    method: str  # "" when absent, null or not a string
    params_present: bool
    params: Any
    has_result_or_error: bool


_JUNK: Final = _Msg(False, None, "", False, None, False)  # non-objects, ``null``


class _Source:
    """The decoded payload text with lazily computed facts the fast path relies on."""

    __slots__ = ("_backslash", "_minus_zero", "force_slow", "text")

    def __init__(self, text: str, force_slow: bool) -> None:
        self.text = text
        self.force_slow = force_slow
        self._backslash: bool | None = None
        self._minus_zero: bool | None = None

    def has_backslash(self) -> bool:
        if self._backslash is None:
            self._backslash = "\\" in self.text
        return self._backslash

    def has_minus_zero(self) -> bool:
        if self._minus_zero is None:
            self._minus_zero = "-0" in self.text
        return self._minus_zero


def _skip_ws(text: str, idx: int) -> int:
    match = _WS.match(text, idx)
    return idx if match is None else match.end()


def _norm_fast(obj: dict[str, Any], src: _Source) -> _Msg | None:
    """Read a message straight from the decoded dict, or None when that could differ
    from what Go reads (then :func:`_norm_slow` walks the raw text)."""
    if src.force_slow or not obj.keys() <= _KNOWN_KEYS:
        return None
    version = obj.get("jsonrpc")
    if version is not None and type(version) is not str:
        return None
    method = obj.get("method", "")
    if type(method) is not str:
        return None
    id_text: str | None
    if "id" in obj:
        ident = obj["id"]
        kind = type(ident)
        if kind is int:
            if ident == 0 and src.has_minus_zero():
                return None
            id_text = int.__repr__(ident)
        elif kind is str:
            if src.has_backslash():
                return None  # the client may have escaped characters we cannot see
            id_text = '"' + ident + '"'
        elif ident is None:
            id_text = "null"
        elif ident is True:
            id_text = "true"
        elif ident is False:
            id_text = "false"
        else:
            return None  # floats, objects, arrays: need the raw text
    else:
        id_text = None
    return _Msg(
        version == _VERSION,
        id_text,
        method,
        "params" in obj,
        obj.get("params"),
        "result" in obj or "error" in obj,
    )


def _norm_slow(text: str, start: int) -> _Msg:
    """Walk the object at ``text[start]`` member by member with Go's rules: keys match
    case-insensitively, the last occurrence wins, a string field ignores values of other
    types, and raw-message fields (``id``...) keep their exact source text."""
    version = ""
    method = ""
    id_text: str | None = None
    params_present = False
    params: Any = None
    has_result_or_error = False
    idx = _skip_ws(text, start + 1)
    if text[idx] != "}":
        while True:
            key, idx = _scanstring(text, idx + 1)
            idx = _skip_ws(text, idx) + 1  # skip ':'
            idx = _skip_ws(text, idx)
            value, end = _slow_decode(text, idx)
            name = key.casefold()
            if name == "jsonrpc":
                if type(value) is str:
                    version = value
            elif name == "method":
                if type(value) is str:
                    method = value
            elif name == "id":
                id_text = text[idx:end]
            elif name == "params":
                params_present = True
                params = value
            elif name == "result" or name == "error":
                has_result_or_error = True
            idx = _skip_ws(text, end)
            if text[idx] != ",":
                break
            idx = _skip_ws(text, idx + 1)
    return _Msg(version == _VERSION, id_text, method, params_present, params, has_result_or_error)


def _element_starts(text: str, start: int) -> list[int]:
    """Offsets of the items of the (already validated) array at ``text[start]``."""
    starts: list[int] = []
    idx = _skip_ws(text, start + 1)
    if text[idx] == "]":
        return starts
    while True:
        starts.append(idx)
        _, end = _slow_decode(text, idx)
        idx = _skip_ws(text, end)
        if text[idx] != ",":
            return starts
        idx = _skip_ws(text, idx + 1)


# -------------------------------------------------------------------------- encoding


# One encoder for the process: json.dumps() with options builds a new one per call.
_dumps: Final[Callable[[Any], str]] = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False
).encode


def _go_escape(encoded: str) -> str:
    """Escape what Go's json.Marshal escapes (HTML-safe output). These characters can
    only occur inside string literals of ``encoded``, so replacing them is safe."""
    if (
        "<" in encoded
        or ">" in encoded
        or "&" in encoded
        or "\u2028" in encoded
        or "\u2029" in encoded
    ):
        encoded = (
            encoded.replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
            .replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029")
        )
    return encoded


def _error_json(code: int, message: str, data: Any = None) -> str:
    body = '{"code":' + int.__repr__(code) + ',"message":' + _dumps(message)
    if data is not None:
        # Unencodable data is dropped rather than losing the error itself.
        with contextlib.suppress(TypeError, ValueError, RecursionError):
            body += ',"data":' + _dumps(data)
    return _go_escape(body + "}")


def _error_str(id_text: str | None, error_json: str) -> str:
    # geth json.go appendMessage writes "id" only when the message has one; errorMessage
    # sets it to null, errorResponse copies the request's (possibly absent) id.
    if id_text is None:
        return '{"jsonrpc":"2.0","error":' + error_json + "}"
    return '{"jsonrpc":"2.0","id":' + id_text + ',"error":' + error_json + "}"


def _rpc_error_str(id_text: str | None, err: RpcError) -> str:
    return _error_str(id_text, _error_json(err.code, err.message, err.data))


class RawJson(str):
    """A result already encoded as compact JSON, spliced into the response as is.

    For large results built from immutable pieces (logs): rpc.render renders each piece
    once and caches it, instead of rebuilding and re-encoding hundreds of objects per
    request. The producer guarantees valid, Go-escaped JSON (hex strings need none).
    """

    __slots__ = ()


def _encode(out: str) -> bytes:
    try:
        return out.encode()
    except UnicodeEncodeError:
        # Lone surrogates (from "\ud800" escapes or a handler): Go never holds them and
        # writes U+FFFD instead.
        return _SURROGATES.sub("\ufffd", out).encode()


_INVALID_REQUEST_JSON: Final = _error_json(INVALID_REQUEST, "invalid request")
_INVALID_REQUEST_NULL: Final = _error_str("null", _INVALID_REQUEST_JSON)
_NON_ARRAY_ARGS_JSON: Final = _error_json(INVALID_PARAMS, "non-array args")
_TOO_LARGE_JSON: Final = _error_json(RESPONSE_TOO_LARGE, "response too large")
_EMPTY_BATCH: Final = _error_str("null", _error_json(INVALID_REQUEST, "empty batch")).encode()
PARSE_ERROR_RESPONSE: Final = _error_str("null", _error_json(PARSE_ERROR, "parse error")).encode()
"""geth server.go serveSingleRequest: any read error other than EOF → -32700 "parse error"."""


def error_response(error: RpcError, id_text: str | None = "null") -> bytes:
    """An error response for ``error``; ``id_text`` is the raw JSON of the id (``None``
    leaves the ``id`` member out, as geth does for id-less messages)."""
    return _encode(_rpc_error_str(id_text, error))


def notification(method: str, params: Any) -> bytes:
    """``{"jsonrpc":"2.0","method":...,"params":...}``, compact, as geth writes
    server-to-client notifications. Raises TypeError/ValueError for unencodable params."""
    return _encode(
        '{"jsonrpc":"2.0","method":'
        + _dumps(method)
        + ',"params":'
        + _go_escape(_dumps(params))
        + "}"
    )


def subscription_notification(
    subscription: str, result: Any, method: str = "eth_subscription"
) -> bytes:
    """geth's subscription push: params are ``{"subscription":ID,"result":...}`` in that
    order (rpc/json.go subscriptionResultEnc). A :class:`RawJson` result is spliced in
    as is, so one rendered header or log serves every subscription."""
    if type(result) is RawJson:
        return _encode(
            '{"jsonrpc":"2.0","method":'
            + _dumps(method)
            + ',"params":{"subscription":'
            + _go_escape(_dumps(subscription))
            + ',"result":'
            + result
            + "}}"
        )
    return notification(method, {"subscription": subscription, "result": result})


# ------------------------------------------------------------------------- handling


def _is_call(msg: _Msg) -> bool:
    return (
        msg.version_ok
        and msg.id_text is not None
        and msg.id_text[0] not in "{["
        and msg.method != ""
    )


def _call_check(msg: _Msg, id_text: str) -> tuple[str, int] | None:
    """The error a call gets before it is dispatched (name too long, scalar params)."""
    method = msg.method
    if len(method) > MAX_METHOD_NAME_LENGTH // 4:
        size = len(method.encode("utf-8", "surrogatepass"))
        if size > MAX_METHOD_NAME_LENGTH and not method.endswith("_unsubscribe"):
            what = "subscription" if method.endswith("_subscribe") else "method"
            message = f"{what} name too long: {size} > {MAX_METHOD_NAME_LENGTH}"
            return _error_str(id_text, _error_json(INVALID_REQUEST, message)), 0
    params = msg.params
    if params is not None and type(params) is not list and type(params) is not dict:
        # geth json.go parsePositionalArguments: anything but an array or null.
        return _error_str(id_text, _NON_ARRAY_ARGS_JSON), 0
    return None


def _call(msg: _Msg, id_text: str, dispatch: Dispatch) -> tuple[str, int]:
    """Answer a call (geth handler.go handleCall/runMethod). Returns the response text and
    the length in bytes of its result (0 for errors), which the batch limit counts. A
    :class:`Deferred` result is computed here and now (:func:`run_inline`)."""
    early = _call_check(msg, id_text)
    if early is not None:
        return early
    try:
        result = dispatch(msg.method, msg.params)
        if type(result) is Deferred:
            result = run_inline(result.steps)
    except RpcError as err:
        return _rpc_error_str(id_text, err), 0
    except Exception as exc:  # a handler bug must not take the connection down
        return _crashed(id_text, exc), 0
    return _result(id_text, result)


def _crashed(id_text: str, exc: Exception) -> str:
    # geth answers a panicking handler with -32603 "method handler crashed".
    message = f"method handler crashed: {exc!r}"
    return _error_str(id_text, _error_json(INTERNAL_ERROR, message))


def _result(id_text: str, result: Any) -> tuple[str, int]:
    """The response to a call that returned ``result``, and the result's size."""
    try:
        encoded: str
        if type(result) is RawJson:
            encoded = result
        elif type(result) is str and result.isalnum() and result.isascii():
            # Hex quantities and data, most results: nothing in them to escape.
            encoded = '"' + result + '"'
        else:
            encoded = _go_escape(_dumps(result))
    except (TypeError, ValueError, RecursionError) as exc:
        # geth json.go response(): a marshal error becomes -32603 with Go's message.
        message = f"json: cannot encode result: {exc}"
        return _error_str(id_text, _error_json(INTERNAL_ERROR, message)), 0
    size = len(encoded) if encoded.isascii() else len(encoded.encode("utf-8", "surrogatepass"))
    return '{"jsonrpc":"2.0","id":' + id_text + ',"result":' + encoded + "}", size


def _notify(msg: _Msg, dispatch: Dispatch) -> None:
    """Run a notification for its effect; its outcome is never sent (geth
    handleCallMsg: notifications are handled and answered with nothing)."""
    params = msg.params
    if params is not None and type(params) is not list and type(params) is not dict:
        return
    with contextlib.suppress(Exception):  # nobody to tell
        result = dispatch(msg.method, params)
        if type(result) is Deferred:
            run_inline(result.steps)


def _answer(msg: _Msg, dispatch: Dispatch) -> tuple[str, int] | None:
    """geth handler.go handleResponses + handleCallMsg for one message."""
    id_text = msg.id_text
    valid_id = id_text is not None and id_text[0] not in "{["
    if msg.version_ok:
        if id_text is not None and valid_id:
            if msg.method != "":
                return _call(msg, id_text, dispatch)
            if msg.has_result_or_error and not msg.params_present:
                return None  # a response from the peer: nobody is waiting for it
        elif id_text is None and msg.method != "":
            if not msg.method.endswith("_subscription"):
                _notify(msg, dispatch)
            return None
    if valid_id:
        return _error_str(id_text, _INVALID_REQUEST_JSON), 0
    return _INVALID_REQUEST_NULL, 0


def _single(value: Any, src: _Source, start: int, dispatch: Dispatch) -> bytes | None:
    if type(value) is not dict:
        return _INVALID_REQUEST_NULL.encode()
    msg = _norm_fast(value, src) or _norm_slow(src.text, start)
    answer = _answer(msg, dispatch)
    return None if answer is None else _encode(answer[0])


def _single_hooked(
    value: Any, src: _Source, start: int, dispatch: Dispatch, hook: ItemHook
) -> bytes | None:
    if type(value) is not dict:
        return _INVALID_REQUEST_NULL.encode()
    msg = _norm_fast(value, src) or _norm_slow(src.text, start)
    answer = _answer_hooked(msg, dispatch, hook=hook, in_batch=False)
    return None if answer is None else _encode(answer[0])


def _answer_hooked(
    msg: _Msg, dispatch: Dispatch, *, hook: ItemHook, in_batch: bool
) -> tuple[str, int] | None:
    """:func:`_answer`, with the item hook asked first for every call."""
    if _is_call(msg):
        id_text: str = msg.id_text  # type: ignore[assignment]  # a call has an id
        replacement = hook(msg.method, msg.params, id_text, in_batch)
        if replacement is not None:
            if type(replacement) is RawResponse:
                return str(replacement), 0
            if isinstance(replacement, RpcError):
                return _rpc_error_str(id_text, replacement), 0
            if replacement is DROP:
                return None
            raise TypeError(f"an item hook returned {replacement!r}")
    return _answer(msg, dispatch)


def _batch(
    items: list[Any],
    src: _Source,
    start: int,
    dispatch: Dispatch,
    batch_limit: int,
    response_limit: int,
    hook: ItemHook | None,
) -> bytes | None:
    messages = _batch_messages(items, src, start, batch_limit)
    if isinstance(messages, bytes):
        return messages
    answer_one = _answer if hook is None else partial(_answer_hooked, hook=hook, in_batch=True)
    answers: list[str] = []
    total = 0
    for index, msg in enumerate(messages):
        answer = answer_one(msg, dispatch)
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


def _batch_messages(
    items: list[Any], src: _Source, start: int, batch_limit: int
) -> list[_Msg] | bytes:
    """A batch's messages, or the whole answer when it is empty or too long."""
    if not items:
        return _EMPTY_BATCH
    fast = [(_norm_fast(item, src) if type(item) is dict else _JUNK) for item in items]
    if None in fast:
        starts = _element_starts(src.text, start)
        text = src.text
        messages = [m or _norm_slow(text, starts[i]) for i, m in enumerate(fast)]
    else:
        messages = fast  # type: ignore[assignment]  # no None left

    if batch_limit and len(messages) > batch_limit:
        # geth handler.go respondWithBatchTooLarge: the id of the first call, else null.
        first = next((m.id_text for m in messages if _is_call(m)), "null")
        too_large = _error_json(INVALID_REQUEST, "batch too large")
        return _encode("[" + _error_str(first, too_large) + "]")
    return messages


def _too_large(messages: list[_Msg], index: int, answers: list[str]) -> None:
    # geth batchCallBuffer.respondWithError: every remaining message that is not a
    # notification (and not a dropped response) gets -32003.
    for rest in messages[index + 1 :]:
        if _would_answer(rest):
            answers.append(_error_str(rest.id_text, _TOO_LARGE_JSON))


def _would_answer(msg: _Msg) -> bool:
    """Whether geth keeps ``msg`` among a batch's calls and would not count it as a
    notification: everything except peer responses, ``*_subscription`` notifications and
    notifications."""
    id_text = msg.id_text
    valid_id = id_text is not None and id_text[0] not in "{["
    if msg.version_ok:
        if valid_id and msg.method == "" and msg.has_result_or_error and not msg.params_present:
            return False
        if id_text is None and msg.method != "":
            return False
    return True


def handle_payload(
    payload: bytes,
    dispatch: Dispatch,
    *,
    batch_limit: int = DEFAULT_BATCH_LIMIT,
    batch_response_limit: int = DEFAULT_BATCH_RESPONSE_LIMIT,
    item_hook: ItemHook | None = None,
) -> bytes | None:
    """Answer one JSON-RPC message or batch the way geth does.

    Returns the response bytes (no trailing newline: framing belongs to the transport) or
    ``None`` when geth would write nothing: notifications, batches of notifications,
    peer responses, an empty or all-whitespace payload. A limit of 0 disables it.
    ``item_hook`` (see :data:`ItemHook`) may replace any call's answer; without one, the
    path is the plain one.
    """
    parsed = _decode(payload)
    if not isinstance(parsed, tuple):
        return parsed
    value, src, start = parsed
    return _respond(value, src, start, dispatch, batch_limit, batch_response_limit, item_hook)


def _decode(payload: bytes) -> tuple[Any, _Source, int] | bytes | None:
    """The decoded message, its source and where it starts; or the whole answer (a
    parse error, or None for an empty payload)."""
    try:
        text = payload.decode()
    except UnicodeDecodeError:
        text = payload.decode("utf-8", "replace")
    start = 0
    if text[:1] in (" ", "\t", "\n", "\r"):
        start = _skip_ws(text, 0)
    if start == len(text):
        return None  # geth reads io.EOF and writes nothing
    if too_deep(payload):
        return PARSE_ERROR_RESPONSE
    force_slow = False
    try:
        value, _ = decode_first(text, start)
    except (json.JSONDecodeError, NonFiniteConstant, RecursionError):
        return PARSE_ERROR_RESPONSE
    except ValueError:
        # An integer beyond Python's str->int digit limit: retry keeping it.
        try:
            value, _ = _slow_decode(text, start)
        except (ValueError, RecursionError):
            return PARSE_ERROR_RESPONSE
        force_slow = True
    return value, _Source(text, force_slow), start


def handle_decoded(
    value: Any,
    text: str,
    dispatch: Dispatch,
    *,
    batch_limit: int = DEFAULT_BATCH_LIMIT,
    batch_response_limit: int = DEFAULT_BATCH_RESPONSE_LIMIT,
    item_hook: ItemHook | None = None,
) -> bytes | None:
    """:func:`handle_payload` for a message its transport has already decoded (IPC
    frames by parsing): the same answer as ``handle_payload(text.encode(), ...)``,
    without parsing again.

    ``value, _ = mocknode.jsonread.decode_first(text, 0)`` must hold: ``text`` is the
    message, valid UTF-8 decoded, starting with its value (trailing text is ignored),
    and it passed :func:`mocknode.jsonread.too_deep`. The decoder's success rules out
    what only the bytes path handles (parse errors, ``NaN``, integers past Python's
    digit limit, so the id's text is always ``repr`` of an int id); what Go reads
    differently (case, duplicate keys, escapes, float ids) is recovered from ``text``,
    as :func:`handle_payload` recovers it.
    """
    src = _Source(text, False)
    return _respond(value, src, 0, dispatch, batch_limit, batch_response_limit, item_hook)


def _respond(
    value: Any,
    src: _Source,
    start: int,
    dispatch: Dispatch,
    batch_limit: int,
    response_limit: int,
    hook: ItemHook | None,
) -> bytes | None:
    """Answer the decoded message ``value``, whose text starts at ``src.text[start]``."""
    if type(value) is list:
        return _batch(value, src, start, dispatch, batch_limit, response_limit, hook)
    if hook is None:
        return _single(value, src, start, dispatch)
    return _single_hooked(value, src, start, dispatch, hook)
