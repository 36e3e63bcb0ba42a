"""eth_subscribe bookkeeping for one connection (WebSocket or IPC).

Subscriptions belong to their connection and end with it. When the chain reports a new
block or pool transaction, each matching subscription renders its notification and
hands the bytes to ``send``, a non-blocking callback supplied by the node that queues
them for the connection's writer. The chain stays synchronous and this module sans-io.

A reorg reports every orphaned block as removed, oldest first, then the new blocks:
``logs`` subscriptions get the orphaned logs again with ``"removed": true`` (geth's
order), then each new block's logs; ``newHeads`` gets every new head, and nothing for
removed blocks. ``evm_revert`` reports nothing (a silent rewind, as on anvil).

Ids come from ``ids``, the node's :class:`~mocknode.rpc.ids.IdSource` (shared with the
node's polling filters, as geth shares one generator), so a replayed run gets the same
ids.

A layer above (fault injection, a journal) can see every notification before it is
sent, without parsing it: set ``notify`` (a constructor argument, or the attribute at
any time) to a callable ``notify(kind, sub_id, payload)``. It then receives, instead of
``send``, the subscription's kind (``"newHeads"``, ``"logs"``,
``"newPendingTransactions"``, ``"transactionReceipts"``), its id and the notification's
bytes, and decides what reaches ``send`` (drop, duplicate, delay ...). ``None``, the
default, sends directly.

``transactionReceipts`` is geth 1.16's: one notification per new block holding the
receipts of its transactions (those named by the subscription's hashes, or all of them),
as ``eth_getTransactionReceipt`` renders them; a block with none that match sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Literal

from mocknode.chain.chain import Chain
from mocknode.chain.logs.query import LogFilter, block_logs
from mocknode.chain.records import Block, Tx, TxLocation
from mocknode.rpc.errors import SERVER_ERROR, RpcError
from mocknode.rpc.jsonrpc import RawJson, subscription_notification

__all__ = [
    "DEFAULT_MAX_SUBSCRIPTIONS",
    "HEADS",
    "LOGS",
    "PENDING",
    "RECEIPTS",
    "SYNCING",
    "Notify",
    "SubscriptionKind",
    "Subscriptions",
]

SubscriptionKind = Literal[
    "newHeads", "logs", "newPendingTransactions", "syncing", "transactionReceipts"
]
HEADS: Final = "newHeads"
LOGS: Final = "logs"
PENDING: Final = "newPendingTransactions"
SYNCING: Final = "syncing"  # a dev chain never syncs: these never fire
RECEIPTS: Final = "transactionReceipts"

Notify = Callable[[SubscriptionKind, str, bytes], None]
"""``notify(kind, sub_id, payload)``: sees a notification in place of ``send``."""


# Live subscriptions one connection may hold (geth has no cap; a client that leaks
# subscriptions should hear of it before the node's memory does).
DEFAULT_MAX_SUBSCRIPTIONS: Final = 1000


class Subscriptions:
    def __init__(
        self,
        chain: Chain,
        send: Callable[[bytes], None],
        *,
        ids: Callable[[], str],
        notify: Notify | None = None,
        limit: int = DEFAULT_MAX_SUBSCRIPTIONS,
    ) -> None:
        self._chain = chain
        self._limit = limit
        self._send = send
        self._new_id = ids
        self.notify = notify
        # dicts, not sets: notifications go out in subscription order, the same every run
        self._heads: dict[str, None] = {}
        self._logs: dict[str, LogFilter] = {}
        self._pending: dict[str, bool] = {}
        self._syncing: dict[str, None] = {}
        self._receipts: dict[str, frozenset[bytes]] = {}  # empty: every receipt
        chain.block_listeners.append(self._on_block)
        chain.pending_listeners.append(self._on_pending)

    def subscribe_heads(self) -> str:
        sub_id = self._take_id()
        self._heads[sub_id] = None
        return sub_id

    def subscribe_logs(self, criteria: LogFilter) -> str:
        sub_id = self._take_id()
        self._logs[sub_id] = criteria
        return sub_id

    def subscribe_pending(self, full: bool) -> str:
        """Pending transaction hashes, or whole transactions when ``full``."""
        sub_id = self._take_id()
        self._pending[sub_id] = full
        return sub_id

    def subscribe_syncing(self) -> str:
        sub_id = self._take_id()
        self._syncing[sub_id] = None
        return sub_id

    def subscribe_receipts(self, tx_hashes: tuple[bytes, ...]) -> str:
        """Receipts of new blocks: those of ``tx_hashes``, or all when it is empty."""
        sub_id = self._take_id()
        self._receipts[sub_id] = frozenset(tx_hashes)
        return sub_id

    def _take_id(self) -> str:
        """A new subscription's id; RpcError past the per-connection limit (0: none)."""
        limit = self._limit
        if limit and self.count() >= limit:
            raise RpcError(SERVER_ERROR, f"too many subscriptions on this connection (max {limit})")
        return self._new_id()

    def count(self) -> int:
        """Live subscriptions of this connection."""
        return (
            len(self._heads)
            + len(self._logs)
            + len(self._pending)
            + len(self._syncing)
            + len(self._receipts)
        )

    def kind_of(self, sub_id: str) -> SubscriptionKind | None:
        """The kind of a live subscription of this connection, or None."""
        if sub_id in self._heads:
            return HEADS
        if sub_id in self._logs:
            return LOGS
        if sub_id in self._pending:
            return PENDING
        if sub_id in self._syncing:
            return SYNCING
        if sub_id in self._receipts:
            return RECEIPTS
        return None

    def unsubscribe(self, sub_id: str) -> bool:
        """End one subscription; False when this connection has none by that id."""
        found = self.kind_of(sub_id) is not None
        self._syncing.pop(sub_id, None)
        self._heads.pop(sub_id, None)
        self._logs.pop(sub_id, None)
        self._pending.pop(sub_id, None)
        self._receipts.pop(sub_id, None)
        return found

    def close(self) -> None:
        """End every subscription and stop listening to the chain (connection closed)."""
        self._syncing.clear()
        self._heads.clear()
        self._logs.clear()
        self._pending.clear()
        self._receipts.clear()
        if self._on_block in self._chain.block_listeners:
            self._chain.block_listeners.remove(self._on_block)
        if self._on_pending in self._chain.pending_listeners:
            self._chain.pending_listeners.remove(self._on_pending)

    def _push(self, kind: SubscriptionKind, sub_id: str, result: Any) -> None:
        payload = subscription_notification(sub_id, result)
        notify = self.notify
        if notify is None:
            self._send(payload)
        else:
            notify(kind, sub_id, payload)

    def _on_block(self, block: Block, removed: bool) -> None:
        # rpc.render is imported at the first notification, not when a node starts.
        if self._heads and not removed:
            from mocknode.rpc import render

            header = render.header_text(block)
            for sub_id in list(self._heads):
                self._push(HEADS, sub_id, header)
        for sub_id, criteria in list(self._logs.items()):
            from mocknode.rpc import render

            for entry in block_logs(block, criteria, removed):
                self._push(LOGS, sub_id, render.log_entry_text(entry))
        if self._receipts and not removed:
            self._push_receipts(block)

    def _push_receipts(self, block: Block) -> None:
        from mocknode.rpc import render

        for sub_id, wanted in list(self._receipts.items()):
            receipts = [
                render.receipt_text(TxLocation(block, i))
                for i, tx in enumerate(block.transactions)
                if not wanted or tx.hash in wanted
            ]
            if receipts:
                self._push(RECEIPTS, sub_id, RawJson("[" + ",".join(receipts) + "]"))

    def _on_pending(self, tx: Tx) -> None:
        for sub_id, full in list(self._pending.items()):
            from mocknode.rpc import render

            self._push(
                PENDING,
                sub_id,
                render.tx_json(tx, None, None, None) if full else render.hex_data(tx.hash),
            )
