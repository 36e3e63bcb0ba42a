"""The catalogue: every fault kind mocknode knows, as data.

One :class:`KindSpec` per row of the three tables in ``shared/design/faults.md`` (transport,
JSON-RPC, chain): its parameters with types and defaults, the transports it applies to, the
layer that applies it, the point at which the engine decides it, and the real incident it
models. Validation (:func:`parse_params`), the engine's filters and the reference table in
``docs/faults.md`` (:func:`reference_table`, checked by ``tests/faults``) all read this one
table, so a kind cannot be documented one way and behave another.

Layers (who applies the decision; the wiring of each lives outside this package's pure core):

* ``accept``: the connection hooks (``on_accept``, the WebSocket upgrade, the IPC listener);
* ``stream``: the bytes of one reply or of the connection (dribble, truncation, garbage...);
* ``message``: the session, which answers with something other than the normal reply;
* ``batch_item``: the batch hook, per item of a batch;
* ``notification``: the hook between the chain's events and a connection's subscriptions;
* ``chain``: the chain's own operations (reorg, drop, delay, stale reads), never by corrupting
  state or caches other clients share.

Kinds that only make sense for some methods declare them (``methods``): a ``pool_error`` rule
is only consulted for ``eth_sendTransaction``/``eth_sendRawTransaction``, so its triggers
count only those calls. Kinds whose parameters filter the event (a notification's
subscription kind, a transaction's hash or sender, a batch longer than a limit) declare
``applies``; an event they do not apply to is not counted either.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from random import Random
from types import MappingProxyType
from typing import Any, Final, Literal

from mocknode.faults.errors import FaultSpecError, join_path, show
from mocknode.faults.events import TRANSPORTS, Event, Point, Scope, Transport
from mocknode.faults.params import (
    REQUIRED,
    Boolean,
    Choice,
    Distribution,
    Hex,
    Int,
    IntList,
    Json,
    JsonId,
    Maybe,
    Number,
    Param,
    Text,
    headers,
    seconds,
)
from mocknode.faults.personas import PERSONAS, TEMPLATES

__all__ = [
    "CATALOGUE",
    "KINDS",
    "KindSpec",
    "Layer",
    "Table",
    "parse_params",
    "reference_table",
    "sample_seconds",
    "spec_for",
    "templates_table",
]

Layer = Literal["accept", "stream", "message", "batch_item", "notification", "chain"]
Table = Literal["transport", "json-rpc", "chain"]
Params = Mapping[str, Any]
Resolve = Callable[[Params, Random, Event, int], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class KindSpec:
    """One fault kind. ``transports == ()`` means not tied to a connection (chain events);
    ``scopes`` are the request scopes it can act at (``()`` for other points)."""

    name: str
    table: Table
    layer: Layer
    points: tuple[Point, ...]
    transports: tuple[Transport, ...]
    scopes: tuple[Scope, ...]
    params: tuple[Param, ...]
    summary: str
    incident: str
    methods: tuple[str, ...] | None = None
    check: Callable[[Params, str], None] | None = None
    point_of: Callable[[Params], Point] | None = None
    applies: Callable[[Params, Event], bool] | None = None
    resolve: Resolve | None = None

    def point(self, params: Params) -> Point:
        """Where a rule with these (valid) parameters is decided."""
        return self.point_of(params) if self.point_of is not None else self.points[0]

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(name)


def sample_seconds(value: Any, rng: Random) -> float:
    """A ``Distribution`` parameter's seconds for one decision (fixed, uniform, lognormal),
    capped at a day like fixed values."""
    if isinstance(value, float):
        return value
    if "uniform" in value:
        low, high = value["uniform"]
        return rng.uniform(low, high)
    mu, sigma = value["lognormal"]
    return min(rng.lognormvariate(mu, sigma), 86_400.0)


# ----------------------------------------------------------------------- shared pieces

ALL: Final[tuple[Transport, ...]] = TRANSPORTS
STREAMS: Final[tuple[Transport, ...]] = ("ws", "ipc")
WHOLE: Final[tuple[Scope, ...]] = ("single", "batch")
CALL: Final[tuple[Scope, ...]] = ("single", "item")
NONE_SCOPE: Final[tuple[Scope, ...]] = ()

SUBSCRIPTION_KINDS: Final = ("newHeads", "logs", "newPendingTransactions", "syncing")
SEND_METHODS: Final = ("eth_sendTransaction", "eth_sendRawTransaction")
READ_METHODS: Final = (
    "eth_blockNumber",
    "eth_getBlockByNumber",
    "eth_getBlockByHash",
    "eth_getBlockTransactionCountByNumber",
    "eth_getBlockReceipts",
    "eth_getLogs",
    "eth_call",
    "eth_estimateGas",
    "eth_getBalance",
    "eth_getTransactionCount",
    "eth_getCode",
    "eth_getStorageAt",
    "eth_getProof",
    "eth_feeHistory",
)
STATE_METHODS: Final = (
    "eth_getBalance",
    "eth_getTransactionCount",
    "eth_getCode",
    "eth_getStorageAt",
    "eth_call",
    "eth_estimateGas",
    "eth_getProof",
    "eth_createAccessList",
)
FILTER_METHODS: Final = ("eth_getFilterChanges", "eth_getFilterLogs", "eth_uninstallFilter")
INDEX_METHODS: Final = (
    "eth_getTransactionReceipt",
    "eth_getTransactionByHash",
    "eth_getBlockReceipts",
    "eth_getLogs",
    "eth_getFilterLogs",
    "eth_getFilterChanges",
)
POOL_REASONS: Final = tuple(
    name.removeprefix("geth.")
    for name in (
        "geth.nonce_too_low",
        "geth.nonce_too_high",
        "geth.already_known",
        "geth.replacement_underpriced",
        "geth.insufficient_funds",
        "geth.intrinsic_gas_too_low",
        "geth.fee_cap_too_low",
        "geth.underpriced",
        "geth.gas_limit",
        "geth.txpool_full",
    )
)
# RFC 6455 7.4: codes an endpoint may send (1004-1006 and 1015 are reserved; 1006 here means
# "drop the TCP connection without a close frame", which is what a client then reports).
_SENDABLE_CLOSE: Final = frozenset((1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011))
_EXTRA_CLOSE: Final = frozenset((1006, 1012, 1013, 1014))


def _subscription() -> Param:
    return Param(
        "subscription",
        Maybe(Choice(SUBSCRIPTION_KINDS)),
        None,
        "the subscription kind it acts on (absent: every kind)",
    )


def _tx_filters() -> tuple[Param, ...]:
    return (
        Param("hash", Maybe(Hex(32, "a transaction hash")), None, "only this transaction"),
        Param("sender", Maybe(Hex(20, "an address")), None, "only transactions from this sender"),
    )


def _applies_subscription(params: Params, event: Event) -> bool:
    wanted = params["subscription"]
    return wanted is None or wanted == event.subscription


def _applies_tx(params: Params, event: Event) -> bool:
    return (params["hash"] is None or params["hash"] == event.tx_hash) and (
        params["sender"] is None or params["sender"] == event.sender
    )


def _resolve_seconds(params: Params, rng: Random, event: Event, matched: int) -> dict[str, Any]:
    return {"seconds": sample_seconds(params["seconds"], rng)}


def _resolve_out_of_order(
    params: Params, rng: Random, event: Event, matched: int
) -> dict[str, Any]:
    return {"seconds": rng.uniform(0.0, params["seconds"])}


def _resolve_stale(params: Params, rng: Random, event: Event, matched: int) -> dict[str, Any]:
    return {"lag": params["blocks"] + rng.randint(0, params["jitter"])}


def _resolve_replica(params: Params, rng: Random, event: Event, matched: int) -> dict[str, Any]:
    lags = params["lags"]
    policy = params["policy"]
    if policy == "round_robin":
        index = (matched - 1) % len(lags)
    elif policy == "random":
        index = rng.randrange(len(lags))
    else:  # sticky: a connection always reads from the same replica
        index = (max(event.connection, 1) - 1) % len(lags)
    return {"replica": index, "lag": lags[index]}


def _check_reset(params: Params, path: str) -> None:
    if params["after_bytes"] and params["at"] != "response":
        raise FaultSpecError(
            join_path(path, "after_bytes"), 'only meaningful with "at": "response"'
        )


def _check_dribble(params: Params, path: str) -> None:
    rate = params["bytes_per_second"] is not None
    chunked = params["chunks"] is not None or params["seconds"] is not None
    if rate == chunked or (chunked and (params["chunks"] is None or params["seconds"] is None)):
        raise FaultSpecError(path, "give either bytes_per_second, or chunks and seconds")


def _check_ws_close(params: Params, path: str) -> None:
    code = params["code"]
    if code not in _SENDABLE_CLOSE and code not in _EXTRA_CLOSE and not 3000 <= code <= 4999:
        raise FaultSpecError(
            join_path(path, "code"),
            f"{code} is not a close code a server may send "
            "(1000-1003, 1006 for no close frame, 1007-1014, 3000-4999)",
        )
    if params["after_messages"] is not None and params["after_seconds"] is not None:
        raise FaultSpecError(path, "give after_messages or after_seconds, not both")


def _check_error(params: Params, path: str) -> None:
    if params["template"] is None and (params["code"] is None or params["message"] is None):
        raise FaultSpecError(path, "give a template, or both code and message")


def _check_delay_tx(params: Params, path: str) -> None:
    if params["blocks"] is not None and params["seconds"] is not None:
        raise FaultSpecError(path, "give blocks or seconds (or neither: never), not both")


def _point_of_reset(params: Params) -> Point:
    return "accept" if params["at"] == "connect" else "request"


# ----------------------------------------------------------------------- the kinds

_KIND_LIST: Final[tuple[KindSpec, ...]] = (
    # ------------------------------------------------------------------ transport
    KindSpec(
        "refuse",
        "transport",
        "accept",
        ("accept",),
        ALL,
        NONE_SCOPE,
        (
            Param(
                "seconds",
                Maybe(seconds(positive=True)),
                None,
                "how long the node then stays down: every new connection in that window is "
                "refused as well, without consulting the rules (absent: this connection only)",
            ),
        ),
        "the new connection is reset before anything is read; for `seconds`, so is every later one",
        "node down or restarting: client start-up and reconnect loops",
    ),
    KindSpec(
        "reset",
        "transport",
        "stream",
        ("request", "accept"),
        ALL,
        WHOLE,
        (
            Param(
                "at",
                Choice(("connect", "request", "response")),
                "request",
                "when: on accept, on the request (before it runs), or in the response (after "
                "it ran)",
            ),
            Param(
                "after_bytes",
                Int(0),
                0,
                'bytes of the response written before the reset (with "at": "response")',
            ),
        ),
        "TCP RST (SO_LINGER 0): the client reads ECONNRESET",
        "`ECONNRESET`, `Connection reset by peer` from load balancers and crashed nodes",
        check=_check_reset,
        point_of=_point_of_reset,
    ),
    KindSpec(
        "close",
        "transport",
        "message",
        ("request",),
        ALL,
        WHOLE,
        (),
        "the connection is closed without a reply",
        "`RemoteDisconnected`, empty reply from a proxy or a restarting node",
    ),
    KindSpec(
        "hang",
        "transport",
        "message",
        ("request",),
        ALL,
        WHOLE,
        (
            Param(
                "seconds",
                Maybe(seconds(positive=True)),
                None,
                "how long nothing is sent (absent: until the client goes away)",
            ),
        ),
        "no reply; HTTP closes the connection when the hang ends, WS/IPC keep serving other "
        "requests",
        "client timeouts (web3.py 30 s, viem 10 s, ethers 300 s)",
    ),
    KindSpec(
        "delay",
        "transport",
        "message",
        ("request",),
        ALL,
        WHOLE,
        (
            Param("seconds", Distribution(), REQUIRED, "latency added, fixed or drawn"),
            Param(
                "direction",
                Choice(("request", "response")),
                "response",
                "delay the request before it runs, or the response after it ran",
            ),
        ),
        "the reply arrives late (WS/IPC replies may overtake each other)",
        "a slow provider or a congested path",
        resolve=_resolve_seconds,
    ),
    KindSpec(
        "dribble",
        "transport",
        "stream",
        ("request",),
        ALL,
        WHOLE,
        (
            Param("bytes_per_second", Maybe(Number(ge=1.0)), None, "bandwidth"),
            Param("chunks", Maybe(Int(1, 65_536)), None, "number of chunks (with seconds)"),
            Param("seconds", Maybe(seconds(positive=True)), None, "total time (with chunks)"),
        ),
        "the reply is written slowly, in pieces",
        "stream read deadlines over slow links",
        check=_check_dribble,
    ),
    KindSpec(
        "truncate",
        "transport",
        "stream",
        ("request",),
        ALL,
        WHOLE,
        (Param("after_bytes", Int(0), REQUIRED, "bytes of the framed reply written"),),
        "the reply stops after N bytes and the connection closes",
        "partial JSON from a dying proxy",
    ),
    KindSpec(
        "http_status",
        "transport",
        "message",
        ("request",),
        ("http",),
        WHOLE,
        (
            Param("status", Int(200, 599), REQUIRED, "HTTP status code"),
            Param("headers", headers(), MappingProxyType({}), "extra header fields"),
            Param("body", Text(1_048_576), "", "response body"),
            Param("keep_alive", Boolean(), True, "keep the connection open afterwards"),
        ),
        "that status line, headers and body instead of the JSON-RPC reply",
        "rate limits (429 with `Retry-After`), 403, 408, 413, gateway 500/502 (HTML)/503/504",
    ),
    KindSpec(
        "garbage",
        "transport",
        "stream",
        ("request",),
        ALL,
        WHOLE,
        (Param("length", Int(1, 1_048_576), 64, "bytes of seeded random data"),),
        "seeded random bytes instead of the reply, then the connection closes",
        "non-JSON replies from misbehaving middleboxes",
    ),
    KindSpec(
        "ws_reject",
        "transport",
        "accept",
        ("accept",),
        ("ws",),
        NONE_SCOPE,
        (Param("status", Int(300, 599), 503, "HTTP status of the refused upgrade"),),
        "the WebSocket upgrade is answered with an HTTP error",
        "connect retry paths when a provider refuses WebSocket upgrades",
    ),
    KindSpec(
        "ws_close",
        "transport",
        "stream",
        ("request",),
        ("ws",),
        WHOLE,
        (
            Param("code", Int(1000, 4999), 1000, "close code (1006: drop TCP, no close frame)"),
            Param("reason", Text(123), "", "close reason"),
            Param(
                "after_messages",
                Maybe(Int(0)),
                None,
                "close after this many more messages are sent",
            ),
            Param(
                "after_seconds",
                Maybe(seconds()),
                None,
                "close this long after the matching request",
            ),
        ),
        "the server closes the WebSocket with that code",
        "provider idle disconnects and keepalive timeouts (1001, 1006, 1008, 1011, 1013)",
        check=_check_ws_close,
    ),
    KindSpec(
        "drop_notification",
        "transport",
        "notification",
        ("notification",),
        STREAMS,
        NONE_SCOPE,
        (_subscription(),),
        "the notification is never sent",
        "missed events",
        applies=_applies_subscription,
    ),
    KindSpec(
        "duplicate_notification",
        "transport",
        "notification",
        ("notification",),
        STREAMS,
        NONE_SCOPE,
        (_subscription(), Param("copies", Int(2, 10), 2, "how many times it is sent")),
        "the notification is sent more than once",
        "duplicated events after provider failover",
        applies=_applies_subscription,
    ),
    KindSpec(
        "delay_notification",
        "transport",
        "notification",
        ("notification",),
        STREAMS,
        NONE_SCOPE,
        (_subscription(), Param("seconds", Distribution(), REQUIRED, "how late it is sent")),
        "the notification is sent late (later ones may overtake it)",
        "events arriving after the client already read the block",
        applies=_applies_subscription,
        resolve=_resolve_seconds,
    ),
    KindSpec(
        "reorder_notifications",
        "transport",
        "notification",
        ("notification",),
        STREAMS,
        NONE_SCOPE,
        (
            _subscription(),
            Param(
                "count",
                Int(2, 100),
                2,
                "this notification and the next ones on the connection, held and sent in "
                "reverse order",
            ),
        ),
        "notifications arrive in reverse order",
        "out-of-order events from load-balanced subscription servers",
        applies=_applies_subscription,
    ),
    KindSpec(
        "zombie_subscription",
        "transport",
        "notification",
        ("notification",),
        STREAMS,
        NONE_SCOPE,
        (_subscription(),),
        "from this notification on, the subscription never notifies again; the socket stays "
        "open and keeps answering",
        "silent stalls: a subscription that died on the server",
        applies=_applies_subscription,
    ),
    KindSpec(
        "ipc_split",
        "transport",
        "stream",
        ("request",),
        ("ipc",),
        WHOLE,
        (
            Param("max_chunk", Int(1, 65_536), 16, "largest piece, in bytes (sizes are seeded)"),
            Param("seconds", seconds(), 0.01, "pause between pieces"),
        ),
        "the reply is written in seeded random pieces with pauses",
        "partial reads on a unix socket",
    ),
    KindSpec(
        "ipc_framing",
        "transport",
        "stream",
        ("request",),
        ("ipc",),
        WHOLE,
        (
            Param(
                "form",
                Choice(("no_newline", "coalesce")),
                "no_newline",
                "drop the trailing newline, or write this reply and the next in one write",
            ),
        ),
        "the IPC framing deviates from one JSON value per line",
        "IPC parser robustness (clients that split on newlines)",
    ),
    KindSpec(
        "ipc_eof",
        "transport",
        "stream",
        ("request",),
        ("ipc",),
        WHOLE,
        (Param("after_bytes", Int(0), 0, "bytes of the reply written before EOF"),),
        "the socket reaches EOF in the middle of the reply",
        "broken pipe when the node exits mid-write",
    ),
    KindSpec(
        "ipc_recreate",
        "transport",
        "accept",
        ("request",),
        ("ipc",),
        WHOLE,
        (Param("seconds", seconds(), 1.0, "downtime before the socket file comes back"),),
        "every IPC connection closes, the socket file is removed and recreated after the downtime",
        "node restarts under a client holding an IPC connection",
    ),
    # ------------------------------------------------------------------ JSON-RPC
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
    # ------------------------------------------------------------------ chain
    KindSpec(
        "reorg",
        "chain",
        "chain",
        ("block",),
        (),
        NONE_SCOPE,
        (
            Param("depth", Int(1, 64), 1, "blocks replaced"),
            Param(
                "transactions",
                Choice(("pool", "reinclude", "drop")),
                "pool",
                "the replaced blocks' transactions go back to the pool, are mined again in the "
                "new blocks, or vanish",
            ),
        ),
        "the head is replaced: `removed: true` logs to subscriptions and filters, new heads",
        "reorg handling in indexers and bots",
    ),
    KindSpec(
        "drop_tx",
        "chain",
        "chain",
        ("tx",),
        (),
        NONE_SCOPE,
        _tx_filters(),
        "the transaction is accepted, then silently leaves the pool",
        "`wait()` that never returns",
        applies=_applies_tx,
    ),
    KindSpec(
        "replace_tx",
        "chain",
        "chain",
        ("tx",),
        (),
        NONE_SCOPE,
        (
            *_tx_filters(),
            Param("fee_bump", Int(10, 1000), 10, "percent added to both fees"),
        ),
        "a third party's transaction with the same sender and nonce and higher fees replaces it",
        "replacement detection (speed-ups, cancellations)",
        applies=_applies_tx,
    ),
    KindSpec(
        "delay_tx",
        "chain",
        "chain",
        ("tx",),
        (),
        NONE_SCOPE,
        (
            *_tx_filters(),
            Param("blocks", Maybe(Int(1, 10_000)), None, "mined only after this many blocks"),
            Param("seconds", Maybe(seconds(positive=True)), None, "mined only after this long"),
        ),
        "the transaction stays pending (neither given: never mined)",
        "receipt timeouts",
        check=_check_delay_tx,
        applies=_applies_tx,
    ),
    KindSpec(
        "stale_head",
        "chain",
        "chain",
        ("request",),
        ALL,
        CALL,
        (
            Param("blocks", Int(1, 1_000), 1, "how far behind the head reads are served"),
            Param("jitter", Int(0, 1_000), 0, "extra seeded lag, 0..jitter blocks per read"),
        ),
        "reads answered from a head k blocks back (non-monotonic `eth_blockNumber` with jitter)",
        "load-balanced replicas: `header not found`, empty `eth_getLogs`",
        methods=READ_METHODS,
        resolve=_resolve_stale,
    ),
    KindSpec(
        "replicas",
        "chain",
        "chain",
        ("request",),
        ALL,
        CALL,
        (
            Param(
                "lags",
                IntList(Int(0, 1_000), 1, 16),
                (0, 2),
                "one entry per replica: how many blocks it lags",
            ),
            Param(
                "policy",
                Choice(("round_robin", "random", "sticky")),
                "round_robin",
                "which replica serves a call (sticky: by connection)",
            ),
        ),
        "each call is served by one of N replicas with its own lag and its own filters",
        "`filter not found`, nonce flip-flop behind a load balancer",
        resolve=_resolve_replica,
    ),
    KindSpec(
        "pruned_state",
        "chain",
        "chain",
        ("request",),
        ALL,
        CALL,
        (Param("blocks", Int(0, 1_000_000), 128, "recent states kept"),),
        "state older than K blocks answers `missing trie node`",
        "non-archive nodes",
        methods=STATE_METHODS,
    ),
    KindSpec(
        "filter_expiry",
        "chain",
        "chain",
        ("request",),
        ALL,
        CALL,
        (Param("seconds", seconds(positive=True), 300.0, "idle time before a filter expires"),),
        "a filter idle that long is gone: `filter not found`",
        "filter timeouts (geth 5 min, Infura 15 min)",
        methods=FILTER_METHODS,
    ),
    KindSpec(
        "index_lag",
        "chain",
        "chain",
        ("request",),
        ALL,
        CALL,
        (Param("blocks", Int(1, 1_000), 1, "blocks before receipts and logs are visible"),),
        "receipts and logs appear k blocks after their block",
        "`TransactionNotFound` right after inclusion",
        methods=INDEX_METHODS,
    ),
    KindSpec(
        "pool_error",
        "chain",
        "chain",
        ("request",),
        ALL,
        CALL,
        (
            Param(
                "reason",
                Choice(POOL_REASONS),
                "nonce_too_low",
                "which of geth's pool errors (the `geth.` templates)",
            ),
        ),
        "the transaction is refused with geth's pool error (it never enters the pool)",
        "error classification by message",
        methods=SEND_METHODS,
    ),
)

CATALOGUE: Final[Mapping[str, KindSpec]] = MappingProxyType({k.name: k for k in _KIND_LIST})
KINDS: Final[tuple[str, ...]] = tuple(CATALOGUE)


# ----------------------------------------------------------------------- validation


def spec_for(kind: object, path: str = "kind") -> KindSpec:
    """The kind's spec; an unknown kind raises :class:`FaultSpecError` with a suggestion."""
    if not isinstance(kind, str):
        raise FaultSpecError(path, f"expected a fault kind (a string), got {show(kind)}")
    spec = CATALOGUE.get(kind)
    if spec is None:
        close = difflib.get_close_matches(kind, KINDS, n=1)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        raise FaultSpecError(
            path, f"unknown fault kind {show(kind)}{hint} (the kinds are listed in docs/faults.md)"
        )
    return spec


def parse_params(spec: KindSpec, raw: Mapping[str, object], path: str = "") -> Params:
    """Validated parameters with defaults filled in, as an immutable mapping in the
    catalogue's order. Unknown names, wrong types, out-of-range values and inconsistent
    combinations raise :class:`FaultSpecError` naming the field."""
    known = {param.name for param in spec.params}
    for name in raw:
        if name not in known:
            allowed = ", ".join(sorted(known)) if known else "none"
            raise FaultSpecError(
                join_path(path, str(name)),
                f"unknown parameter of {spec.name} (its parameters: {allowed})",
            )
    values: dict[str, Any] = {}
    for param in spec.params:
        where = join_path(path, param.name)
        if param.name in raw and raw[param.name] is not None:
            values[param.name] = param.type.parse(raw[param.name], where)
        elif param.required:
            raise FaultSpecError(where, f"required by {spec.name}")
        else:
            values[param.name] = param.default
    frozen = MappingProxyType(values)
    if spec.check is not None:
        spec.check(frozen, path)
    return frozen


# ----------------------------------------------------------------------- reference tables

_TABLE_TITLES: Final = {
    "transport": "Transport faults",
    "json-rpc": "JSON-RPC faults",
    "chain": "Chain faults",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def reference_table() -> str:
    """The kinds as the Markdown tables of ``docs/faults.md`` (one per faults.md table)."""
    out: list[str] = []
    for table, title in _TABLE_TITLES.items():
        out += [
            f"### {title}",
            "",
            "| kind | parameters | transports | layer · decided at | what the client sees "
            "| real incident it models |",
            "|---|---|---|---|---|---|",
        ]
        for spec in _KIND_LIST:
            if spec.table != table:
                continue
            params = "<br>".join(_cell(p.describe()) for p in spec.params) or "—"
            transports = ", ".join(spec.transports) if spec.transports else "— (chain)"
            points = " / ".join(spec.points)
            if spec.methods is not None:
                points += "<br>only " + ", ".join(f"`{m}`" for m in spec.methods)
            out.append(
                f"| `{spec.name}` | {params} | {transports} | {spec.layer} · {points} "
                f"| {_cell(spec.summary)} | {_cell(spec.incident)} |"
            )
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def templates_table() -> str:
    """The provider error templates and persona limits as Markdown."""
    out = [
        "| template | code | message | HTTP status | source |",
        "|---|---|---|---|---|",
    ]
    for template in TEMPLATES.values():
        status = str(template.http_status) if template.http_status is not None else "200"
        out.append(
            f"| `{template.name}` | {template.code} | `{_cell(template.message)}` | {status} "
            f"| {_cell(template.source)} |"
        )
    out += [
        "",
        "| persona | batch limit | batch shape | WS batch limit | `eth_getLogs` block range "
        "| `eth_getLogs` results | refused when | rate (req/s) · burst | filter timeout (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def num(value: float | None) -> str:
        if value is None:
            return "—"
        return str(int(value)) if float(value).is_integer() else str(value)

    when = {"either": "either cap passed", "both": "both caps passed"}
    for persona in PERSONAS.values():
        rate = f"{num(persona.rate)} · {num(persona.burst)}" if persona.rate else "—"
        out.append(
            f"| `{persona.name}` | {num(persona.batch_limit)} | {persona.batch_shape} "
            f"| {num(persona.ws_batch_limit)} | {num(persona.logs_block_range)} "
            f"| {num(persona.logs_result_cap)} | {when[persona.logs_error_when]} | {rate} "
            f"| {num(persona.filter_timeout)} |"
        )
    return "\n".join(out) + "\n"
