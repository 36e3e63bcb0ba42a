"""Logs, polling filters and subscriptions."""

from __future__ import annotations

from typing import Any

from mocknode.chain.logs.query import LogEntry, LogFilter, query_logs
from mocknode.rpc import codec
from mocknode.rpc.context import Context
from mocknode.rpc.errors import INVALID_PARAMS, METHOD_NOT_FOUND, RpcError
from mocknode.rpc.registry import method, optional


@method("eth_getLogs", codec.log_filter, result=codec.log_entries_json)
def eth_getLogs(ctx: Context, criteria: LogFilter) -> list[LogEntry]:
    return query_logs(ctx.chain, criteria)


@method("eth_newFilter", codec.log_filter)
def eth_newFilter(ctx: Context, criteria: LogFilter) -> str:
    return ctx.filters.install("logs", criteria)


@method("eth_newBlockFilter")
def eth_newBlockFilter(ctx: Context) -> str:
    return ctx.filters.install("blocks")


@method("eth_newPendingTransactionFilter", optional(codec.boolean, False))
def eth_newPendingTransactionFilter(ctx: Context, full: bool) -> str:
    return ctx.filters.install("pending")


def _filter_id(value: Any) -> str:
    if not isinstance(value, str):
        raise codec.ParamError("json: cannot unmarshal non-string into Go value of type rpc.ID")
    return value


@method("eth_getFilterChanges", _filter_id)
def eth_getFilterChanges(ctx: Context, filter_id: str) -> list[Any]:
    changes = ctx.filters.changes(filter_id)
    return [
        codec.log_entry_json(item) if isinstance(item, LogEntry) else codec.hex_data(item)
        for item in changes
    ]


@method("eth_getFilterLogs", _filter_id, result=codec.log_entries_json)
def eth_getFilterLogs(ctx: Context, filter_id: str) -> list[LogEntry]:
    return ctx.filters.logs(filter_id)


@method("eth_uninstallFilter", _filter_id)
def eth_uninstallFilter(ctx: Context, filter_id: str) -> bool:
    return ctx.filters.uninstall(filter_id)


def _subscription_kind(value: Any) -> str:
    if not isinstance(value, str):
        raise codec.ParamError("expected subscription name as first argument")
    return value


@method("eth_subscribe", _subscription_kind, optional(lambda v: v))
def eth_subscribe(ctx: Context, kind: str, options: Any) -> str:
    subs = ctx.subscriptions
    if subs is None:
        # geth: rpc.ErrNotificationsUnsupported
        raise RpcError(METHOD_NOT_FOUND, "notifications not supported")
    if kind == "newHeads":
        return subs.subscribe_heads()
    if kind == "logs":
        criteria = codec.log_filter(options) if options is not None else LogFilter()
        if criteria.from_block is not None or criteria.to_block is not None:
            raise RpcError(-32000, "invalid from and to block combination")
        return subs.subscribe_logs(criteria)
    if kind == "newPendingTransactions":
        return subs.subscribe_pending(bool(options))
    if kind == "syncing":
        # A dev chain never syncs: the subscription lives and never fires.
        return subs.subscribe_syncing()
    raise RpcError(INVALID_PARAMS, f'no "{kind}" subscription in eth namespace')


@method("eth_unsubscribe", _filter_id)
def eth_unsubscribe(ctx: Context, sub_id: str) -> bool:
    subs = ctx.subscriptions
    if subs is None:
        raise RpcError(METHOD_NOT_FOUND, "notifications not supported")
    return subs.unsubscribe(sub_id)
