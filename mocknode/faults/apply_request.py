"""Appliers of the request-point kinds: what a client receives for each decision.

One function per kind (see :mod:`mocknode.faults.request` for the two shapes: a whole
message, or one call inside a batch). Which kinds run the call first:

* refusals do not run it, as a proxy or provider that refuses never reaches the node:
  ``close``, ``hang``, ``reset`` at ``request``, ``http_status``, ``garbage``,
  ``ws_close`` without a delay, ``error``, ``rate_limit``, ``batch_limit``, and
  ``provider_limit`` past a block-range cap;
* the others run it and change what comes back: ``delay``, ``reset`` at ``response``,
  ``dribble``, ``truncate``, ``malformed``, ``spec_violation``, ``wrong_id``,
  ``duplicate_response``, ``stray_response``, ``late_response``, ``out_of_order``,
  ``batch_reorder``, ``batch_missing`` (the other items run), ``ws_close`` after a delay,
  and ``provider_limit`` counting results.

Every changed answer is new bytes built from the real ones; the real bytes (which the rpc
layer may share between clients through its render caches) are never modified.

``provider_limit`` is a rule that only refuses what passes the caps: a call within them is
answered normally and its decision is returned as :class:`~mocknode.faults.request.Declined`,
so the journal records no fault for it (the rule's ``fired`` count still includes it).

Choices where the catalogue leaves room:

* ``dribble`` with ``chunks``/``seconds`` sizes the chunks on the JSON reply; HTTP's status
  line and headers make the first chunks carry the framing, so the client may see one or two
  chunks more than asked, over the same time;
* ``malformed`` ``wrong_content_type`` labels an HTTP body ``text/html``; WebSocket and IPC
  have no content type and get the reply unchanged;
* ``wrong_id``: ``other`` is the id plus one (a string id gets ``-other`` appended, null
  becomes 1); ``retyped`` turns ``7`` into ``"7"`` and a numeric string into a number (any
  other string becomes ``0``, null becomes ``"null"``);
* ``stray_response`` without an ``id`` sends ``"id": null``;
* ``ws_close`` with ``after_messages`` counts the replies and notifications this connection
  sends after the matching request's reply (which is sent first), while the node is armed
  (removing every rule meanwhile stops the count); with ``after_seconds`` the reply is sent
  and the close follows that long after.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any, Final

import trio

from mocknode.faults.engine import Decision
from mocknode.faults.personas import (
    PERSONAS,
    TEMPLATES,
    ErrorTemplate,
    error_object,
    rate_limit_template,
)
from mocknode.faults.request import (
    Applier,
    Declined,
    Item,
    ItemApplier,
    ItemResult,
    MessageResult,
    Request,
)
from mocknode.io.reply import (
    CloseConnection,
    Delayed,
    Dribble,
    Frames,
    HttpStatus,
    RawBytes,
    ResetAfter,
    ResetConnection,
    Stall,
    Truncated,
    WsClose,
)
from mocknode.rpc.errors import INVALID_REQUEST, RpcError
from mocknode.rpc.jsonrpc import DROP, RawResponse, error_response

__all__ = ["ITEM_APPLIERS", "MESSAGE_APPLIERS"]

_dumps: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_JSON_HEADERS: Final = (("Content-Type", "application/json"),)
_HTML_HEADERS: Final = (("Content-Type", "text/html; charset=utf-8"),)
# A gateway's error page, as nginx and Cloudflare send them.
_HTML_PAGE: Final = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_TRAILING_GARBAGE: Final = b"\r\n<!-- upstream: cache miss -->"
_STRAY_ERROR: Final = {"code": -32000, "message": "stray response"}
_DRIBBLE_TICK: Final = 0.05  # seconds between chunks when given a bandwidth


def _rpc_error(obj: Mapping[str, Any]) -> RpcError:
    return RpcError(obj["code"], obj["message"], obj.get("data"))


def _template_error(template: ErrorTemplate, **values: object) -> RpcError:
    return _rpc_error(template.render(**values))


# ----------------------------------------------------------------------- transport-ish


async def _delay(request: Request, decision: Decision) -> MessageResult:
    seconds: float = decision.params["seconds"]
    if decision.params["direction"] == "request":
        await trio.sleep(seconds)
        return request.run()
    reply = request.run()
    return None if reply is None else Delayed(seconds, reply)


async def _hang(request: Request, decision: Decision) -> MessageResult:
    return Stall(decision.params["seconds"])


async def _close(request: Request, decision: Decision) -> MessageResult:
    return CloseConnection()


async def _reset(request: Request, decision: Decision) -> MessageResult:
    if decision.params["at"] != "response":
        return ResetConnection()
    reply = request.run()
    if reply is None:
        return ResetConnection()
    return ResetAfter(reply, decision.params["after_bytes"])


async def _dribble(request: Request, decision: Decision) -> MessageResult:
    reply = request.run()
    if reply is None:
        return None
    params = decision.params
    rate = params["bytes_per_second"]
    if rate is not None:
        chunk = max(1, round(rate * _DRIBBLE_TICK))
        return Dribble(reply, chunk, chunk / rate)
    chunks: int = params["chunks"]
    return Dribble(reply, max(1, math.ceil(len(reply) / chunks)), params["seconds"] / chunks)


async def _truncate(request: Request, decision: Decision) -> MessageResult:
    reply = request.run()
    if reply is None:
        return CloseConnection()
    return Truncated(reply, decision.params["after_bytes"])


async def _http_status(request: Request, decision: Decision) -> MessageResult:
    params = decision.params
    return HttpStatus(
        params["status"],
        params["body"].encode(),
        tuple(params["headers"].items()),
        keep_alive=params["keep_alive"],
    )


async def _garbage(request: Request, decision: Decision) -> MessageResult:
    return RawBytes(decision.rng().randbytes(decision.params["length"]), close_after=True)


async def _ws_close(request: Request, decision: Decision) -> MessageResult:
    params = decision.params
    close = WsClose(params["code"], params["reason"])
    after_messages = params["after_messages"]
    after_seconds = params["after_seconds"]
    if after_messages is None and after_seconds is None:
        return close
    reply = request.run()
    if reply is not None:
        request.send_now(reply)
    if after_seconds is not None:
        return Delayed(after_seconds, close)
    sent = trio.Event()
    request.conn.close_after(after_messages, sent)
    return Delayed(0.0, close, until=sent.wait)


# ----------------------------------------------------------------------- JSON-RPC: errors


async def _error_message(request: Request, decision: Decision) -> MessageResult:
    return request.replace(_rpc_error(error_object(decision.params)))


def _error_item(item: Item, decision: Decision) -> ItemResult:
    return _rpc_error(error_object(decision.params))


def _rate_template(decision: Decision) -> ErrorTemplate:
    params = decision.params
    return rate_limit_template(params["reply"], params["template"])


def _retry_after(decision: Decision) -> str:
    return str(max(1, math.ceil(decision.params["retry_after"])))


async def _rate_limit(request: Request, decision: Decision) -> MessageResult:
    template = _rate_template(decision)
    error = _template_error(template)
    if decision.params["reply"] == "http_429" and request.info.transport == "http":
        body = request.replace(error) or b""
        return HttpStatus(
            template.http_status or 429,
            body,
            (*_JSON_HEADERS, ("Retry-After", _retry_after(decision))),
        )
    return request.replace(error)


def _rate_limit_item(item: Item, decision: Decision) -> ItemResult:
    template = _rate_template(decision)
    error = _template_error(template)
    # A provider refuses the whole HTTP request: the batch's answer becomes the 429.
    http_429 = decision.params["reply"] == "http_429" and item.conn.info.transport == "http"
    if http_429 and item.batch.refusal is None:
        item.batch.refusal = HttpStatus(
            template.http_status or 429,
            error_response(error, "null"),
            (*_JSON_HEADERS, ("Retry-After", _retry_after(decision))),
        )
    return error


# ----------------------------------------------------------------------- provider limits


def _block_number(value: object, head: int) -> int | None:
    if value is None or value in ("latest", "pending", "safe", "finalized"):
        return head
    if value == "earliest":
        return 0
    if isinstance(value, str) and value[:2] in ("0x", "0X"):
        try:
            return int(value[2:], 16)
        except ValueError:
            return None
    return None


def _logs_range(params: object, head: int) -> tuple[int, int] | None:
    """The block range an ``eth_getLogs`` call asks for, or ``None`` (a block hash, or
    arguments the node itself refuses)."""
    if not isinstance(params, list) or not params or not isinstance(params[0], dict):
        return None
    criteria = params[0]
    if criteria.get("blockHash") is not None:
        return None
    low = _block_number(criteria.get("fromBlock"), head)
    high = _block_number(criteria.get("toBlock"), head)
    if low is None or high is None or low > high:
        return None
    return low, high


def _count_results(reply: bytes | None) -> int | None:
    if reply is None:
        return None
    try:
        result = json.loads(reply).get("result")
    except (ValueError, AttributeError):
        return None
    return len(result) if isinstance(result, list) else None


def _provider_refusal(
    decision: Decision, params: object, head: int, run: Callable[[], bytes | None]
) -> tuple[RpcError | None, bytes | None]:
    """``(error, reply)``: the provider's refusal if the call passes its caps (else
    ``None``), and the real reply if the call had to run to count its results.

    ``either`` (Infura): refused past the block range (without running) or past the
    result count. ``both`` (Alchemy): served within the block range whatever the count,
    refused only when the range and the count are both past their caps (a cap that is not
    set counts as passed)."""
    settings = decision.params
    persona = PERSONAS[settings["provider"]]
    span = _logs_range(params, head)
    if span is None:
        return None, None
    low, high = span
    max_range: int | None = settings["max_block_range"] or persona.logs_block_range
    max_results: int | None = settings["max_results"] or persona.logs_result_cap
    over_range = max_range is not None and high - low + 1 > max_range
    range_template = persona.logs_range_template or persona.logs_results_template
    results_template = persona.logs_results_template or range_template
    if persona.logs_error_when == "either":
        if over_range:
            return _provider_error(range_template, low, high, max_range, max_results), None
    elif max_range is not None and not over_range:
        return None, None
    elif max_results is None:
        if over_range:
            return _provider_error(range_template, low, high, max_range, None), None
        return None, None
    if max_results is None:
        return None, None
    reply = run()
    count = _count_results(reply)
    if count is not None and count > max_results:
        return _provider_error(results_template, low, high, max_range, max_results), reply
    return None, reply


def _provider_error(
    name: str | None, low: int, high: int, max_range: int | None, max_results: int | None
) -> RpcError:
    template = TEMPLATES[name or "infura.limit_exceeded"]
    values: dict[str, object] = {
        "from_block": hex(low),
        "to_block": hex(high if max_range is None else min(high, low + max_range - 1)),
    }
    if max_results is not None:
        values["limit"] = max_results
    elif max_range is not None:
        values["limit"] = max_range
    return _template_error(template, **values)


async def _provider_limit(request: Request, decision: Decision) -> MessageResult | Declined:
    event = request.event
    error, reply = _provider_refusal(decision, event.params, event.block, request.run)
    if error is not None:
        return request.replace(error)
    return Declined(reply if reply is not None else request.run())


def _provider_limit_item(item: Item, decision: Decision) -> ItemResult | Declined:
    event = item.event
    error, reply = _provider_refusal(decision, event.params, event.block, item.run)
    if error is not None:
        return error
    return Declined(None if reply is None else RawResponse(reply.decode()))


# ----------------------------------------------------------------------- JSON-RPC: envelope


async def _malformed(request: Request, decision: Decision) -> MessageResult:
    form = decision.params["form"]
    http = request.info.transport == "http"
    if form == "html":
        return HttpStatus(200, _HTML_PAGE, _HTML_HEADERS) if http else _HTML_PAGE
    reply = request.run()
    if reply is None:
        return None
    if form == "truncated_json":
        return reply[: max(1, len(reply) // 2)]
    if form == "trailing_garbage":
        return reply + _TRAILING_GARBAGE
    if form == "empty":
        return HttpStatus(200, b"", _JSON_HEADERS) if http else b""
    return HttpStatus(200, reply, _HTML_HEADERS) if http else reply  # wrong_content_type


def _response_object(reply: bytes) -> dict[str, Any] | None:
    try:
        obj = json.loads(reply)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _violate(reply: bytes, violation: str) -> bytes:
    """The response ``reply`` rebuilt to break JSON-RPC 2.0 as ``violation`` says."""
    obj = _response_object(reply)
    if obj is None:
        return reply
    ident = obj.get("id")
    error = obj.get("error")
    if violation == "missing_jsonrpc":
        out = {
            "id": ident,
            **({"error": error} if error is not None else {"result": obj.get("result")}),
        }
    elif violation == "result_and_error":
        out = {
            "jsonrpc": "2.0",
            "id": ident,
            "result": obj.get("result"),
            "error": error if error is not None else {"code": -32603, "message": "internal error"},
        }
    elif violation == "error_string":
        message = error.get("message") if isinstance(error, dict) else "internal error"
        out = {"jsonrpc": "2.0", "id": ident, "error": message}
    else:  # no_result
        out = {"jsonrpc": "2.0", "id": ident}
    return _dumps(out).encode()


async def _spec_violation(request: Request, decision: Decision) -> MessageResult:
    reply = request.run()
    return None if reply is None else _violate(reply, decision.params["violation"])


def _spec_violation_item(item: Item, decision: Decision) -> ItemResult:
    reply = item.run()
    if reply is None:
        return DROP
    return RawResponse(_violate(reply, decision.params["violation"]).decode())


def _other_id(ident: Any, how: str) -> Any:
    if how == "null":
        return None
    if how == "retyped":
        if isinstance(ident, bool) or ident is None:
            return "null" if ident is None else str(ident).lower()
        if isinstance(ident, int | float):
            return str(ident)
        try:
            return int(ident)
        except ValueError:
            return 0
    if ident is None or isinstance(ident, bool):
        return 1
    if isinstance(ident, int | float):
        return ident + 1
    return f"{ident}-other"


def _reidentify(reply: bytes, how: str) -> bytes:
    obj = _response_object(reply)
    if obj is None:
        return reply
    out = {"jsonrpc": obj.get("jsonrpc"), "id": _other_id(obj.get("id"), how)}
    out.update((k, v) for k, v in obj.items() if k not in ("jsonrpc", "id"))
    return _dumps(out).encode()


async def _wrong_id(request: Request, decision: Decision) -> MessageResult:
    reply = request.run()
    return None if reply is None else _reidentify(reply, decision.params["id"])


def _wrong_id_item(item: Item, decision: Decision) -> ItemResult:
    reply = item.run()
    if reply is None:
        return DROP
    return RawResponse(_reidentify(reply, decision.params["id"]).decode())


async def _duplicate(request: Request, decision: Decision) -> MessageResult:
    reply = request.run()
    return None if reply is None else Frames((reply,) * decision.params["copies"])


def _duplicate_item(item: Item, decision: Decision) -> ItemResult:
    reply = item.run()
    if reply is None:
        return DROP
    return RawResponse(",".join([reply.decode()] * decision.params["copies"]))


async def _stray(request: Request, decision: Decision) -> MessageResult:
    reply = request.run()
    stray = _dumps({"jsonrpc": "2.0", "id": decision.params["id"], "error": _STRAY_ERROR}).encode()
    if reply is None:
        return stray
    before = decision.params["position"] == "before"
    return Frames((stray, reply) if before else (reply, stray))


async def _late(request: Request, decision: Decision) -> MessageResult:
    reply = request.run()
    return None if reply is None else Delayed(decision.params["seconds"], reply)


# ----------------------------------------------------------------------- batches


async def _batch_limit(request: Request, decision: Decision) -> MessageResult:
    shape = decision.params["shape"]
    if shape == "close":
        return CloseConnection()
    if shape == "erigon":
        error = _template_error(
            TEMPLATES["erigon.batch_limit"],
            limit=decision.params["limit"],
            size=request.event.batch_size,
        )
        return error_response(error, "null")
    first = request.call_ids[0] if request.call_ids else "null"
    return b"[" + error_response(RpcError(INVALID_REQUEST, "batch too large"), first) + b"]"


def _array_items(text: str) -> list[str] | None:
    """The raw texts of a JSON array's elements (kept byte for byte), or ``None``."""
    decoder = json.JSONDecoder()
    index = text.find("[")
    if index < 0:
        return None
    items: list[str] = []
    index += 1
    try:
        while True:
            while text[index] in " \t\r\n,":
                index += 1
            if text[index] == "]":
                return items
            _, end = decoder.raw_decode(text, index)
            items.append(text[index:end])
            index = end
    except (ValueError, IndexError):
        return None


async def _batch_reorder(request: Request, decision: Decision) -> MessageResult:
    reply = request.run()
    if reply is None:
        return None
    items = _array_items(reply.decode())
    if items is None:
        return reply
    if decision.params["order"] == "reverse":
        items.reverse()
    else:
        decision.rng().shuffle(items)
    return ("[" + ",".join(items) + "]").encode()


def _batch_missing(item: Item, decision: Decision) -> ItemResult:
    return DROP


MESSAGE_APPLIERS: Final[dict[str, Applier]] = {
    "delay": _delay,
    "hang": _hang,
    "close": _close,
    "reset": _reset,
    "dribble": _dribble,
    "truncate": _truncate,
    "http_status": _http_status,
    "garbage": _garbage,
    "ws_close": _ws_close,
    "error": _error_message,
    "malformed": _malformed,
    "spec_violation": _spec_violation,
    "wrong_id": _wrong_id,
    "duplicate_response": _duplicate,
    "stray_response": _stray,
    "late_response": _late,
    "out_of_order": _late,
    "batch_limit": _batch_limit,
    "batch_reorder": _batch_reorder,
    "rate_limit": _rate_limit,
    "provider_limit": _provider_limit,
}
"""Kind -> applier for a whole message (a single call or a whole batch)."""

ITEM_APPLIERS: Final[dict[str, ItemApplier]] = {
    "error": _error_item,
    "spec_violation": _spec_violation_item,
    "wrong_id": _wrong_id_item,
    "duplicate_response": _duplicate_item,
    "rate_limit": _rate_limit_item,
    "provider_limit": _provider_limit_item,
    "batch_missing": _batch_missing,
}
"""Kind -> applier for one call inside a batch."""
