"""Block building with explicit inputs: a state, a pool, a parent and an environment.

Roots are checked against py-trie and pyrlp (test-only references), balances to the
wei, and the order of inclusion against geth's rule (next nonce per sender, highest
tip first).
"""

from __future__ import annotations

from typing import Any

import pytest
import rlp as rlp_ref
from chain_helpers import (
    CHAIN_ID,
    COINBASE,
    DEV,
    FUNDS,
    GENESIS_TIME,
    ancestors_of,
    install,
    new_world,
    signed,
)
from eth_utils import ValidationError
from trie import HexaryTrie

from mocknode.chain.block import mining, system
from mocknode.chain.config import GWEI
from mocknode.chain.evm import engine
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.records import Block, Tx
from mocknode.chain.state.world import WorldState
from mocknode.chain.tx.keys import DevAccount
from mocknode.chain.tx.pool import Pool
from mocknode.types import Address, Hash32

ALICE, BOB, CAROL, DAVE = DEV
BLOCK_1_BASE_FEE = 875_000_000  # genesis (1 gwei) used no gas: the fee falls by 1/8
LOGGER = Address(b"\x1a" * 20)  # LOG1(calldata, topic = its length), then returns it


def env_after(parent: Block, *, gas_limit: int = 30_000_000) -> engine.BlockEnv:
    return mining.block_env(
        parent,
        parent.header.timestamp + 12,
        coinbase=COINBASE,
        gas_limit=gas_limit,
        chain_id=CHAIN_ID,
        ancestor_hashes=ancestors_of(parent),
    )


def offer(dev: DevAccount, nonce: int, **fields: Any) -> Tx:
    """A signed transaction whose fee cap (30 gwei unless given) covers any tip here."""
    fields.setdefault("max_fee", 30 * GWEI)
    return signed(dev, nonce, **fields)


def pool_of(*txs: Tx) -> Pool:
    pool = Pool()
    for tx in txs:
        pool.add(tx)
    return pool


def ordered_trie_root(items: list[bytes]) -> bytes:
    reference = HexaryTrie({})
    for i, item in enumerate(items):
        reference[rlp_ref.encode(i)] = item
    return reference.root_hash


def balance(state: WorldState, address: Address) -> int:
    account = state.reader().account(address)
    return account.balance if account else 0


def test_block_env_follows_the_parent() -> None:
    _, genesis = new_world()
    env = env_after(genesis, gas_limit=1_000_000)
    assert env.number == 1
    assert env.timestamp == GENESIS_TIME + 12
    assert env.base_fee == BLOCK_1_BASE_FEE
    assert env.prev_randao == keccak(genesis.hash + b"\x01")
    assert (env.coinbase, env.gas_limit, env.chain_id) == (COINBASE, 1_000_000, CHAIN_ID)


def test_receipts_roots_header_and_balances() -> None:
    state, genesis = new_world()
    txs = [offer(dev, 0, value=1000 + i, tip=(i + 1) * GWEI) for i, dev in enumerate(DEV[:3])]
    pool = pool_of(*txs)
    before = {dev.address: balance(state, dev.address) for dev in DEV}
    env = env_after(genesis)
    block = mining.build_block(state, pool, genesis, env)

    assert block.transactions == (txs[2], txs[1], txs[0])  # highest tip first
    assert [r.cumulative_gas_used for r in block.receipts] == [21000, 42000, 63000]
    assert all(r.success and r.gas_used == 21000 and r.logs == () for r in block.receipts)
    assert [r.effective_gas_price for r in block.receipts] == [
        BLOCK_1_BASE_FEE + 3 * GWEI,
        BLOCK_1_BASE_FEE + 2 * GWEI,
        BLOCK_1_BASE_FEE + GWEI,
    ]
    header = block.header
    assert (header.number, header.parent_hash, header.timestamp) == (1, genesis.hash, env.timestamp)
    assert (header.gas_used, header.gas_limit) == (63000, 30_000_000)
    assert (header.base_fee_per_gas, header.coinbase) == (BLOCK_1_BASE_FEE, COINBASE)
    assert header.mix_hash == env.prev_randao
    assert header.state_root == state.state_root
    assert header.transactions_root == ordered_trie_root([tx.raw for tx in txs[::-1]])
    assert header.receipts_root == ordered_trie_root([r.encode() for r in block.receipts])
    assert block.hash == keccak(rlp_ref.encode(rlp_ref.decode(header.encode())))
    assert len(pool) == 0

    for i, dev in enumerate(DEV[:3]):
        spent = 21000 * (BLOCK_1_BASE_FEE + (i + 1) * GWEI) + 1000 + i
        assert balance(state, dev.address) == before[dev.address] - spent
    assert balance(state, DAVE.address) == before[DAVE.address] + 3000 + 3
    assert balance(state, COINBASE) == 21000 * 6 * GWEI  # the tips; the base fee is burnt


def test_system_contracts_are_written_before_the_transactions() -> None:
    state, genesis = new_world()
    env = env_after(genesis)
    block = mining.build_block(state, Pool(), genesis, env)
    assert block.transactions == ()
    assert block.header.gas_used == 0
    reader = state.reader()
    slot = env.timestamp % system.BEACON_ROOTS_BUFFER
    assert reader.storage(system.BEACON_ROOTS_ADDRESS, slot) == env.timestamp
    assert reader.storage(system.HISTORY_STORAGE_ADDRESS, 0) == int.from_bytes(genesis.hash)


def test_each_sender_goes_in_nonce_order_and_gaps_wait() -> None:
    state, genesis = new_world()
    alice_0 = offer(ALICE, 0, tip=1 * GWEI)
    alice_1 = offer(ALICE, 1, tip=9 * GWEI)
    bob_0 = offer(BOB, 0, tip=3 * GWEI)
    alice_gap = offer(ALICE, 3, tip=20 * GWEI)
    pool = pool_of(alice_0, alice_1, bob_0, alice_gap)
    block = mining.build_block(state, pool, genesis, env_after(genesis))
    # Bob's tip beats Alice's first; her second becomes executable once her first is in.
    assert block.transactions == (bob_0, alice_0, alice_1)
    assert len(pool) == 1
    assert pool.get(alice_gap.hash) is alice_gap


def test_the_gas_limit_skips_what_does_not_fit_and_takes_what_does() -> None:
    state, genesis = new_world()
    big_first = offer(ALICE, 0, gas=30_000, tip=3 * GWEI)  # uses 21,000 of its 30,000
    too_big = offer(BOB, 0, gas=29_001, tip=2 * GWEI)  # 29,000 left: skipped
    small = offer(CAROL, 0, gas=21_000, tip=1 * GWEI)
    pool = pool_of(big_first, too_big, small)
    block = mining.build_block(state, pool, genesis, env_after(genesis, gas_limit=50_000))
    assert block.transactions == (big_first, small)
    assert (block.header.gas_used, block.header.gas_limit) == (42_000, 50_000)
    assert len(pool) == 1
    assert pool.get(too_big.hash) is too_big


def test_max_transactions_leaves_the_rest_in_the_pool() -> None:
    state, genesis = new_world()
    first, second = offer(ALICE, 0, tip=2 * GWEI), offer(BOB, 0)
    pool = pool_of(first, second)
    block = mining.build_block(state, pool, genesis, env_after(genesis), max_transactions=1)
    assert block.transactions == (first,)
    assert len(pool) == 1
    assert pool.get(second.hash) is second


def test_fee_cap_below_the_base_fee_waits_and_the_unaffordable_is_dropped() -> None:
    state, genesis = new_world()
    install(state, Address(DAVE.address), balance=21000 * 2 * GWEI)  # Dave: one transfer's worth
    cheap = offer(ALICE, 0, max_fee=BLOCK_1_BASE_FEE - 1, tip=0)
    dave_0 = offer(DAVE, 0, to=ALICE.address, max_fee=2 * GWEI)
    dave_1 = offer(DAVE, 1, to=ALICE.address, max_fee=2 * GWEI)
    pool = pool_of(cheap, dave_0, dave_1)
    block = mining.build_block(state, pool, genesis, env_after(genesis))
    assert block.transactions == (dave_0,)
    # The cheap one may fit a later block; Dave's second can no longer pay and is gone.
    assert len(pool) == 1
    assert pool.get(cheap.hash) is cheap


def test_the_base_fee_moves_with_the_parents_gas_use() -> None:
    state, genesis = new_world()
    # A 42,000-gas block holding two transfers is full: twice its 21,000 target.
    full = mining.build_block(
        state,
        pool_of(offer(ALICE, 0), offer(BOB, 0)),
        genesis,
        env_after(genesis, gas_limit=42_000),
    )
    assert full.header.gas_used == 42_000
    assert env_after(full).base_fee == BLOCK_1_BASE_FEE + BLOCK_1_BASE_FEE // 8
    half = mining.build_block(
        state, pool_of(offer(CAROL, 0)), full, env_after(full, gas_limit=42_000)
    )
    assert half.header.base_fee_per_gas == 984_375_000
    assert env_after(half).base_fee == 984_375_000  # at the target: unchanged


def test_logs_receipts_and_created_contracts() -> None:
    state, genesis = new_world()
    # CALLDATACOPY it all to memory, LOG1(0, size, topic = size), RETURN it.
    install(state, LOGGER, code=bytes.fromhex("365f5f3736365fa1365ff3"))
    first = offer(ALICE, 0, to=LOGGER, gas=50_000, data=b"\x01\x02", tip=3 * GWEI)
    second = offer(BOB, 0, to=LOGGER, gas=50_000, data=b"\x03", tip=2 * GWEI)
    create = offer(CAROL, 0, to=None, gas=100_000, data=bytes.fromhex("60016000f3"))
    block = mining.build_block(state, pool_of(first, second, create), genesis, env_after(genesis))
    one, two, three = block.receipts
    assert [log.data for log in one.logs + two.logs] == [b"\x01\x02", b"\x03"]
    assert one.logs[0].topics == (Hash32((2).to_bytes(32, "big")),)
    assert (one.first_log_index, two.first_log_index, three.first_log_index) == (0, 1, 2)
    assert three.contract_address == keccak(rlp_ref.encode([CAROL.address, 0]))[12:]
    assert one.contract_address is None
    assert state.reader().code(keccak(b"\x00")) == b"\x00"  # the code it returned
    assert int.from_bytes(block.header.logs_bloom) == int.from_bytes(one.bloom) | int.from_bytes(
        two.bloom
    )
    assert one.bloom != two.bloom
    assert three.bloom == bytes(256)


def test_a_failure_half_way_leaves_nothing_applied() -> None:
    state, genesis = new_world()
    root, head = state.state_root, state.head
    good = offer(ALICE, 0, tip=3 * GWEI)
    # An intrinsic-gas violation the pool would have refused: execution raises on it.
    broken = offer(BOB, 0, gas=20_000, tip=2 * GWEI)
    waiting = offer(CAROL, 0, tip=1 * GWEI)
    pool = pool_of(good, broken, waiting)
    with pytest.raises(ValidationError):
        mining.build_block(state, pool, genesis, env_after(genesis))
    assert (state.state_root, state.head) == (root, head)
    assert balance(state, ALICE.address) == FUNDS  # the good one's effects are gone too
    assert pool.get(broken.hash) is None  # never retried into the next block
    assert pool.get(waiting.hash) is waiting  # not reached: still pooled
    block = mining.build_block(state, pool, genesis, env_after(genesis))
    assert block.transactions == (waiting,)
