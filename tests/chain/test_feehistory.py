"""eth_feeHistory's computation on its own: rewards, ratios, blob fees, the range, the checks.

Blocks are built by hand (records, signed transactions, receipts with chosen gas), so
each expectation is worked out from geth's rules in the test itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from chain_helpers import CHAIN_ID, DEV, new_world

from mocknode.chain.errors import ChainError
from mocknode.chain.feehistory import (
    EMPTY_HISTORY,
    MAX_BLOB_GAS_PER_BLOCK,
    TARGET_BLOB_GAS_PER_BLOCK,
    FeeHistory,
    InvalidPercentile,
    blob_base_fee,
    block_rewards,
    check_percentiles,
    fake_exponential,
    fee_history,
    history_of,
    next_excess_blob_gas,
)
from mocknode.chain.fees import next_base_fee
from mocknode.chain.records import Block, Receipt, Tx
from mocknode.chain.tx import codec as txcodec
from mocknode.types import Address, BlockRef
from mocknode.values import replace

GWEI = 10**9
BASE = 10 * GWEI
TO = Address(b"\x11" * 20)
_, GENESIS = new_world()


def signed(nonce: int, *, tip: int | None = None, cap: int = 100 * GWEI, price: int = 0) -> Tx:
    """A type-2 transaction (``tip``/``cap``) or, with ``price``, a legacy one."""
    legacy = price > 0
    return txcodec.sign(
        private_key=DEV[0].private_key,
        sender=DEV[0].address,
        chain_id=CHAIN_ID,
        tx_type=0 if legacy else 2,
        nonce=nonce,
        gas=100_000,
        to=TO,
        value=0,
        data=b"",
        gas_price=price,
        max_fee_per_gas=cap,
        max_priority_fee_per_gas=tip or 0,
    )


def receipt(tx: Tx, gas_used: int) -> Receipt:
    return Receipt(tx.type, True, gas_used, 0, (), bytes(256), None, 0, 0)


def block(
    number: int,
    txs: list[tuple[Tx, int]] = (),  # type: ignore[assignment]
    *,
    base_fee: int = BASE,
    gas_limit: int = 30_000_000,
    blob_gas_used: int = 0,
    excess_blob_gas: int = 0,
) -> Block:
    """Block ``number`` holding ``txs`` (each with the gas its receipt reports)."""
    header = replace(
        GENESIS.header,
        number=number,
        base_fee_per_gas=base_fee,
        gas_limit=gas_limit,
        gas_used=sum(gas for _, gas in txs),
        blob_gas_used=blob_gas_used,
        excess_blob_gas=excess_blob_gas,
    )
    return Block(
        header,
        GENESIS.hash,
        tuple(tx for tx, _ in txs),
        tuple(receipt(tx, gas) for tx, gas in txs),
        0,
    )


# -- rewards ------------------------------------------------------------------------------


def test_rewards_walk_the_tips_in_ascending_order_weighted_by_gas() -> None:
    # Tips 5, 1, 3 gwei over 21k, 50k and 29k gas: sorted (1: 50k) (3: 29k) (5: 21k),
    # cumulative 50k, 79k, 100k. A percentile's threshold is that share of 100k gas; the
    # walk stops at the first transaction whose cumulative gas reaches it.
    b = block(
        1,
        [
            (signed(0, tip=5 * GWEI), 21_000),
            (signed(1, tip=1 * GWEI), 50_000),
            (signed(2, tip=3 * GWEI), 29_000),
        ],
    )
    percentiles = [0, 25, 50, 50.001, 79, 79.001, 100]
    assert block_rewards(b, percentiles) == (
        1 * GWEI,
        1 * GWEI,
        1 * GWEI,  # 50k reached exactly by the first
        3 * GWEI,
        3 * GWEI,
        5 * GWEI,
        5 * GWEI,
    )


def test_the_effective_tip_is_capped_by_the_fee_cap_over_the_base_fee() -> None:
    capped = signed(0, tip=8 * GWEI, cap=BASE + 2 * GWEI)  # pays only 2 gwei over the base fee
    legacy = signed(1, price=BASE + 3 * GWEI)  # a legacy price: all of it above the base is tip
    b = block(1, [(capped, 21_000), (legacy, 21_000)])
    assert block_rewards(b, [0, 100]) == (2 * GWEI, 3 * GWEI)


def test_equal_tips_keep_their_block_order() -> None:
    # A stable sort: with equal tips, the walk meets them in block order, so the gas of
    # the first one decides where a percentile lands.
    b = block(1, [(signed(0, tip=GWEI), 90_000), (signed(1, tip=GWEI), 10_000)])
    assert block_rewards(b, [90, 95]) == (GWEI, GWEI)


def test_a_block_without_transactions_rewards_zero() -> None:
    assert block_rewards(block(1), [10, 90]) == (0, 0)


def test_thresholds_are_floats_truncated_to_whole_gas() -> None:
    # geth computes uint64(float64(gasUsed) * p / 100). With 19 gas used and p = 500/19,
    # the float result is 4.999999999999999, so the threshold is 4, not 5: the first
    # transaction's 4 gas already reach it and the walk stays on the cheaper tip.
    cheap, dear = signed(0, tip=GWEI), signed(1, tip=2 * GWEI)
    b = block(1, [(cheap, 4), (dear, 15)])
    p = 500 / 19
    assert 19.0 * p / 100 == 4.999999999999999
    assert block_rewards(b, [p]) == (GWEI,)
    assert block_rewards(b, [26.4]) == (2 * GWEI,)  # 5.016: past the first transaction


# -- percentiles ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percentiles", "message"),
    [
        ([101], "invalid reward percentile: 101.000000"),
        ([-1], "invalid reward percentile: -1.000000"),
        ([10, 100.5], "invalid reward percentile: 100.500000"),
        ([50, 50], "invalid reward percentile: #0:50.000000 >= #1:50.000000"),
        ([10, 60, 20.25], "invalid reward percentile: #1:60.000000 >= #2:20.250000"),
    ],
)
def test_percentiles_must_rise_within_0_to_100(percentiles: list[float], message: str) -> None:
    with pytest.raises(InvalidPercentile) as info:
        check_percentiles(percentiles)
    assert info.value.message == message


def test_valid_percentiles_pass() -> None:
    check_percentiles([])
    check_percentiles([0, 0.5, 99.9, 100])


# -- blob fees ----------------------------------------------------------------------------


def test_fake_exponential_follows_eip_4844() -> None:
    assert fake_exponential(1, 0, 5007716) == 1
    assert fake_exponential(1, 5007716, 5007716) == 2  # floor(e)
    assert fake_exponential(10, 5007716, 5007716) == 27  # floor(10 e)
    assert blob_base_fee(0) == 1


def test_excess_blob_gas_carries_what_exceeds_the_target() -> None:
    header = replace(GENESIS.header, excess_blob_gas=0, blob_gas_used=TARGET_BLOB_GAS_PER_BLOCK)
    assert next_excess_blob_gas(header) == 0
    full = replace(header, blob_gas_used=MAX_BLOB_GAS_PER_BLOCK, excess_blob_gas=1000)
    assert next_excess_blob_gas(full) == 1000 + MAX_BLOB_GAS_PER_BLOCK - TARGET_BLOB_GAS_PER_BLOCK


# -- histories ----------------------------------------------------------------------------


def test_history_of_blocks_includes_the_next_base_fee() -> None:
    first = block(4, [(signed(0, tip=GWEI), 15_000_000)], base_fee=BASE)
    second = block(5, [], base_fee=BASE, blob_gas_used=MAX_BLOB_GAS_PER_BLOCK // 3)
    history = history_of([first, second], [50])
    assert history == FeeHistory(
        oldest_block=4,
        reward=((GWEI,), (0,)),
        base_fee=(BASE, BASE, next_base_fee(second.header)),
        gas_used_ratio=(0.5, 0.0),
        blob_base_fee=(1, 1, 1),
        blob_gas_used_ratio=(0.0, 1 / 3),
    )
    assert history_of([first], []).reward is None


@dataclass
class Source:
    """A FeeSource over a list of blocks (head last) and an optional pending block."""

    blocks: list[Block]
    pending: Block | None = None

    @property
    def head(self) -> Block:
        return self.blocks[-1]

    def block_by_number(self, number: int) -> Block | None:
        return self.blocks[number] if 0 <= number < len(self.blocks) else None

    def resolve(self, ref: BlockRef) -> Block:
        if ref.number is not None:
            return self.blocks[ref.number]
        if ref.tag == "pending":
            assert self.pending is not None
            return self.pending
        if ref.tag == "earliest":
            return self.blocks[0]
        return self.head


CHAIN = Source(
    [block(n, [(signed(n, tip=(n + 1) * GWEI), 21_000)]) for n in range(6)],
    pending=block(6, [(signed(6, tip=9 * GWEI), 42_000)], base_fee=BASE + 1),
)
LATEST = BlockRef(tag="latest")


def test_the_range_ends_at_the_newest_block_asked_for() -> None:
    history = fee_history(CHAIN, 3, LATEST, [50])
    assert history.oldest_block == 3
    assert history.reward == ((4 * GWEI,), (5 * GWEI,), (6 * GWEI,))
    assert fee_history(CHAIN, 2, BlockRef(number=2), []).oldest_block == 1


def test_a_range_ending_at_pending_includes_the_pending_block() -> None:
    history = fee_history(CHAIN, 2, BlockRef(tag="pending"), [50])
    assert history.oldest_block == 5
    assert history.reward == ((6 * GWEI,), (9 * GWEI,))
    assert history.base_fee == (BASE, BASE + 1, next_base_fee(CHAIN.pending.header))  # type: ignore[union-attr]


def test_the_range_stops_at_genesis() -> None:
    history = fee_history(CHAIN, 100, BlockRef(number=1), [])
    assert history.oldest_block == 0
    assert history.gas_used_ratio == (0.0007, 0.0007)
    assert fee_history(CHAIN, 5, BlockRef(tag="earliest"), []).oldest_block == 0


def test_the_block_count_is_cut_to_1024() -> None:
    long_chain = Source([block(n) for n in range(1500)])
    history = fee_history(long_chain, 5000, LATEST, [])
    assert history.oldest_block == 1500 - 1024
    assert history.gas_used_ratio is not None
    assert len(history.gas_used_ratio) == 1024


def test_zero_blocks_is_an_empty_history_before_any_check() -> None:
    assert fee_history(CHAIN, 0, BlockRef(number=99), [500, 1]) is EMPTY_HISTORY


def test_geth_order_of_checks() -> None:
    with pytest.raises(InvalidPercentile) as info:
        fee_history(CHAIN, 1, BlockRef(number=99), [float(p) for p in range(101)])
    assert info.value.message == "invalid reward percentile: over the query limit 100"
    with pytest.raises(InvalidPercentile):  # percentiles before the block
        fee_history(CHAIN, 1, BlockRef(number=99), [5, 1])
    with pytest.raises(ChainError) as beyond:
        fee_history(CHAIN, 1, BlockRef(number=99), [1, 5])
    assert beyond.value.message == "request beyond head block: requested 99, head 5"
