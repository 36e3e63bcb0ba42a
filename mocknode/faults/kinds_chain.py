"""The chain faults of faults.md: reorgs, transactions and reads, through the chain's own
operations (never by corrupting state or caches other clients share)."""

from __future__ import annotations

from random import Random
from typing import Any, Final

from mocknode.faults.errors import FaultSpecError
from mocknode.faults.events import Event
from mocknode.faults.params import (
    Choice,
    Hex,
    Int,
    IntList,
    Maybe,
    Param,
    seconds,
)
from mocknode.faults.spec import ALL, CALL, NONE_SCOPE, KindSpec, Params

__all__ = [
    "CHAIN_KINDS",
    "FILTER_INSTALL_METHODS",
    "FILTER_METHODS",
    "FILTER_POLL_METHODS",
    "INDEX_METHODS",
    "POOL_REASONS",
    "READ_METHODS",
    "SEND_METHODS",
    "STATE_METHODS",
]

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
FILTER_INSTALL_METHODS: Final = (
    "eth_newFilter",
    "eth_newBlockFilter",
    "eth_newPendingTransactionFilter",
)
FILTER_POLL_METHODS: Final = ("eth_getFilterChanges", "eth_getFilterLogs", "eth_uninstallFilter")
# filter_expiry sees installs too: they start a filter's idle clock.
FILTER_METHODS: Final = FILTER_INSTALL_METHODS + FILTER_POLL_METHODS
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


def _tx_filters() -> tuple[Param, ...]:
    return (
        Param("hash", Maybe(Hex(32, "a transaction hash")), None, "only this transaction"),
        Param("sender", Maybe(Hex(20, "an address")), None, "only transactions from this sender"),
    )


def _applies_tx(params: Params, event: Event) -> bool:
    return (params["hash"] is None or params["hash"] == event.tx_hash) and (
        params["sender"] is None or params["sender"] == event.sender
    )


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


def _check_delay_tx(params: Params, path: str) -> None:
    if params["blocks"] is not None and params["seconds"] is not None:
        raise FaultSpecError(path, "give blocks or seconds (or neither: never), not both")


CHAIN_KINDS: Final[tuple[KindSpec, ...]] = (
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
        "a filter idle that long (since its install or last `eth_getFilterChanges`) is gone: "
        "`filter not found`",
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
