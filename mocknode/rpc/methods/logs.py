"""Logs, polling filters and subscriptions."""

from __future__ import annotations

import json
from typing import Any, Final

from mocknode.chain.logs.query import LogEntry, LogFilter, query_logs
from mocknode.rpc import params, render
from mocknode.rpc.context import Context
from mocknode.rpc.errors import INVALID_PARAMS, METHOD_NOT_FOUND, SERVER_ERROR, RpcError
from mocknode.rpc.registry import Param, decode_args, method, optional


@method("eth_getLogs", params.log_filter, result=render.log_entries_json)
def eth_getLogs(ctx: Context, criteria: LogFilter) -> list[LogEntry]:
    return query_logs(ctx.chain, criteria)


@method("eth_newFilter", params.log_filter)
def eth_newFilter(ctx: Context, criteria: LogFilter) -> str:
    return ctx.filters.install("logs", criteria)


@method("eth_newBlockFilter")
def eth_newBlockFilter(ctx: Context) -> str:
    return ctx.filters.install("blocks")


@method("eth_newPendingTransactionFilter", optional(params.boolean, False))
def eth_newPendingTransactionFilter(ctx: Context, full: bool) -> str:
    return ctx.filters.install("pending")


@method("eth_getFilterChanges", params.rpc_id)
def eth_getFilterChanges(ctx: Context, filter_id: str) -> list[Any]:
    changes = ctx.filters.changes(filter_id)
    return [
        render.log_entry_json(item) if isinstance(item, LogEntry) else render.hex_data(item)
        for item in changes
    ]


@method("eth_getFilterLogs", params.rpc_id, result=render.log_entries_json)
def eth_getFilterLogs(ctx: Context, filter_id: str) -> list[LogEntry]:
    return ctx.filters.logs(filter_id)


@method("eth_uninstallFilter", params.rpc_id)
def eth_uninstallFilter(ctx: Context, filter_id: str) -> bool:
    return ctx.filters.uninstall(filter_id)


# geth's subscription callbacks in the eth namespace, by name, with their arguments.
_SUBSCRIPTIONS: Final[dict[str, tuple[Param, ...]]] = {
    "newHeads": (),
    "logs": (Param(params.log_filter),),
    "newPendingTransactions": (optional(params.boolean, False),),
    "syncing": (),
    "transactionReceipts": (optional(params.receipts_query, ()),),
}
_NAME: Final = Param(params.rpc_id)


@method("eth_subscribe", raw=True)
def eth_subscribe(ctx: Context, args: list[Any] | dict[str, Any] | None) -> str:
    """geth's handleSubscribe, in its order: the transport, the name, the name's own
    arguments (so ``too many arguments, want at most N`` counts the name)."""
    subs = ctx.subscriptions
    if subs is None:
        raise RpcError(METHOD_NOT_FOUND, "notifications not supported")  # over HTTP
    if type(args) is not list:
        raise RpcError(INVALID_PARAMS, "non-array args")
    kind = args[0] if args else None
    if type(kind) is not str:
        raise RpcError(INVALID_PARAMS, "expected subscription name as first argument")
    specs = _SUBSCRIPTIONS.get(kind)
    if specs is None:
        raise RpcError(METHOD_NOT_FOUND, f"no {json.dumps(kind)} subscription in eth namespace")
    options = decode_args((_NAME, *specs), args)[1:]
    if kind == "newHeads":
        return subs.subscribe_heads()
    if kind == "logs":
        criteria: LogFilter = options[0]
        if criteria.from_block is not None or criteria.to_block is not None:
            raise RpcError(SERVER_ERROR, "invalid from and to block combination")
        return subs.subscribe_logs(criteria)
    if kind == "newPendingTransactions":
        return subs.subscribe_pending(options[0])
    if kind == "transactionReceipts":
        return subs.subscribe_receipts(options[0])
    # A dev chain never syncs: the subscription lives and never fires.
    return subs.subscribe_syncing()


@method("eth_unsubscribe", params.rpc_id)
def eth_unsubscribe(ctx: Context, sub_id: str) -> bool:
    """geth's unsubscribe: an unknown id (over HTTP, every id) is an error, not false."""
    subs = ctx.subscriptions
    if subs is None or not subs.unsubscribe(sub_id):
        raise RpcError(SERVER_ERROR, "subscription not found")
    return True
