"""The account database py-evm executes against while a block is being built.

py-evm's own ``AccountDB`` layers a journal, a batch DB, a cache and a hexary trie
over a key-value store, and RLP-encodes every account on every write. This class
implements the same ``AccountDatabaseAPI`` directly over a :class:`StateReader`
(the parent block's state) plus plain dict overlays, with a flat undo log for
py-evm's nested ``record``/``discard``/``commit`` checkpoints. Nothing here hashes
or encodes: the trie work happens once per block in :class:`WorldState`.

Semantics mirrored from py-evm's AccountDB where the EVM depends on them:
- ``get_storage(from_journal=False)`` is the value at the start of the current
  transaction (EIP-2200/3529 "original value"); ``lock_changes`` starts a new one.
- warm address/slot sets (EIP-2929) are journaled too: a reverted call frame
  un-warms what it warmed.
- ``touch_account`` materialises an empty account, so EIP-161 can delete it.
"""

from __future__ import annotations

import itertools
from typing import Any

from mocknode.chain.primitives.hashing import EMPTY_CODE_HASH, keccak
from mocknode.chain.state.world import EMPTY_ACCOUNT, Account, BlockDiff, StateReader
from mocknode.types import Address

_MISSING = object()

# Checkpoint ids are shared with py-evm's own journals: CancunState records the same id
# in its transient-storage journal, which already holds an id drawn from py-evm's
# process-wide counter (small numbers early in a process). Ours come from a disjoint,
# process-wide range so the two can never collide.
_checkpoint_ids = itertools.count(1 << 62)

# undo log entry kinds
_ACCOUNT, _SLOT, _WARM_ADDRESS, _WARM_SLOT, _WIPE = range(5)


class JournalAccounts:
    def __init__(self, reader: StateReader) -> None:
        self._reader = reader
        self.accounts: dict[Address, Account | None] = {}
        self.storage: dict[Address, dict[int, int]] = {}
        self.codes: dict[bytes, bytes] = {}
        self._wiped: set[Address] = set()
        self._undo: list[tuple[Any, ...]] = []
        self._checkpoints: dict[int, int] = {}
        self._original: dict[tuple[Address, int], int] = {}
        self._warm_addresses: set[bytes] = set()
        self._warm_slots: set[tuple[bytes, int]] = set()
        # py-evm's BaseState reads and writes this around snapshots; it carries no
        # meaning here because roots are computed per block by WorldState.
        self.state_root = b""

    # -- accounts -------------------------------------------------------------

    def _account(self, address: Address) -> Account | None:
        account = self.accounts.get(address, _MISSING)
        if account is _MISSING:
            return self._reader.account(address)
        return account  # type: ignore[return-value]

    def _set_account(self, address: Address, account: Account | None) -> None:
        self._undo.append((_ACCOUNT, address, self.accounts.get(address, _MISSING)))
        self.accounts[address] = account

    def get_balance(self, address: Address) -> int:
        account = self._account(address)
        return account.balance if account else 0

    def set_balance(self, address: Address, balance: int) -> None:
        account = self._account(address) or EMPTY_ACCOUNT
        self._set_account(address, account._replace(balance=balance))

    def get_nonce(self, address: Address) -> int:
        account = self._account(address)
        return account.nonce if account else 0

    def set_nonce(self, address: Address, nonce: int) -> None:
        account = self._account(address) or EMPTY_ACCOUNT
        self._set_account(address, account._replace(nonce=nonce))

    def increment_nonce(self, address: Address) -> None:
        account = self._account(address) or EMPTY_ACCOUNT  # one read, on every call
        self._set_account(address, account._replace(nonce=account.nonce + 1))

    def get_code(self, address: Address) -> bytes:
        account = self._account(address)
        if account is None or account.code_hash == EMPTY_CODE_HASH:
            return b""
        code = self.codes.get(account.code_hash)
        return code if code is not None else self._reader.code(account.code_hash)

    def set_code(self, address: Address, code: bytes) -> None:
        code_hash = keccak(code)
        self.codes[code_hash] = code
        account = self._account(address) or EMPTY_ACCOUNT
        self._set_account(address, account._replace(code_hash=code_hash))

    def get_code_hash(self, address: Address) -> bytes:
        account = self._account(address)
        return account.code_hash if account else EMPTY_CODE_HASH

    def delete_code(self, address: Address) -> None:
        account = self._account(address) or EMPTY_ACCOUNT
        self._set_account(address, account._replace(code_hash=EMPTY_CODE_HASH))

    def account_has_code_or_nonce(self, address: Address) -> bool:
        account = self._account(address)
        return account is not None and (account.nonce != 0 or account.code_hash != EMPTY_CODE_HASH)

    def delete_account(self, address: Address) -> None:
        self.delete_storage(address)
        self._set_account(address, None)

    def account_exists(self, address: Address) -> bool:
        return self._account(address) is not None

    def touch_account(self, address: Address) -> None:
        if self._account(address) is None:
            self._set_account(address, EMPTY_ACCOUNT)

    def account_is_empty(self, address: Address) -> bool:
        account = self._account(address)
        return account is None or (
            account.nonce == 0 and account.balance == 0 and account.code_hash == EMPTY_CODE_HASH
        )

    # -- storage --------------------------------------------------------------

    def _current_storage(self, address: Address, slot: int) -> int:
        slots = self.storage.get(address)
        if slots is not None:
            value = slots.get(slot)
            if value is not None:
                return value
        if address in self._wiped:
            return 0
        return self._reader.storage(address, slot)

    def get_storage(self, address: Address, slot: int, from_journal: bool = True) -> int:
        if not from_journal:
            original = self._original.get((address, slot))
            if original is not None:
                return original
        return self._current_storage(address, slot)

    def set_storage(self, address: Address, slot: int, value: int) -> None:
        key = (address, slot)
        if key not in self._original:
            self._original[key] = self._current_storage(address, slot)
        slots = self.storage.setdefault(address, {})
        self._undo.append((_SLOT, address, slot, slots.get(slot, _MISSING)))
        slots[slot] = value

    def delete_storage(self, address: Address) -> None:
        """Wipe every slot of ``address`` (contract destroyed or re-created)."""
        self._undo.append((_WIPE, address, address in self._wiped, self.storage.get(address)))
        self._wiped.add(address)
        self.storage[address] = {}

    def is_storage_warm(self, address: Address, slot: int) -> bool:
        return (address, slot) in self._warm_slots

    def mark_storage_warm(self, address: Address, slot: int) -> None:
        key = (address, slot)
        if key not in self._warm_slots:
            self._warm_slots.add(key)
            self._undo.append((_WARM_SLOT, key))

    def is_address_warm(self, address: Address) -> bool:
        return address in self._warm_addresses

    def mark_address_warm(self, address: Address) -> None:
        if address not in self._warm_addresses:
            self._warm_addresses.add(address)
            self._undo.append((_WARM_ADDRESS, address))

    # -- checkpoints ----------------------------------------------------------

    def record(self) -> int:
        checkpoint = next(_checkpoint_ids)
        self._checkpoints[checkpoint] = len(self._undo)
        return checkpoint

    def discard(self, checkpoint: int) -> None:
        mark = self._checkpoints.pop(checkpoint)
        undo = self._undo
        while len(undo) > mark:
            self._undo_one(undo.pop())
        for later in [c for c in self._checkpoints if c > checkpoint]:
            del self._checkpoints[later]

    def commit(self, checkpoint: int) -> None:
        # The undo entries stay: an enclosing checkpoint may still be discarded.
        self._checkpoints.pop(checkpoint)
        for later in [c for c in self._checkpoints if c > checkpoint]:
            del self._checkpoints[later]

    def _undo_one(self, entry: tuple[Any, ...]) -> None:
        kind = entry[0]
        if kind == _ACCOUNT:
            _, address, previous = entry
            if previous is _MISSING:
                del self.accounts[address]
            else:
                self.accounts[address] = previous
        elif kind == _SLOT:
            _, address, slot, previous = entry
            if previous is _MISSING:
                del self.storage[address][slot]
            else:
                self.storage[address][slot] = previous
        elif kind == _WARM_ADDRESS:
            self._warm_addresses.discard(entry[1])
        elif kind == _WARM_SLOT:
            self._warm_slots.discard(entry[1])
        else:
            _, address, was_wiped, previous_slots = entry
            if not was_wiped:
                self._wiped.discard(address)
            if previous_slots is None:
                self.storage.pop(address, None)
            else:
                self.storage[address] = previous_slots

    def lock_changes(self) -> None:
        """A transaction boundary: nothing before it can be reverted any more."""
        self._undo.clear()
        self._checkpoints.clear()
        self._original.clear()
        self._warm_addresses.clear()
        self._warm_slots.clear()

    # -- results --------------------------------------------------------------

    def diff(self) -> BlockDiff:
        """Net changes against the parent state, wiped slots spelled out as zeroes."""
        storage = {address: dict(slots) for address, slots in self.storage.items()}
        for address in self._wiped:
            slots = storage.setdefault(address, {})
            for slot in self._reader.slots_of(address):
                slots.setdefault(slot, 0)
        return BlockDiff(dict(self.accounts), storage, dict(self.codes))

    def make_state_root(self) -> bytes:
        raise NotImplementedError("state roots are computed per block by WorldState")

    def persist(self) -> None:
        raise NotImplementedError("blocks are committed through WorldState.commit")

    def has_root(self, state_root: bytes) -> bool:
        return False
