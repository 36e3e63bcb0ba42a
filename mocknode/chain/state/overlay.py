"""A state reader that sees one uncommitted block on top of a committed state.

The pending block (:mod:`mocknode.chain.block.pending`) is executed but never committed:
committing it would make it the head for every other reader. Its state is the parent's
state plus the block's :class:`~mocknode.chain.state.world.BlockDiff`, and this reader
answers from the diff first and the parent's state otherwise, so reads and calls at
``pending`` go through the same code as reads at any mined block.

A diff spells out every wiped slot as a zero (:meth:`JournalAccounts.diff`), so a slot the
diff does not name is the parent's, with no wipe bookkeeping here.
"""

from __future__ import annotations

from mocknode.chain.state.world import Account, BlockDiff, StateReader
from mocknode.types import Address

__all__ = ["OverlayReader"]


class OverlayReader(StateReader):
    """``base`` with ``diff`` applied, read-only."""

    __slots__ = ("_diff",)

    def __init__(self, base: StateReader, diff: BlockDiff) -> None:
        super().__init__(base._state, base.block)
        self._diff = diff

    def account(self, address: Address) -> Account | None:
        accounts = self._diff.accounts
        if address in accounts:
            return accounts[address]
        return super().account(address)

    def storage(self, address: Address, slot: int) -> int:
        slots = self._diff.storage.get(address)
        if slots is not None:
            value = slots.get(slot)
            if value is not None:
                return value
        return super().storage(address, slot)

    def code(self, code_hash: bytes) -> bytes:
        code = self._diff.codes.get(code_hash)
        return code if code is not None else super().code(code_hash)

    def slots_of(self, address: Address) -> list[int]:
        slots = dict.fromkeys(super().slots_of(address))
        slots.update(dict.fromkeys(self._diff.storage.get(address, {})))
        return [s for s in slots if self.storage(address, s) != 0]
