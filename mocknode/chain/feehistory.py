"""eth_feeHistory as geth's gas price oracle computes it (eth/gasprice/feehistory.go).

For a range of blocks ending at the newest one asked for: each block's base fee (and the
next block's, derived from the newest), the share of its gas limit it used, the same two
for blob gas, and optionally, per block, the effective tips paid at the requested
percentiles of gas used. The pending block takes part like any other when the range ends
at ``pending``.

The checks and their order are geth's, so clients see the same errors: a block count of
zero answers an empty history before anything else is checked; more than 100 percentiles
is refused; the count is cut to 1024 (geth's default MaxHeaderHistory and
MaxBlockHistory) without complaint; percentiles must rise strictly within 0..100; a block
number past the head is refused. The rewards follow geth's arithmetic exactly (float
thresholds truncated to whole gas, a stable sort by tip), so a percentile lands on the
same transaction as in geth.

Pure functions over blocks; the chain is reached only through :class:`FeeSource`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Protocol

from mocknode.chain.errors import ChainError
from mocknode.chain.fees import (
    MAX_BLOB_GAS_PER_BLOCK,
    TARGET_BLOB_GAS_PER_BLOCK,
    blob_base_fee,
    fake_exponential,
    next_base_fee,
    next_excess_blob_gas,
)
from mocknode.chain.records import Block
from mocknode.types import BlockRef
from mocknode.values import dataclass

__all__ = [
    "EMPTY_HISTORY",
    "MAX_BLOB_GAS_PER_BLOCK",
    "MAX_BLOCK_COUNT",
    "MAX_PERCENTILES",
    "TARGET_BLOB_GAS_PER_BLOCK",
    "FeeHistory",
    "FeeSource",
    "InvalidPercentile",
    "blob_base_fee",
    "block_rewards",
    "check_percentiles",
    "fake_exponential",
    "fee_history",
    "history_of",
    "next_excess_blob_gas",
]

MAX_BLOCK_COUNT: Final = 1024  # ethconfig.FullNodeGPO MaxHeaderHistory / MaxBlockHistory
MAX_PERCENTILES: Final = 100  # gasprice maxQueryLimit


class InvalidPercentile(ChainError):
    """A reward percentile geth refuses; the message is geth's ``invalid reward percentile``."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"invalid reward percentile: {detail}")


@dataclass(frozen=True, slots=True)
class FeeHistory:
    """One answer of eth_feeHistory. ``base_fee`` and ``blob_base_fee`` have one entry
    more than the blocks (the block after the newest); ``reward`` is None when no
    percentiles were asked for. The empty history has no blocks and no lists at all."""

    oldest_block: int
    reward: tuple[tuple[int, ...], ...] | None
    base_fee: tuple[int, ...] | None
    gas_used_ratio: tuple[float, ...] | None
    blob_base_fee: tuple[int, ...] | None
    blob_gas_used_ratio: tuple[float, ...] | None


EMPTY_HISTORY: Final = FeeHistory(0, None, None, None, None, None)


class FeeSource(Protocol):
    """The blocks a fee history reads (:class:`mocknode.chain.chain.Chain` is one)."""

    @property
    def head(self) -> Block: ...

    def resolve(self, ref: BlockRef) -> Block:
        """The block ``ref`` names (``pending``: the pending block, number head + 1)."""
        ...

    def block_by_number(self, number: int) -> Block | None: ...


def _go_f(value: float) -> str:
    """Go's ``%f``: six decimals."""
    return f"{value:f}"


def check_percentiles(percentiles: Sequence[float]) -> None:
    """Each within 0..100 and above the one before it, checked in order (geth's texts)."""
    for i, p in enumerate(percentiles):
        if p < 0 or p > 100:
            raise InvalidPercentile(_go_f(p))
        if i > 0 and p <= percentiles[i - 1]:
            raise InvalidPercentile(f"#{i - 1}:{_go_f(percentiles[i - 1])} >= #{i}:{_go_f(p)}")


def block_rewards(block: Block, percentiles: Sequence[float]) -> tuple[int, ...]:
    """The effective tips paid in ``block`` at ``percentiles`` of its gas used: tips
    sorted ascending (stable), each weighted by its transaction's gas, as geth's
    processBlock walks them. A block without transactions gives zeros."""
    txs = block.transactions
    if not txs:
        return (0,) * len(percentiles)
    base_fee = block.header.base_fee_per_gas
    tips = sorted(
        (
            (min(tx.max_priority_fee_per_gas, tx.max_fee_per_gas - base_fee), receipt.gas_used)
            for tx, receipt in zip(txs, block.receipts, strict=True)
        ),
        key=lambda pair: pair[0],
    )
    gas_used = float(block.header.gas_used)
    index = 0
    total = tips[0][1]
    last = len(tips) - 1
    rewards = []
    for p in percentiles:
        threshold = int(gas_used * p / 100)  # Go: uint64(float64(gasUsed) * p / 100)
        while total < threshold and index < last:
            index += 1
            total += tips[index][1]
        rewards.append(tips[index][0])
    return tuple(rewards)


def history_of(blocks: Sequence[Block], percentiles: Sequence[float]) -> FeeHistory:
    """The history of ``blocks`` (consecutive, oldest first, at least one)."""
    base_fees = [b.header.base_fee_per_gas for b in blocks]
    newest = blocks[-1].header
    base_fees.append(next_base_fee(newest))
    blob_fees = [blob_base_fee(b.header.excess_blob_gas) for b in blocks]
    blob_fees.append(blob_base_fee(next_excess_blob_gas(newest)))
    return FeeHistory(
        oldest_block=blocks[0].number,
        reward=tuple(block_rewards(b, percentiles) for b in blocks) if percentiles else None,
        base_fee=tuple(base_fees),
        gas_used_ratio=tuple(b.header.gas_used / b.header.gas_limit for b in blocks),
        blob_base_fee=tuple(blob_fees),
        blob_gas_used_ratio=tuple(b.header.blob_gas_used / MAX_BLOB_GAS_PER_BLOCK for b in blocks),
    )


def fee_history(
    source: FeeSource, count: int, newest: BlockRef, percentiles: Sequence[float]
) -> FeeHistory:
    """eth_feeHistory(count, newest, percentiles) over ``source``'s blocks."""
    if count < 1:
        return EMPTY_HISTORY
    if len(percentiles) > MAX_PERCENTILES:
        raise InvalidPercentile(f"over the query limit {MAX_PERCENTILES}")
    count = min(count, MAX_BLOCK_COUNT)
    check_percentiles(percentiles)
    head = source.head
    if newest.number is not None and newest.number > head.number:
        raise ChainError(
            f"request beyond head block: requested {newest.number}, head {head.number}"
        )
    last = source.resolve(newest)
    count = min(count, last.number + 1)
    blocks: list[Block] = []
    for number in range(last.number + 1 - count, last.number):
        block = source.block_by_number(number)
        assert block is not None  # at or below the head
        blocks.append(block)
    blocks.append(last)
    return history_of(blocks, percentiles)
