"""The transaction pool on its own: by sender and nonce, replacement, what is executable."""

from __future__ import annotations

from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.records import Tx
from mocknode.chain.tx.pool import Hold, Pool
from mocknode.types import Address, Hash32

ALICE = Address(b"\xa1" * 20)
BOB = Address(b"\xb0" * 20)
CAROL = Address(b"\xca" * 20)


def tx(sender: Address, nonce: int, tip: int = 1, version: int = 0) -> Tx:
    """A pooled transaction: the pool reads only hash, sender, nonce and fees."""
    tx_hash = Hash32(keccak(sender + nonce.to_bytes(8, "big") + bytes((version,))))
    return Tx(
        hash=tx_hash,
        type=2,
        sender=sender,
        nonce=nonce,
        gas=21000,
        to=BOB,
        value=0,
        data=b"",
        chain_id=31337,
        gas_price=None,
        max_fee_per_gas=100 + tip,
        max_priority_fee_per_gas=tip,
        access_list=(),
        authorization_list=(),
        v=0,
        r=0,
        s=0,
        raw=b"",
    )


def test_add_indexes_by_hash_and_by_sender_and_nonce() -> None:
    pool = Pool()
    first, second = tx(ALICE, 0), tx(ALICE, 1)
    assert pool.add(first) is None
    assert pool.add(second) is None
    assert len(pool) == 2
    assert pool.get(first.hash) is first
    assert pool.existing(ALICE, 1) is second
    assert pool.existing(ALICE, 2) is None
    assert pool.existing(BOB, 0) is None
    assert pool.senders() == [ALICE]


def test_add_with_a_taken_nonce_replaces_and_returns_the_old_one() -> None:
    pool = Pool()
    old, new = tx(ALICE, 0, tip=1), tx(ALICE, 0, tip=2, version=1)
    pool.add(old)
    assert pool.add(new) is old
    assert len(pool) == 1
    assert pool.get(old.hash) is None
    assert pool.get(new.hash) is new
    assert pool.existing(ALICE, 0) is new
    # Removing the replaced one (a late echo of it) leaves the replacement in place.
    pool.remove(old)
    assert pool.existing(ALICE, 0) is new
    assert len(pool) == 1


def test_remove_forgets_the_sender_with_its_last_transaction() -> None:
    pool = Pool()
    first, second = tx(ALICE, 0), tx(ALICE, 1)
    pool.add(first)
    pool.add(second)
    pool.remove(first)
    assert pool.senders() == [ALICE]
    pool.remove(second)
    assert pool.senders() == []
    assert len(pool) == 0
    pool.remove(second)  # already gone: nothing happens
    assert len(pool) == 0


def test_executable_is_the_next_nonce_of_each_sender_highest_tip_first() -> None:
    pool = Pool()
    for pooled in (tx(ALICE, 0, tip=1), tx(ALICE, 1, tip=9), tx(BOB, 4, tip=3), tx(CAROL, 2, 5)):
        pool.add(pooled)
    ready = pool.executable({ALICE: 0, BOB: 4, CAROL: 0})
    # Carol's nonce 2 waits for 0 and 1; Alice's nonce 1 waits for her nonce 0.
    assert [(t.sender, t.nonce) for t in ready] == [(BOB, 4), (ALICE, 0)]
    assert len(pool) == 4  # asking does not take anything out


def test_executable_drops_transactions_the_state_has_passed() -> None:
    pool = Pool()
    stale, next_one = tx(ALICE, 0), tx(ALICE, 1)
    gone = tx(BOB, 0)
    for pooled in (stale, next_one, gone):
        pool.add(pooled)
    ready = pool.executable({ALICE: 1, BOB: 5})
    assert ready == [next_one]
    assert pool.get(stale.hash) is None
    assert pool.get(gone.hash) is None
    assert pool.senders() == [ALICE]
    assert len(pool) == 1


def test_pending_nonce_follows_the_unbroken_run_from_the_state_nonce() -> None:
    pool = Pool()
    for nonce in (3, 4, 6):
        pool.add(tx(ALICE, nonce))
    assert pool.pending_nonce(ALICE, 3) == 5  # 3 and 4 pooled; 6 is behind a gap
    assert pool.pending_nonce(ALICE, 2) == 2  # the run must start at the state nonce
    assert pool.pending_nonce(ALICE, 6) == 7
    assert pool.pending_nonce(BOB, 8) == 8


def test_copy_is_independent_of_the_original() -> None:
    pool = Pool()
    kept, replaced = tx(ALICE, 0), tx(BOB, 0)
    pool.add(kept)
    pool.add(replaced)
    clone = pool.copy()
    assert len(clone) == 2
    assert clone.get(kept.hash) is kept
    assert clone.existing(BOB, 0) is replaced
    clone.add(tx(CAROL, 0))
    clone.add(tx(BOB, 0, tip=5, version=1))
    pool.remove(kept)
    assert len(pool) == 1
    assert pool.existing(BOB, 0) is replaced
    assert len(clone) == 3
    assert clone.existing(ALICE, 0) is kept
    assert clone.existing(BOB, 0) is not replaced


def test_a_held_transaction_waits_for_its_block_number_and_timestamp() -> None:
    pool = Pool()
    held, other = tx(ALICE, 0, tip=9), tx(BOB, 0)
    pool.add(held)
    pool.add(other)
    assert not pool.holding
    assert pool.hold(held.hash, Hold(not_before_block=5, not_before_timestamp=1000))
    assert pool.holding
    assert pool.held(held.hash) == Hold(5, 1000)
    nonces = {ALICE: 0, BOB: 0}
    assert pool.executable(nonces) == [other]  # no block named: every hold applies
    assert pool.executable(nonces, (4, 2000)) == [other]
    assert pool.executable(nonces, (5, 999)) == [other]
    assert pool.executable(nonces, (5, 1000)) == [held, other]
    assert pool.get(held.hash) is held  # held, still pooled and readable


def test_a_hold_without_a_bound_lasts_until_released() -> None:
    pool = Pool()
    first, second = tx(ALICE, 0), tx(ALICE, 1)
    pool.add(first)
    pool.add(second)
    assert pool.hold(first.hash, Hold())
    assert pool.executable({ALICE: 0}, (10**9, 10**12)) == []  # and it blocks nonce 1
    assert not pool.hold(tx(BOB, 0).hash, Hold())  # not pooled
    assert pool.release(first.hash)
    assert not pool.release(first.hash)
    assert pool.executable({ALICE: 0}) == [first]


def test_holds_go_with_their_transaction_and_copies() -> None:
    pool = Pool()
    old, new = tx(ALICE, 0, tip=1), tx(ALICE, 0, tip=2, version=1)
    pool.add(old)
    pool.hold(old.hash, Hold())
    clone = pool.copy()
    pool.add(new)  # a replacement is not held
    assert pool.held(old.hash) is None
    assert not pool.holding
    assert clone.held(old.hash) == Hold()
    clone.remove(old)
    assert not clone.holding
    stale = Pool()
    stale.add(old)
    stale.hold(old.hash, Hold())
    assert stale.executable({ALICE: 1}) == []  # the state passed it: gone, hold too
    assert not stale.holding


def test_remove_sender_and_clear() -> None:
    pool = Pool()
    mine = [tx(ALICE, 2), tx(ALICE, 0), tx(ALICE, 1)]
    theirs = tx(BOB, 0)
    for pooled in (*mine, theirs):
        pool.add(pooled)
    pool.hold(mine[0].hash, Hold())
    assert pool.remove_sender(ALICE) == [mine[1], mine[2], mine[0]]  # by nonce
    assert pool.remove_sender(ALICE) == []
    assert list(pool) == [theirs]
    assert not pool.holding
    assert pool.senders() == [BOB]
    assert pool.clear() == [theirs]
    assert len(pool) == 0
    assert pool.senders() == []
