"""eth_feeHistory: base fees, gas used and tips over a range of blocks, as geth's oracle."""

from __future__ import annotations

from mocknode.chain.feehistory import FeeHistory, fee_history
from mocknode.rpc import params, render
from mocknode.rpc.context import Context
from mocknode.rpc.registry import method
from mocknode.types import BlockRef


@method(
    "eth_feeHistory",
    params.hex_or_decimal64,
    params.block_number,
    params.reward_percentiles,
    result=render.fee_history_text,
)
def eth_feeHistory(
    ctx: Context, count: int, newest: BlockRef, percentiles: list[float]
) -> FeeHistory:
    """geth's three arguments are all required (``[]float64`` is no pointer), though a
    ``null`` list asks for no rewards."""
    return fee_history(ctx.chain, count, newest, percentiles)
