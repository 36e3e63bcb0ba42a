"""The pending block on a Chain: what it holds, what reads at ``pending`` see, and that
building it leaves the chain as it was."""

from __future__ import annotations

from chain_helpers import deploy_greeter

from mocknode.chain.args import TxArgs
from mocknode.chain.chain import Chain
from mocknode.chain.clock import FixedClock
from mocknode.chain.config import ChainConfig
from mocknode.chain.fees import next_base_fee
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.state.overlay import OverlayReader
from mocknode.chain.state.world import BlockDiff
from mocknode.types import LATEST, PENDING, ZERO_HASH, Address, BlockRef

STEP = 12


def fixed_chain(automine: bool = True) -> Chain:
    return Chain(ChainConfig(clock=FixedClock(start=1_700_000_000, step=STEP), automine=automine))


def transfer(chain: Chain, value: int, nonce: int | None = None) -> bytes:
    sender, receiver = chain.accounts[0].address, chain.accounts[1].address
    return chain.send_transaction(TxArgs(sender=sender, to=receiver, value=value, nonce=nonce))


def test_an_idle_chain_pends_an_empty_block_on_the_head() -> None:
    chain = fixed_chain()
    head = chain.head
    pending = chain.resolve(PENDING)
    assert pending.number == head.number + 1
    assert pending.header.parent_hash == head.hash
    assert pending.transactions == ()
    assert pending.header.base_fee_per_gas == next_base_fee(head.header)
    assert pending.header.timestamp == head.header.timestamp + STEP
    assert pending.header.mix_hash == ZERO_HASH  # geth's miner: no randomness
    assert chain.head is head  # nothing appended


def test_the_pending_block_executes_the_pools_executable_transactions() -> None:
    chain = fixed_chain(automine=False)
    sender, receiver = chain.accounts[0].address, chain.accounts[1].address
    first = transfer(chain, 5)
    gapped = transfer(chain, 7, nonce=3)  # waits behind a nonce gap
    pending = chain.resolve(PENDING)
    assert [tx.hash for tx in pending.transactions] == [first]
    assert gapped not in [tx.hash for tx in pending.transactions]
    assert pending.header.gas_used == 21_000
    before = chain.balance(receiver, LATEST)
    assert chain.balance(receiver, PENDING) == before + 5
    assert chain.nonce(sender, BlockRef(number=pending.number - 1)) == 0
    # The pending nonce is the pool's (geth's GetPoolNonce): next after the gapless run.
    assert chain.nonce(sender, PENDING) == 1
    assert chain.receipt(first) is None  # still only pending


def test_the_pending_block_is_the_block_mining_will_produce() -> None:
    chain = fixed_chain(automine=False)
    transfer(chain, 5)
    transfer(chain, 6)
    pending = chain.resolve(PENDING)
    proof = chain.proof(chain.accounts[1].address, [], PENDING)
    mined = chain.mine_block()
    # Same transactions, receipts and state; only the randomness differs (zero when pending).
    assert mined.header.state_root == pending.header.state_root
    assert mined.header.receipts_root == pending.header.receipts_root
    assert mined.header.transactions_root == pending.header.transactions_root
    assert mined.header.timestamp == pending.header.timestamp
    assert proof.balance == chain.balance(chain.accounts[1].address, LATEST)


def test_building_the_pending_block_leaves_the_state_as_it_was() -> None:
    chain = fixed_chain(automine=False)
    transfer(chain, 5)
    head_commit, root = chain.state.head, chain.state.state_root
    chain.resolve(PENDING)
    chain.proof(chain.accounts[0].address, [0], PENDING)
    assert (chain.state.head, chain.state.state_root) == (head_commit, root)
    assert len(chain.pool) == 1


def test_it_is_rebuilt_when_the_pool_the_head_or_the_time_changes() -> None:
    chain = fixed_chain(automine=False)
    empty = chain.resolve(PENDING)
    assert chain.resolve(PENDING) is empty  # one build serves the reads of one moment
    transfer(chain, 1)
    with_one = chain.resolve(PENDING)
    assert len(with_one.transactions) == 1
    chain.mine_block()
    after_mining = chain.resolve(PENDING)
    assert after_mining.number == with_one.number + 1
    assert after_mining.transactions == ()
    chain.time.increase(100)
    assert chain.resolve(PENDING).header.timestamp == after_mining.header.timestamp + 100
    chain.set_next_timestamp(after_mining.header.timestamp + 1000)
    assert chain.resolve(PENDING).header.timestamp == after_mining.header.timestamp + 1000


def test_dev_edits_show_in_the_pending_state() -> None:
    chain = fixed_chain()
    somebody = Address(b"\x42" * 20)
    chain.set_balance(somebody, 77)
    chain.set_storage(somebody, 3, 9)
    assert chain.balance(somebody, PENDING) == 77
    assert chain.storage(somebody, 3, PENDING) == 9


def test_calls_run_on_the_pending_state_and_block() -> None:
    chain = fixed_chain()
    greeter = deploy_greeter(chain)
    chain.set_automine(False)
    sender = chain.accounts[0].address
    # increment() sits in the pool; a call at pending sees the counter it leaves.
    increment = keccak(b"increment()")[:4]
    counter = keccak(b"counter()")[:4]
    chain.send_transaction(TxArgs(sender=sender, to=greeter, data=increment, gas=100_000))
    at_latest = chain.call(TxArgs(to=greeter, data=counter), LATEST)
    at_pending = chain.call(TxArgs(to=greeter, data=counter), PENDING)
    assert int.from_bytes(at_latest, "big") == 0
    assert int.from_bytes(at_pending, "big") == 1
    assert chain.estimate_gas(TxArgs(sender=sender, to=greeter, data=increment), PENDING) > 21_000


def test_the_overlay_reads_the_diff_first_then_the_base() -> None:
    chain = fixed_chain()
    base = chain.state.reader()
    known = chain.accounts[0].address
    fresh = Address(b"\x01" * 20)
    code = b"\x60\x00"
    diff = BlockDiff(
        {fresh: base.account(known)._replace(code_hash=keccak(code))},  # type: ignore[union-attr]
        {fresh: {1: 5, 2: 0}},
        {keccak(code): code},
    )
    overlay = OverlayReader(base, diff)
    assert overlay.account(known) == base.account(known)
    assert overlay.account(fresh) == diff.accounts[fresh]
    assert overlay.storage(fresh, 1) == 5
    assert overlay.storage(fresh, 7) == 0
    assert overlay.code(keccak(code)) == code
    assert overlay.slots_of(fresh) == [1]
