"""World state with its whole history, in plain Python structures.

The state advances by *commits*: one per mined block, and one per direct edit a dev
tool makes between blocks (``anvil_setBalance`` and friends). Commits are numbered
``0, 1, 2 ...``; the chain remembers which commit each block ended on.

The latest state is what nearly every request reads, so it is a dict lookup away:
each account and each storage slot keeps a short list of ``(commit, value)``
versions, newest last. Reading the latest state takes the last version; reading an
older commit bisects. Each commit records which keys it changed, so going back to
commit ``n`` (snapshot revert, reorg) pops exactly the versions written after ``n``:
the cost is the number of changes undone, never the chain length.

State roots come from persistent tries (:mod:`mocknode.chain.primitives.trie`) updated with each
commit's changes only; old roots stay valid, so proofs at past blocks work. Each commit's
record keeps the roots from before it for the last :data:`KEEP_TRIES` commits only: the
node copies those roots hold are most of what a block costs in memory on a long chain.
Older ones are rebuilt from the versions when asked for (:mod:`mocknode.chain.state.rebuild`).
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from typing import NamedTuple

from mocknode.chain.primitives import rlp, trie
from mocknode.chain.primitives.hashing import BLANK_ROOT, EMPTY_CODE_HASH, keccak
from mocknode.chain.state import rebuild
from mocknode.types import Address
from mocknode.values import dataclass, field


class Account(NamedTuple):
    nonce: int
    balance: int
    code_hash: bytes


EMPTY_ACCOUNT = Account(0, 0, EMPTY_CODE_HASH)

# Commits whose records keep the tries from before them (for reverts and proofs without
# a rebuild). A revert or a proof further back costs the state's size once, not more
# memory on every block; 1,024 covers a test that snapshots, mines a thousand blocks and
# reverts.
KEEP_TRIES = 1024
_VERSIONS = itertools.count()

_Versions = list[tuple[int, "Account | None"]]
_SlotVersions = list[tuple[int, int]]


def _first(item: tuple[int, object]) -> int:
    return item[0]


@dataclass(slots=True)
class _BlockChanges:
    """What commit ``n`` wrote, so it can be taken back; ``kept`` is False once the
    tries from before it are let go (older than :data:`KEEP_TRIES` commits)."""

    accounts: list[Address] = field(default_factory=list)
    slots: list[tuple[Address, int]] = field(default_factory=list)
    account_trie: trie.Node | None = None
    storage_tries: dict[Address, trie.Node | None] = field(default_factory=dict)
    kept: bool = True


@dataclass(slots=True)
class BlockDiff:
    """The net effect of one block on the state, produced by executing it."""

    accounts: dict[Address, Account | None]
    storage: dict[Address, dict[int, int]]
    codes: dict[bytes, bytes]


class StateReader:
    """Read-only view of the state as of one commit."""

    __slots__ = ("_state", "block")

    def __init__(self, state: WorldState, commit: int) -> None:
        self._state = state
        self.block = commit

    def account(self, address: Address) -> Account | None:
        versions = self._state._accounts.get(address)
        if not versions:
            return None
        if versions[-1][0] <= self.block:
            return versions[-1][1]
        i = bisect_right(versions, self.block, key=_first)
        return versions[i - 1][1] if i else None

    def storage(self, address: Address, slot: int) -> int:
        slots = self._state._storage.get(address)
        if not slots:
            return 0
        versions = slots.get(slot)
        if not versions:
            return 0
        if versions[-1][0] <= self.block:
            return versions[-1][1]
        i = bisect_right(versions, self.block, key=_first)
        return versions[i - 1][1] if i else 0

    def code(self, code_hash: bytes) -> bytes:
        if code_hash == EMPTY_CODE_HASH:
            return b""
        return self._state._codes[code_hash]

    def slots_of(self, address: Address) -> list[int]:
        """Slots of ``address`` that are non-zero at this block (for storage wipes)."""
        slots = self._state._storage.get(address, {})
        return [s for s in slots if self.storage(address, s) != 0]


class WorldState:
    """All accounts, storage and code, at every block since genesis."""

    def __init__(self, keep_tries: int = KEEP_TRIES) -> None:
        self.keep_tries = keep_tries
        self._accounts: dict[Address, _Versions] = {}
        self._storage: dict[Address, dict[int, _SlotVersions]] = {}
        self._codes: dict[bytes, bytes] = {}
        self._changes: list[_BlockChanges] = []
        self._account_trie: trie.Node | None = None
        self._storage_tries: dict[Address, trie.Node | None] = {}
        self.head = -1  # the latest commit
        # Moves on every commit and every revert, and never repeats, not even across
        # WorldState objects (a loaded state file): a commit number can come back with
        # other contents after a revert, a version cannot (Chain.read_stamp).
        self.version = next(_VERSIONS)

    def reader(self, commit: int | None = None) -> StateReader:
        return StateReader(self, self.head if commit is None else commit)

    def commit(self, diff: BlockDiff) -> bytes:
        """Apply ``diff`` as commit ``head + 1``; return the new state root."""
        number = self.head + 1
        record = _BlockChanges(account_trie=self._account_trie)
        self._codes.update(diff.codes)
        touched = set(diff.accounts)
        for address, slots in diff.storage.items():
            if not slots:
                continue
            touched.add(address)
            per_account = self._storage.setdefault(address, {})
            old_trie = self._storage_tries.get(address)
            record.storage_tries[address] = old_trie
            node = old_trie
            for slot, value in slots.items():
                per_account.setdefault(slot, []).append((number, value))
                record.slots.append((address, slot))
                path = trie.to_nibbles(keccak(slot.to_bytes(32, "big")))
                if value:
                    node = trie.put(node, path, rlp.encode_int(value))
                else:
                    node = trie.delete(node, path)
            self._storage_tries[address] = node
        for address, account in diff.accounts.items():
            self._accounts.setdefault(address, []).append((number, account))
            record.accounts.append(address)
        node = self._account_trie
        head = StateReader(self, number)
        for address in touched:
            account = head.account(address)
            path = trie.to_nibbles(keccak(address))
            if account is None:
                node = trie.delete(node, path)
                if self._storage_tries.get(address) is not None:
                    record.storage_tries.setdefault(address, self._storage_tries[address])
                    self._storage_tries[address] = None
                continue
            storage_root = trie.root_hash(self._storage_tries.get(address))
            node = trie.put(node, path, encode_account(account, storage_root))
        self._account_trie = node
        self._changes.append(record)
        self.head = number
        self.version = next(_VERSIONS)
        if number >= self.keep_tries:
            old = self._changes[number - self.keep_tries]
            if old.kept:
                old.kept, old.account_trie, old.storage_tries = False, None, {}
        return trie.root_hash(node)

    def revert_to(self, commit: int) -> None:
        """Forget every commit after ``commit``."""
        rebuilt = False
        while self.head > commit:
            record = self._changes.pop()
            for address in reversed(record.accounts):
                versions = self._accounts[address]
                versions.pop()
                if not versions:
                    del self._accounts[address]
            for address, slot in reversed(record.slots):
                slot_versions = self._storage[address][slot]
                slot_versions.pop()
                if not slot_versions:
                    del self._storage[address][slot]
            if record.kept:
                self._account_trie = record.account_trie
                self._storage_tries.update(record.storage_tries)
            else:
                rebuilt = True
            self.head -= 1
        if rebuilt:
            self._account_trie, self._storage_tries = self._tries_as_of(self.head)
        self.version = next(_VERSIONS)

    def _tries_as_of(self, commit: int) -> tuple[trie.Node | None, dict[Address, trie.Node | None]]:
        """The account trie and every storage trie as of ``commit``, rebuilt from the
        versions (costs the state's size; see :mod:`mocknode.chain.state.rebuild`)."""
        reader = StateReader(self, commit)
        storage: dict[Address, trie.Node | None] = {}
        for address, slots in self._storage.items():
            if reader.account(address) is not None:  # a deleted account has no storage
                storage[address] = rebuild.storage_trie(
                    (slot, reader.storage(address, slot)) for slot in slots
                )
        leaves = []
        for address in self._accounts:
            account = reader.account(address)
            if account is not None:
                root = trie.root_hash(storage.get(address))
                leaves.append((address, encode_account(account, root)))
        return rebuild.account_trie(leaves), storage

    def diffs_after(self, commit: int) -> list[BlockDiff]:
        """What each commit after ``commit`` wrote, as diffs that :meth:`commit` replays
        to the same roots: a reorg keeps the branch it cuts off this way, so a snapshot
        taken on that branch can bring it back. Codes are left out: they are never
        forgotten, so a replay finds them still here."""
        diffs = []
        for number in range(commit + 1, self.head + 1):
            record = self._changes[number]
            accounts: dict[Address, Account | None] = {}
            for address in record.accounts:
                versions = self._accounts[address]
                accounts[address] = versions[bisect_left(versions, number, key=_first)][1]
            storage: dict[Address, dict[int, int]] = {}
            for address, slot in record.slots:
                slot_versions = self._storage[address][slot]
                value = slot_versions[bisect_left(slot_versions, number, key=_first)][1]
                storage.setdefault(address, {})[slot] = value
            diffs.append(BlockDiff(accounts, storage, {}))
        return diffs

    @property
    def state_root(self) -> bytes:
        return trie.root_hash(self._account_trie)

    def tries_at(self, commit: int, address: Address) -> tuple[trie.Node | None, trie.Node | None]:
        """(account trie, storage trie of ``address``) as of ``commit``, for proofs.

        Each commit's record holds the tries as they were before it, so the state after
        ``commit`` is what commit ``commit + 1`` recorded; walking back costs the number
        of later commits (proofs are rare; nothing else pays for keeping this).
        """
        if commit >= self.head:
            return self._account_trie, self._storage_tries.get(address)
        if not self._changes[commit + 1].kept:
            account_trie, storage_tries = self._tries_as_of(commit)
            return account_trie, storage_tries.get(address)
        account_trie = self._changes[commit + 1].account_trie
        storage = self._storage_tries.get(address)
        for record in reversed(self._changes[commit + 1 :]):
            if address in record.storage_tries:
                storage = record.storage_tries[address]
        return account_trie, storage

    def storage_root(self, address: Address) -> bytes:
        return trie.root_hash(self._storage_tries.get(address))


def encode_account(account: Account, storage_root: bytes = BLANK_ROOT) -> bytes:
    return rlp.encode_list(
        (
            rlp.encode_int(account.nonce),
            rlp.encode_int(account.balance),
            rlp.encode_bytes(storage_root),
            rlp.encode_bytes(account.code_hash),
        )
    )
