"""eth_subscribe bookkeeping for one connection (WebSocket or IPC).

Subscriptions belong to their connection and end with it. When the chain reports a
new block or pool transaction, each matching subscription renders its notification
and hands the bytes to ``send``, a non-blocking callback supplied by the node that
queues them for the connection's writer. The chain stays synchronous and this module
stays sans-io.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

from mocknode.chain.chain import Chain
from mocknode.chain.logs.query import LogFilter, block_logs
from mocknode.chain.records import Block, Tx
from mocknode.rpc import codec
from mocknode.rpc.jsonrpc import subscription_notification

_ids = count(1)


class Subscriptions:
    def __init__(self, chain: Chain, send: Callable[[bytes], None]) -> None:
        self._chain = chain
        self._send = send
        self._heads: set[str] = set()
        self._logs: dict[str, LogFilter] = {}
        self._pending: dict[str, bool] = {}
        self._syncing: set[str] = set()
        chain.block_listeners.append(self._on_block)
        chain.pending_listeners.append(self._on_pending)

    @staticmethod
    def _new_id() -> str:
        # geth's ids are random 16-byte hex; a counter keeps runs reproducible.
        return f"0x{next(_ids):032x}"

    def subscribe_heads(self) -> str:
        sub_id = self._new_id()
        self._heads.add(sub_id)
        return sub_id

    def subscribe_logs(self, criteria: LogFilter) -> str:
        sub_id = self._new_id()
        self._logs[sub_id] = criteria
        return sub_id

    def subscribe_pending(self, full: bool) -> str:
        sub_id = self._new_id()
        self._pending[sub_id] = full
        return sub_id

    def subscribe_syncing(self) -> str:
        sub_id = self._new_id()
        self._syncing.add(sub_id)
        return sub_id

    def unsubscribe(self, sub_id: str) -> bool:
        found = any(
            sub_id in kind for kind in (self._heads, self._logs, self._pending, self._syncing)
        )
        self._syncing.discard(sub_id)
        self._heads.discard(sub_id)
        self._logs.pop(sub_id, None)
        self._pending.pop(sub_id, None)
        return found

    def close(self) -> None:
        self._syncing.clear()
        self._heads.clear()
        self._logs.clear()
        self._pending.clear()
        if self._on_block in self._chain.block_listeners:
            self._chain.block_listeners.remove(self._on_block)
        if self._on_pending in self._chain.pending_listeners:
            self._chain.pending_listeners.remove(self._on_pending)

    def _notify(self, sub_id: str, result: Any) -> None:
        self._send(subscription_notification(sub_id, result))

    def _on_block(self, block: Block, removed: bool) -> None:
        if self._heads and not removed:
            header = codec.header_json(block)
            for sub_id in sorted(self._heads):
                self._notify(sub_id, header)
        for sub_id, criteria in list(self._logs.items()):
            for entry in block_logs(block, criteria, removed):
                self._notify(sub_id, codec.log_entry_json(entry))

    def _on_pending(self, tx: Tx) -> None:
        for sub_id, full in list(self._pending.items()):
            self._notify(
                sub_id, codec.tx_json(tx, None, None, None) if full else codec.hex_data(tx.hash)
            )
