"""Transactions accepted but not yet mined, by sender and nonce.

With automine a transaction normally leaves the pool in the same call that added it;
the pool still matters for nonce gaps (a transaction waits until the gap is filled,
as on anvil and geth), for manual mining, and for replacement by fee bump.
"""

from __future__ import annotations

from mocknode.chain.records import Tx
from mocknode.types import Address, Hash32

# geth's default price bump for replacing a pooled transaction (txpool.PriceBump).
PRICE_BUMP_PERCENT = 10


class Pool:
    def __init__(self) -> None:
        self._by_sender: dict[Address, dict[int, Tx]] = {}
        self._by_hash: dict[Hash32, Tx] = {}
        # Bumped on every insertion and removal, so a view built from the pool (the
        # pending block) knows when it is stale without comparing contents.
        self.changes = 0

    def __len__(self) -> int:
        return len(self._by_hash)

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

    def pending_nonce(self, sender: Address, state_nonce: int) -> int:
        """Next nonce after the run of pooled transactions starting at ``state_nonce``."""
        slots = self._by_sender.get(sender)
        nonce = state_nonce
        if slots:
            while nonce in slots:
                nonce += 1
        return nonce

    def executable(self, nonces: dict[Address, int]) -> list[Tx]:
        """Transactions whose nonce is next for their sender, highest tip first.

        ``nonces`` maps senders to their current state nonce; stale entries (nonce
        below it) are dropped as a side effect, as geth's pool does on new heads.
        """
        ready = []
        for sender, slots in list(self._by_sender.items()):
            nonce = nonces[sender]
            for stale in [n for n in slots if n < nonce]:
                self._by_hash.pop(slots.pop(stale).hash, None)
                self.changes += 1
            if nonce in slots:
                ready.append(slots[nonce])
            if not slots:
                del self._by_sender[sender]
        ready.sort(key=lambda tx: -tx.max_priority_fee_per_gas)
        return ready

    def senders(self) -> list[Address]:
        return list(self._by_sender)

    def by_sender(self) -> dict[Address, dict[int, Tx]]:
        """Every pooled transaction by sender, then nonce (copies: the pool stays as is)."""
        return {sender: dict(slots) for sender, slots in self._by_sender.items()}

    def copy(self) -> Pool:
        clone = Pool()
        for tx in self._by_hash.values():
            clone.add(tx)
        return clone
