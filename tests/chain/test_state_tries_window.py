"""WorldState keeps the tries from before each commit for its last ``keep_tries`` commits
only, and rebuilds older ones from the versions: the roots, proofs and reverts must come
out exactly as with every trie kept."""

from __future__ import annotations

import random

import pytest

from mocknode.chain.primitives import trie
from mocknode.chain.primitives.hashing import EMPTY_CODE_HASH
from mocknode.chain.state.world import Account, BlockDiff, WorldState
from mocknode.types import Address

ADDRESSES = [Address(bytes([i]) * 20) for i in range(1, 7)]


def diffs(count: int, seed: int) -> list[BlockDiff]:
    """Random commits: balances, storage writes and zeroes, accounts deleted (their
    slots spelled out as zeroes, as the journal's diff does) and created again."""
    rng = random.Random(seed)
    live: dict[Address, dict[int, int]] = {}
    out = []
    for _ in range(count):
        accounts: dict[Address, Account | None] = {}
        storage: dict[Address, dict[int, int]] = {}
        for address in rng.sample(ADDRESSES, rng.randint(0, 3)):
            if address in live and rng.random() < 0.15:
                accounts[address] = None
                storage[address] = dict.fromkeys(live.pop(address), 0)
                continue
            accounts[address] = Account(rng.randint(0, 3), rng.randint(0, 10**18), EMPTY_CODE_HASH)
            slots = live.setdefault(address, {})
            writes = {rng.randint(0, 40): rng.choice([0, rng.randint(1, 2**200)]) for _ in range(3)}
            slots.update(writes)
            storage[address] = writes
        out.append(BlockDiff(accounts, storage, {}))
    return out


def roots(state: WorldState, commit: int) -> list[bytes]:
    """The account root and every storage root as of ``commit``, through ``tries_at``."""
    found = []
    for address in ADDRESSES:
        account_trie, storage_trie = state.tries_at(commit, address)
        found += [trie.root_hash(account_trie), trie.root_hash(storage_trie)]
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_old_tries_are_rebuilt_equal(seed: int) -> None:
    steps = diffs(40, seed)
    windowed, full = WorldState(keep_tries=4), WorldState(keep_tries=10**9)
    for diff in steps:
        assert windowed.commit(diff) == full.commit(diff)
    assert [c.kept for c in windowed._changes].count(True) == 4
    for commit in range(len(steps)):
        assert roots(windowed, commit) == roots(full, commit), commit


@pytest.mark.parametrize("target", [38, 30, 5, 0])
def test_revert_past_the_window_then_commit_again(target: int) -> None:
    steps = diffs(40, 7)
    windowed, full = WorldState(keep_tries=4), WorldState(keep_tries=10**9)
    for diff in steps:
        windowed.commit(diff)
        full.commit(diff)
    windowed.revert_to(target)
    full.revert_to(target)
    assert windowed.state_root == full.state_root
    assert roots(windowed, target) == roots(full, target)
    for diff in diffs(10, 8):  # the tries after the revert are the ones commits build on
        assert windowed.commit(diff) == full.commit(diff)
    assert roots(windowed, target + 3) == roots(full, target + 3)
