"""Transactions accepted but not yet mined, by sender and nonce.

With automine a transaction normally leaves the pool in the same call that added it;
the pool still matters for nonce gaps (a transaction waits until the gap is filled,
as on anvil and geth), for manual mining, for replacement by fee bump, and for the
transactions a reorg or a rollback takes out of the chain.

A pooled transaction can be *held*: it stays pending, visible to every read, but no
block before a given number or timestamp (or none at all, until released) includes
it. Held transactions block the later nonces of their sender, as a transaction stuck
in a real mempool does. This is what a "delayed inclusion" fault is made of; holds
cost nothing while there are none (one falsy check per block).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from mocknode.chain.records import Tx
from mocknode.types import Address, Hash32
from mocknode.values import dataclass

# geth's default price bump for replacing a pooled transaction (txpool.PriceBump).
PRICE_BUMP_PERCENT = 10
# geth's blob pool asks more of a blob transaction's replacement (blobpool.Config.PriceBump).
BLOB_PRICE_BUMP_PERCENT = 100


@dataclass(frozen=True, slots=True)
class Hold:
    """Keep a pooled transaction out of blocks numbered below ``not_before_block`` and
    blocks stamped before ``not_before_timestamp``; with neither, out of every block
    until it is released."""

    not_before_block: int | None = None
    not_before_timestamp: int | None = None

    def allows(self, number: int, timestamp: int) -> bool:
        if self.not_before_block is None and self.not_before_timestamp is None:
            return False
        if self.not_before_block is not None and number < self.not_before_block:
            return False
        return self.not_before_timestamp is None or timestamp >= self.not_before_timestamp


class Pool:
    def __init__(self, *, fifo: bool = False) -> None:
        # How executable transactions are ordered for a block: highest tip first
        # (anvil's --order fees, the default), or in the order they arrived (fifo).
        self.fifo = fifo
        self._by_sender: dict[Address, dict[int, Tx]] = {}
        self._by_hash: dict[Hash32, Tx] = {}
        self._holds: dict[Hash32, Hold] = {}
        # Bumped on every insertion, removal, hold and release, so a view built from
        # the pool (the pending block) knows when it is stale without comparing contents.
        self.changes = 0

    def __len__(self) -> int:
        return len(self._by_hash)

    def __iter__(self) -> Iterator[Tx]:
        """Every pooled transaction, in the order they arrived."""
        return iter(list(self._by_hash.values()))

    def get(self, tx_hash: Hash32) -> Tx | None:
        return self._by_hash.get(tx_hash)

    def existing(self, sender: Address, nonce: int) -> Tx | None:
        return self._by_sender.get(sender, {}).get(nonce)

    def add(self, tx: Tx) -> Tx | None:
        """Insert ``tx``; returns the transaction it replaced, if any."""
        slots = self._by_sender.setdefault(tx.sender, {})
        replaced = slots.get(tx.nonce)
        if replaced is not None:
            del self._by_hash[replaced.hash]
            self._holds.pop(replaced.hash, None)
        slots[tx.nonce] = tx
        self._by_hash[tx.hash] = tx
        self.changes += 1
        return replaced

    def remove(self, tx: Tx) -> None:
        self.changes += 1
        slots = self._by_sender.get(tx.sender)
        if slots is not None and slots.get(tx.nonce) is tx:
            del slots[tx.nonce]
            if not slots:
                del self._by_sender[tx.sender]
        self._by_hash.pop(tx.hash, None)
        if self._holds:
            self._holds.pop(tx.hash, None)

    def remove_sender(self, sender: Address) -> list[Tx]:
        """Take out every transaction from ``sender``; returns them, by nonce."""
        slots = self._by_sender.pop(sender, {})
        removed = [slots[nonce] for nonce in sorted(slots)]
        for tx in removed:
            del self._by_hash[tx.hash]
            self._holds.pop(tx.hash, None)
        if removed:
            self.changes += 1
        return removed

    def clear(self) -> list[Tx]:
        """Take out every transaction; returns them in the order they arrived."""
        removed = list(self._by_hash.values())
        self._by_sender.clear()
        self._by_hash.clear()
        self._holds.clear()
        if removed:
            self.changes += 1
        return removed

    # -- holds ------------------------------------------------------------------------

    def hold(self, tx_hash: Hash32, hold: Hold) -> bool:
        """Apply ``hold`` to a pooled transaction (replacing any earlier one); False
        when no pooled transaction has that hash."""
        if tx_hash not in self._by_hash:
            return False
        self._holds[tx_hash] = hold
        self.changes += 1
        return True

    def release(self, tx_hash: Hash32) -> bool:
        """Lift a hold; False when the transaction was not held."""
        if self._holds.pop(tx_hash, None) is None:
            return False
        self.changes += 1
        return True

    @property
    def holding(self) -> bool:
        """Whether any transaction is held (the chain only then works out the next
        block's timestamp to ask :meth:`executable` with)."""
        return bool(self._holds)

    def held(self, tx_hash: Hash32) -> Hold | None:
        return self._holds.get(tx_hash)

    # -- what a block can take ---------------------------------------------------------

    def pending_nonce(self, sender: Address, state_nonce: int) -> int:
        """Next nonce after the run of pooled transactions starting at ``state_nonce``."""
        slots = self._by_sender.get(sender)
        nonce = state_nonce
        if slots:
            while nonce in slots:
                nonce += 1
        return nonce

    def executable(
        self, nonces: dict[Address, int], block: tuple[int, int] | None = None
    ) -> list[Tx]:
        """Transactions whose nonce is next for their sender, highest tip first (or,
        with ``fifo``, the earliest arrived first; a replacement arrives anew).

        ``nonces`` maps senders to their current state nonce; stale entries (nonce
        below it) are dropped as a side effect, as geth's pool does on new heads.
        ``block`` is the (number, timestamp) of the block being filled: a held
        transaction that block may not include is left out. Without it, every held
        transaction is.
        """
        holds = self._holds
        ready = []
        for sender, slots in list(self._by_sender.items()):
            nonce = nonces[sender]
            for stale in [n for n in slots if n < nonce]:
                gone = slots.pop(stale).hash
                self._by_hash.pop(gone, None)
                holds.pop(gone, None)
                self.changes += 1
            tx = slots.get(nonce)
            if tx is not None:
                hold = holds.get(tx.hash) if holds else None
                if hold is None or (block is not None and hold.allows(*block)):
                    ready.append(tx)
            if not slots:
                del self._by_sender[sender]
        if self.fifo:
            arrival = {tx_hash: i for i, tx_hash in enumerate(self._by_hash)}
            ready.sort(key=lambda tx: arrival[tx.hash])
        else:
            ready.sort(key=lambda tx: -tx.max_priority_fee_per_gas)
        return ready

    def senders(self) -> list[Address]:
        return list(self._by_sender)

    def by_sender(self) -> dict[Address, dict[int, Tx]]:
        """Every pooled transaction by sender, then nonce (copies: the pool stays as is)."""
        return {sender: dict(slots) for sender, slots in self._by_sender.items()}

    @classmethod
    def restored(
        cls, txs: Iterable[Tx], senders: Iterable[Address], holds: Mapping[Hash32, Hold]
    ) -> Pool:
        """A pool holding ``txs`` in that order of arrival, with its senders in the order
        ``senders`` gives (which breaks ties between equal tips when a block is filled):
        a saved pool exactly as it was, so the next block is the same block."""
        pool = cls()
        for sender in senders:
            pool._by_sender[sender] = {}
        for tx in txs:
            pool.add(tx)
        for sender in [s for s, slots in pool._by_sender.items() if not slots]:
            del pool._by_sender[sender]
        pool._holds = {h: hold for h, hold in holds.items() if h in pool._by_hash}
        return pool

    def same_as(self, other: Pool) -> bool:
        """Same transactions in the same order, same holds, same ordering rule."""
        return (
            self.fifo == other.fifo
            and list(self._by_hash) == list(other._by_hash)
            and self._holds == other._holds
        )

    def copy(self) -> Pool:
        clone = Pool(fifo=self.fifo)
        for tx in self._by_hash.values():
            clone.add(tx)
        clone._holds = dict(self._holds)
        return clone
