"""The JSON-RPC faults of faults.md: what the envelope, ids, batches and limits do."""

from __future__ import annotations

from random import Random
from typing import Any, Final

from mocknode.faults.errors import FaultSpecError
from mocknode.faults.events import Event
from mocknode.faults.params import (
    REQUIRED,
    Choice,
    Int,
    Json,
    JsonId,
    Maybe,
    Number,
    Param,
    Text,
    seconds,
)
from mocknode.faults.personas import TEMPLATES
from mocknode.faults.spec import ALL, CALL, STREAMS, WHOLE, KindSpec, Params

__all__ = ["JSONRPC_KINDS"]


def _check_error(params: Params, path: str) -> None:
    if params["template"] is None and (params["code"] is None or params["message"] is None):
        raise FaultSpecError(path, "give a template, or both code and message")


def _resolve_out_of_order(
    params: Params, rng: Random, event: Event, matched: int
) -> dict[str, Any]:
    return {"seconds": rng.uniform(0.0, params["seconds"])}


JSONRPC_KINDS: Final[tuple[KindSpec, ...]] = (
    KindSpec(
        "error",
        "json-rpc",
        "message",
        ("request",),
        ALL,
        CALL,
        (
            Param("code", Maybe(Int()), None, "error code (overrides the template's)"),
            Param("message", Maybe(Text()), None, "error message (overrides the template's)"),
            Param("data", Maybe(Json()), None, "error data (overrides the template's)"),
            Param(
                "template",
                Maybe(Choice(tuple(TEMPLATES))),
                None,
                "a provider's error, `provider.name` (see the templates table)",
            ),
        ),
        "a JSON-RPC error object instead of the result (the call does not run)",
        "`-32000 header not found`, `-32005 limit exceeded`, `-32002 request timed out`",
        check=_check_error,
    ),
    KindSpec(
        "malformed",
        "json-rpc",
        "message",
        ("request",),
        ALL,
        WHOLE,
        (
            Param(
                "form",
                Choice(
                    ("truncated_json", "trailing_garbage", "html", "wrong_content_type", "empty")
                ),
                "truncated_json",
                "how the body is broken",
            ),
        ),
        "a reply body that is not the JSON-RPC reply",
        "gateways and proxies answering with HTML, cut or mislabelled bodies",
    ),
    KindSpec(
        "spec_violation",
        "json-rpc",
        "message",
        ("request",),
        ALL,
        CALL,
        (
            Param(
                "violation",
                Choice(("missing_jsonrpc", "result_and_error", "error_string", "no_result")),
                "missing_jsonrpc",
                "which rule of JSON-RPC 2.0 the reply breaks",
            ),
        ),
        "a reply that breaks the JSON-RPC 2.0 response rules",
        "`BadResponseFormat` paths in clients",
    ),
    KindSpec(
        "wrong_id",
        "json-rpc",
        "message",
        ("request",),
        ALL,
        CALL,
        (
            Param(
                "id",
                Choice(("other", "null", "retyped")),
                "other",
                'another id, null, or the same id as the other JSON type (1 <-> "1")',
            ),
        ),
        "the reply carries the wrong id",
        "id-matching bugs",
    ),
    KindSpec(
        "duplicate_response",
        "json-rpc",
        "message",
        ("request",),
        ALL,
        CALL,
        (Param("copies", Int(2, 10), 2, "how many times the reply is sent"),),
        "the same reply more than once (HTTP: concatenated in one body)",
        "duplicate deliveries from retrying proxies",
    ),
    KindSpec(
        "stray_response",
        "json-rpc",
        "message",
        ("request",),
        STREAMS,
        ("single",),
        (
            Param("id", JsonId(), None, "the stray message's id"),
            Param(
                "position",
                Choice(("before", "after")),
                "before",
                "sent before or after the real reply",
            ),
        ),
        "an extra error response with an id nobody asked for",
        "stray-error handling in WS/IPC clients",
    ),
    KindSpec(
        "late_response",
        "json-rpc",
        "message",
        ("request",),
        STREAMS,
        ("single",),
        (Param("seconds", seconds(positive=True), 60.0, "how late the reply comes"),),
        "the reply comes after the client has given up on it",
        "late replies arriving after a client timeout and retry",
    ),
    KindSpec(
        "out_of_order",
        "json-rpc",
        "message",
        ("request",),
        STREAMS,
        ("single",),
        (Param("seconds", seconds(positive=True), 0.05, "longest hold (seeded per reply)"),),
        "the reply is held a seeded time, so later replies overtake it",
        "pipelining correctness",
        resolve=_resolve_out_of_order,
    ),
    KindSpec(
        "batch_limit",
        "json-rpc",
        "message",
        ("request",),
        ALL,
        ("batch",),
        (
            Param("limit", Int(1), REQUIRED, "largest batch accepted"),
            Param(
                "shape",
                Choice(("geth", "erigon", "close")),
                "geth",
                "geth's one-element array, erigon's single object, or a dropped connection",
            ),
        ),
        "a batch longer than the limit is refused as that node refuses it",
        "clients that batch more than a provider accepts",
        applies=lambda params, event: event.batch_size > params["limit"],
    ),
    KindSpec(
        "batch_missing",
        "json-rpc",
        "batch_item",
        ("request",),
        ALL,
        ("item",),
        (),
        "this item's reply is left out of the batch reply",
        "short batches that clients pair by position",
    ),
    KindSpec(
        "batch_reorder",
        "json-rpc",
        "message",
        ("request",),
        ALL,
        ("batch",),
        (
            Param(
                "order",
                Choice(("reverse", "shuffle")),
                "reverse",
                "reversed, or a seeded shuffle",
            ),
        ),
        "the batch's replies come in another order",
        "clients that assume batch replies in request order",
    ),
    KindSpec(
        "rate_limit",
        "json-rpc",
        "message",
        ("request",),
        ALL,
        CALL,
        (
            Param("rate", Number(gt=0.0, le=1_000_000.0), REQUIRED, "requests per second"),
            Param("burst", Int(1, 1_000_000), 1, "bucket size"),
            Param(
                "per",
                Choice(("method", "connection", "node")),
                "node",
                "one bucket per method, per connection, or for the node",
            ),
            Param(
                "reply",
                Choice(("http_429", "json_rpc", "batch_item")),
                "http_429",
                "HTTP 429 with Retry-After, -32005 in a 200, or a `{code: 429}` item",
            ),
            Param(
                "template",
                Maybe(Choice(tuple(TEMPLATES))),
                None,
                "the error to send (absent: Infura's, or Alchemy's for batch_item)",
            ),
        ),
        "calls past a token bucket are refused as a provider refuses them",
        "provider rate limits",
    ),
    KindSpec(
        "provider_limit",
        "json-rpc",
        "message",
        ("request",),
        ALL,
        CALL,
        (
            Param("provider", Choice(("infura", "alchemy")), "infura", "whose limits and text"),
            Param("max_block_range", Maybe(Int(1)), None, "blocks (absent: the provider's)"),
            Param("max_results", Maybe(Int(1)), None, "logs (absent: the provider's)"),
        ),
        "`eth_getLogs` past the caps is refused with the provider's exact code and message",
        "indexers that never chunk their `eth_getLogs` queries",
        methods=("eth_getLogs",),
    ),
)
