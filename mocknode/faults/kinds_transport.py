"""The transport faults of faults.md: what the socket and the stream do to a client."""

from __future__ import annotations

from random import Random
from types import MappingProxyType
from typing import Any, Final

from mocknode.faults.errors import FaultSpecError, join_path
from mocknode.faults.events import Event, Point
from mocknode.faults.params import (
    REQUIRED,
    Boolean,
    Choice,
    Distribution,
    Int,
    Maybe,
    Number,
    Param,
    Text,
    headers,
    seconds,
)
from mocknode.faults.spec import ALL, NONE_SCOPE, STREAMS, WHOLE, KindSpec, Params, sample_seconds

__all__ = ["SUBSCRIPTION_KINDS", "TRANSPORT_KINDS"]

SUBSCRIPTION_KINDS: Final = (
    "newHeads",
    "logs",
    "newPendingTransactions",
    "transactionReceipts",
    "syncing",
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


def _applies_subscription(params: Params, event: Event) -> bool:
    wanted = params["subscription"]
    return wanted is None or wanted == event.subscription


def _resolve_seconds(params: Params, rng: Random, event: Event, matched: int) -> dict[str, Any]:
    return {"seconds": sample_seconds(params["seconds"], rng)}


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


def _point_of_reset(params: Params) -> Point:
    return "accept" if params["at"] == "connect" else "request"


TRANSPORT_KINDS: Final[tuple[KindSpec, ...]] = (
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
)
