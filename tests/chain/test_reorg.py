"""Reorgs and rollbacks on the chain itself: blocks, state, receipts, logs, BLOCKHASH,
listeners, filters, the pool, and snapshots taken on either side of them."""

from __future__ import annotations

import pytest
from chain_helpers import signed

from mocknode.chain import branch as branches
from mocknode.chain.args import TxArgs
from mocknode.chain.block.system import HISTORY_STORAGE_ADDRESS
from mocknode.chain.chain import Chain
from mocknode.chain.clock import FixedClock
from mocknode.chain.config import ChainConfig
from mocknode.chain.errors import InvalidRequest, TxRejected
from mocknode.chain.logs.query import Filters, LogEntry, LogFilter, query_logs
from mocknode.chain.records import Block
from mocknode.chain.reorg import arrange, marker, nonce_ordered
from mocknode.chain.tx.keys import DevAccount
from mocknode.types import LATEST, PENDING, Address, BlockRef, Hash32

# LOG1 with the first calldata word as its topic and no data, then stop.
LOGGER_CODE = bytes.fromhex("600035600060" + "00a100")
# Returns blockhash(first calldata word).
BLOCKHASH_CODE = bytes.fromhex("600035406000526020" + "6000f3")
LOGGER = Address(b"\x10" * 20)
HASHER = Address(b"\x11" * 20)


def new_chain(**options: object) -> Chain:
    chain = Chain(ChainConfig(clock=FixedClock(start=1_700_000_000, step=12), **options))  # type: ignore[arg-type]
    chain.set_code(LOGGER, LOGGER_CODE)
    chain.set_code(HASHER, BLOCKHASH_CODE)
    return chain


def topic(n: int) -> bytes:
    return n.to_bytes(32, "big")


def log_tx(chain: Chain, sender: int, n: int) -> Hash32:
    """Send (from dev account ``sender``) a call that logs topic ``n``."""
    return chain.send_transaction(
        TxArgs(sender=chain.accounts[sender].address, to=LOGGER, data=topic(n), gas=30_000)
    )


def block_topics(block: Block) -> list[int]:
    return [int.from_bytes(r.logs[0].topics[0], "big") for r in block.receipts]


def blockhash_in_evm(chain: Chain, number: int) -> bytes:
    return chain.call(TxArgs(to=HASHER, data=topic(number)), LATEST)


def batch(chain: Chain, *groups: list[tuple[int, int]]) -> None:
    """Mine one block per group of (sender, topic) log calls, automine off meanwhile."""
    chain.set_automine(False)
    for group in groups:
        for sender, n in group:
            log_tx(chain, sender, n)
        chain.mine()
    chain.set_automine(True)


def test_a_reorg_replaces_the_top_blocks_and_returns_their_transactions_to_the_pool() -> None:
    chain = new_chain()
    batch(chain, [(0, 1), (1, 2)], [(0, 3)])
    before = list(chain.blocks)
    orphan_hashes = [tx.hash for block in before[1:] for tx in block.transactions]
    outcome = chain.reorg(2)
    assert [block.number for block in outcome.removed] == [1, 2]
    assert outcome.removed == tuple(before[1:])
    assert [block.number for block in outcome.added] == [1, 2]
    assert chain.head.number == 2  # the same height
    assert chain.blocks[0] is before[0]
    for new, old in zip(chain.blocks[1:], before[1:], strict=True):
        assert new.hash != old.hash
        assert new.header.extra_data == marker(old) == b"reorg:" + old.hash[:8]
        assert new.transactions == ()
        assert chain.block_by_hash(old.hash) is None
    assert chain.blocks[2].header.parent_hash == chain.blocks[1].hash
    # anvil's new branch holds only what it was given; the orphans wait in the pool,
    # automine or not, with the nonces they had.
    assert [tx.hash for tx in outcome.pooled] == orphan_hashes
    for tx_hash in orphan_hashes:
        assert chain.receipt(tx_hash) is None
        assert chain.transaction(tx_hash) is chain.pool.get(tx_hash)
    alice = chain.accounts[0].address
    assert chain.nonce(alice, LATEST) == 0
    assert chain.nonce(alice, PENDING) == 2
    assert query_logs(chain, LogFilter(from_block=BlockRef(number=0))) == []
    # The next block takes them, as the next block of any dev node would.
    chain.mine()
    assert sorted(block_topics(chain.head)) == [1, 2, 3]


def test_listeners_hear_the_orphans_oldest_first_then_the_new_branch() -> None:
    chain = new_chain()
    batch(chain, [(0, 1)], [(0, 2)], [(0, 3)])
    heard: list[tuple[int, Hash32, bool]] = []
    chain.block_listeners.append(
        lambda block, removed: heard.append((block.number, block.hash, removed))
    )
    pending: list[Hash32] = []
    chain.pending_listeners.append(lambda tx: pending.append(tx.hash))
    old = list(chain.blocks)
    outcome = chain.reorg(2, blocks=3)
    assert heard == [
        (2, old[2].hash, True),
        (3, old[3].hash, True),
        (2, chain.blocks[2].hash, False),
        (3, chain.blocks[3].hash, False),
        (4, chain.blocks[4].hash, False),
    ]
    assert pending == [tx.hash for tx in outcome.pooled]  # announced again, as geth's pool does


def test_reinclude_same_puts_every_orphan_back_at_its_offset_in_new_blocks() -> None:
    chain = new_chain()
    batch(chain, [(0, 1), (1, 2)], [(0, 3)], [(2, 4)])
    old = list(chain.blocks)
    balances = [chain.balance(a.address, LATEST) for a in chain.accounts[:3]]
    outcome = chain.reorg(2, reinclude="same")
    assert outcome.pooled == ()
    assert [block_topics(block) for block in chain.blocks[1:]] == [[1, 2], [3], [4]]
    assert chain.blocks[1] is old[1]
    for new, orphan in zip(chain.blocks[2:], old[2:], strict=True):
        assert new.hash != orphan.hash
        assert new.transactions == orphan.transactions
        receipt = chain.receipt(new.transactions[0].hash)
        assert receipt is not None
        assert receipt.block is new
    # Same transactions, same order: the same balances (the coinbase is the zero
    # address). Not the same state root: EIP-2935's contract holds the new parent hashes.
    assert [chain.balance(a.address, LATEST) for a in chain.accounts[:3]] == balances
    assert chain.head.header.state_root != old[-1].header.state_root
    for number in (2, 3):
        stored = chain.storage(HISTORY_STORAGE_ADDRESS, number - 1, LATEST)
        assert stored.to_bytes(32, "big") == chain.blocks[number - 1].hash


def test_reinclude_reverse_and_shuffle_keep_each_senders_nonce_order() -> None:
    chain = new_chain()
    # Alice logs 1, 2 and 4; Bob logs 3 and 5.
    batch(chain, [(0, 1), (0, 2)], [(1, 3), (0, 4)], [(1, 5)])
    chain.reorg(3, reinclude="reverse")
    # Reversed: 5 4 | 3 2 | 1, then each sender's slots refilled in nonce order:
    # Bob's slots (first and third) get 3 then 5, Alice's get 1, 2, 4.
    assert [block_topics(block) for block in chain.blocks[1:]] == [[3, 1], [5, 2], [4]]
    assert len(chain.pool) == 0

    first = new_chain()
    second = new_chain()
    for each in (first, second):
        batch(each, [(0, 1), (1, 2), (2, 3)], [(0, 4), (1, 5)], [(2, 6), (0, 7)])
        each.reorg(3, reinclude="shuffle", seed=7)
    shuffled = [block_topics(block) for block in first.blocks[1:]]
    assert shuffled == [block_topics(block) for block in second.blocks[1:]]
    assert [len(topics) for topics in shuffled] == [3, 2, 2]
    flat = [t for topics in shuffled for t in topics]
    assert sorted(flat) == [1, 2, 3, 4, 5, 6, 7]
    for sender_topics in ([1, 4, 7], [2, 5], [3, 6]):
        order = [t for t in flat if t in sender_topics]
        assert order == sender_topics


def test_arrange_and_nonce_ordered_alone() -> None:
    chain = new_chain()
    batch(chain, [(0, 1), (1, 2)], [(0, 3)])
    txs = [(tx, k) for k, block in enumerate(chain.blocks[1:]) for tx in block.transactions]
    a1, b2, a3 = (tx for tx, _ in txs)
    assert arrange(txs, "none", blocks=2) == [[], []]
    assert arrange(txs, "same", blocks=2) == [[a1, b2], [a3]]
    assert arrange(txs, "same", blocks=1) == [[a1, b2, a3]]  # a shorter branch: the last block
    assert arrange(txs, "same", blocks=0) == []
    assert arrange(txs, "reverse", blocks=2) == [[a1, b2], [a3]]  # a3 before a1 is not allowed
    assert nonce_ordered([a3, b2, a1]) == [a1, b2, a3]
    assert arrange(txs, "same", blocks=3) == [[a1, b2], [a3], []]


def test_drop_removes_orphans_for_good_and_strands_their_senders_later_nonces() -> None:
    chain = new_chain()
    batch(chain, [(0, 1), (1, 2)], [(0, 3)])
    a1, b2 = chain.blocks[1].transactions
    (a3,) = chain.blocks[2].transactions
    outcome = chain.reorg(2, reinclude="same", drop=[a1.hash])
    assert outcome.dropped == (a1,)
    # Alice's second transaction now has a nonce gap: it cannot be mined, so it waits.
    assert outcome.pooled == (a3,)
    assert [block.transactions for block in chain.blocks[1:]] == [(b2,), ()]
    assert chain.transaction(a1.hash) is None
    assert chain.pool.get(a3.hash) is a3

    chain = new_chain()
    batch(chain, [(0, 1), (1, 2)])
    outcome = chain.reorg(1, drop="all")
    assert len(outcome.dropped) == 2
    assert outcome.pooled == ()
    assert len(chain.pool) == 0


def test_given_transactions_go_first_and_win_a_double_spend() -> None:
    chain = new_chain()
    batch(chain, [(0, 1)], [(1, 2)])
    (orphan,) = chain.blocks[1].transactions
    alice: DevAccount = chain.accounts[0]
    # Alice's nonce 0 again, elsewhere: the orphan that spent it cannot come back.
    rival = signed(alice, 0, to=LOGGER, data=topic(9), gas=30_000, max_fee=10**10)
    late = signed(alice, 1, to=LOGGER, data=topic(8), gas=30_000, max_fee=10**10)
    outcome = chain.reorg(2, transactions=[(late, 1), (rival, 0)], reinclude="same")
    assert [block_topics(block) for block in chain.blocks[1:]] == [[9], [8, 2]]
    assert outcome.discarded == (orphan,)
    assert chain.transaction(orphan.hash) is None
    assert chain.nonce(alice.address, LATEST) == 2


def test_a_given_transaction_that_cannot_run_yet_waits_for_the_next_block_then_the_pool() -> None:
    chain = new_chain()
    batch(chain, [(0, 1)], [(0, 2)])
    alice = chain.accounts[0]
    ahead = signed(alice, 1, to=LOGGER, data=topic(7), gas=30_000, max_fee=10**10)
    first = signed(alice, 0, to=LOGGER, data=topic(6), gas=30_000, max_fee=10**10)
    outcome = chain.reorg(2, transactions=[(ahead, 0), (first, 1)], drop="all")
    # Nonce 1 at offset 0 waits for nonce 0 (offset 1) and follows it there.
    assert [block_topics(block) for block in chain.blocks[1:]] == [[], [6, 7]]
    assert outcome.pooled == ()
    assert outcome.discarded == ()

    chain = new_chain()
    batch(chain, [(0, 1)])
    gap = signed(alice, 5, to=LOGGER, data=topic(5), gas=30_000, max_fee=10**10)
    outcome = chain.reorg(1, transactions=[(gap, 0)], drop="all")
    assert outcome.pooled == (gap,)
    assert chain.pool.get(gap.hash) is gap


def test_a_pooled_transaction_given_to_the_new_branch_leaves_the_pool() -> None:
    chain = new_chain(automine=False)
    log_tx(chain, 0, 1)
    chain.mine()
    waiting = chain.pool.get(Hash32(log_tx(chain, 1, 2)))
    assert waiting is not None
    chain.reorg(1, transactions=[(waiting, 0)], drop="all")
    assert block_topics(chain.head) == [2]
    assert len(chain.pool) == 0


def test_bad_requests_change_nothing() -> None:
    chain = new_chain()
    batch(chain, [(0, 1)], [(0, 2)])
    head = chain.head
    with pytest.raises(
        InvalidRequest,
        match=r"^Reorg depth must not exceed current chain height: current height 2, depth 3$",
    ):
        chain.reorg(3)
    with pytest.raises(InvalidRequest, match=r"Block number 2 must not exceed \(depth-1\) 1$"):
        chain.reorg(2, transactions=[(chain.blocks[1].transactions[0], 2)])
    with pytest.raises(InvalidRequest, match="is not in the blocks the reorg replaces"):
        chain.reorg(1, drop=[chain.blocks[1].transactions[0].hash])
    with pytest.raises(InvalidRequest, match="unknown reinclude mode 'back'"):
        chain.reorg(1, reinclude="back")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest, match="cannot mine -1 blocks"):
        chain.reorg(1, blocks=-1)
    short = signed(chain.accounts[0], 2, gas=20_000)
    with pytest.raises(TxRejected, match="intrinsic gas too low"):
        chain.reorg(1, transactions=[(short, 0)])
    assert chain.head is head
    assert chain.reorg(0).added == ()  # anvil accepts a reorg of depth 0: nothing happens
    assert chain.head is head


def test_blockhash_in_the_evm_follows_the_new_branch() -> None:
    chain = new_chain()
    chain.mine(3)
    old = [block.hash for block in chain.blocks]
    assert blockhash_in_evm(chain, 2) == old[2]
    chain.reorg(2, blocks=3)
    assert chain.head.number == 4
    for n in (1, 2, 3):
        assert blockhash_in_evm(chain, n) == chain.blocks[n].hash
    assert blockhash_in_evm(chain, 2) != old[2]
    # A transaction executing in the new branch sees it too (EIP-2935's contract as well).
    assert chain.call(TxArgs(to=HASHER, data=topic(3)), BlockRef(number=4)) == chain.blocks[3].hash


def test_rollback_shortens_the_chain_and_mines_nothing_even_with_automine() -> None:
    chain = new_chain()
    batch(chain, [(0, 1)], [(1, 2)])
    tx_hash = chain.blocks[2].transactions[0].hash
    outcome = chain.rollback()
    assert chain.head.number == 1
    assert outcome.added == ()
    assert [b.number for b in outcome.removed] == [2]
    assert chain.automine
    assert chain.pool.get(tx_hash) is not None
    assert chain.receipt(tx_hash) is None
    log_tx(chain, 2, 3)  # the next transaction mines the waiting one too
    assert chain.receipt(tx_hash) is not None
    assert chain.head.number == 3


def test_dev_edits_on_the_common_block_stay_and_those_on_the_branch_go() -> None:
    chain = new_chain()
    chain.mine()
    stranger = Address(b"\x42" * 20)
    chain.set_balance(stranger, 5)
    chain.mine()
    chain.set_balance(stranger, 6)
    chain.reorg(1)
    assert chain.balance(stranger, LATEST) == 5


def test_log_filters_see_removed_logs_first_then_the_new_branch() -> None:
    chain = new_chain()
    filters = Filters(chain)
    logs = filters.install("logs", LogFilter(addresses=(LOGGER,)))
    heads = filters.install("blocks")
    batch(chain, [(0, 1)], [(1, 2), (2, 3)])
    filters.changes(logs)
    filters.changes(heads)
    old = list(chain.blocks)
    chain.reorg(2, reinclude="same")
    changes = filters.changes(logs)
    assert all(isinstance(entry, LogEntry) for entry in changes)
    seen = [
        (
            entry.block.hash,
            entry.log_index,
            int.from_bytes(entry.log.topics[0], "big"),
            entry.removed,
        )
        for entry in changes
        if isinstance(entry, LogEntry)
    ]
    assert seen == [
        (old[1].hash, 0, 1, True),
        (old[2].hash, 0, 2, True),
        (old[2].hash, 1, 3, True),
        (chain.blocks[1].hash, 0, 1, False),
        (chain.blocks[2].hash, 0, 2, False),
        (chain.blocks[2].hash, 1, 3, False),
    ]
    assert filters.changes(heads) == [chain.blocks[1].hash, chain.blocks[2].hash]


def test_a_revert_is_silent() -> None:
    chain = new_chain()
    snap = chain.snapshot()
    batch(chain, [(0, 1)])
    heard: list[bool] = []
    chain.block_listeners.append(lambda block, removed: heard.append(removed))
    assert chain.revert(snap)
    assert heard == []


# -- snapshots across reorgs --------------------------------------------------------------


def fingerprint(chain: Chain) -> tuple[object, ...]:
    """Everything a revert must give back, in comparable form."""
    txs = [tx.hash for block in chain.blocks for tx in block.transactions]
    return (
        [block.hash for block in chain.blocks],
        chain.state.state_root,
        chain.state.head,
        [chain.receipt(h).block.hash for h in txs],  # type: ignore[union-attr]
        [
            (e.block.number, e.log_index)
            for e in query_logs(chain, LogFilter(from_block=BlockRef(number=0)))
        ],
        sorted(tx.hash for tx in chain.pool),
        blockhash_in_evm(chain, chain.head.number - 1),
    )


def test_a_snapshot_taken_before_a_reorg_brings_the_old_branch_back() -> None:
    chain = new_chain()
    batch(chain, [(0, 1)], [(1, 2)], [(2, 3)])
    chain.set_balance(Address(b"\x42" * 20), 9)  # an edit on top of the head is kept too
    snap = chain.snapshot("before")
    before = fingerprint(chain)
    chain.reorg(2, reinclude="same")
    chain.reorg(3, blocks=4)
    assert fingerprint(chain) != before
    assert chain.revert("before")
    assert fingerprint(chain) == before
    assert chain.balance(Address(b"\x42" * 20), LATEST) == 9
    # Still usable, after more blocks and another reorg.
    batch(chain, [(0, 4)])
    chain.rollback(3)
    assert chain.revert(snap)
    assert fingerprint(chain) == before
    assert chain.revert(snap)
    assert fingerprint(chain) == before


def test_snapshots_on_both_sides_of_a_reorg() -> None:
    chain = new_chain()
    batch(chain, [(0, 1)])
    early = chain.snapshot()
    early_print = fingerprint(chain)
    batch(chain, [(1, 2)], [(2, 3)])
    old = chain.snapshot()
    old_print = fingerprint(chain)
    chain.reorg(2, reinclude="reverse")
    new = chain.snapshot()
    # Back to the old branch: the snapshot taken on the new one is gone with it.
    assert chain.revert(old)
    assert fingerprint(chain) == old_print
    assert not chain.revert(new)
    # A snapshot below the reorg never needed the branch.
    assert chain.revert(early)
    assert fingerprint(chain) == early_print
    # `old` carries its branch from `early`'s state on: it outlives this revert.
    assert chain.revert(old)
    assert fingerprint(chain) == old_print

    chain = new_chain()
    batch(chain, [(0, 1)], [(1, 2)])
    chain.reorg(1, reinclude="same")
    on_new = chain.snapshot()
    on_new_print = fingerprint(chain)
    chain.reorg(2)  # cuts below the snapshot's blocks as well
    assert chain.revert(on_new)
    assert fingerprint(chain) == on_new_print


def test_cut_and_restore_give_back_the_same_chain() -> None:
    chain = new_chain()
    batch(chain, [(0, 1), (1, 2)], [(0, 3)], [])
    chain.set_storage(LOGGER, 1, 2)
    before = fingerprint(chain)
    commits = list(chain.canon.commits)
    cut_off = branches.cut(chain.canon, chain.state, 1)
    assert [block.number for block in cut_off.blocks] == [2, 3]
    assert cut_off.commit == commits[-1] + 1  # the storage edit after the head
    assert chain.head.number == 1
    assert chain.state.head == commits[2] - 1
    assert cut_off.on(chain.canon, chain.state)
    branches.restore(chain.canon, chain.state, cut_off)
    assert fingerprint(chain) == before
    assert chain.canon.commits == commits
    assert chain.storage(LOGGER, 1, LATEST) == 2
