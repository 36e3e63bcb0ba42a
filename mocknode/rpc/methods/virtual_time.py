"""``mock_advanceTime(seconds)``: let time pass on a node that runs on a virtual clock.

A node started with ``--virtual-time`` (``NodeConfig(virtual_time=True)``) has a clock
that stands still until told to move. ``mock_advanceTime`` moves it ``seconds`` forward
(a JSON number, fractions allowed, or a hex quantity) and, with interval mining on,
mines at once every block that falls due on the way, each stamped the interval after
its parent; it answers the hashes of the blocks mined, oldest first (``[]`` when none
fell due). On any other node it is -32000 and says so.

It is not ``evm_increaseTime``, which keeps anvil's meaning on every node: a jump added
to the next block's timestamp, mining nothing. A test that calls
``evm_increaseTime(86400)`` then ``evm_mine`` expects one block a day later, not the
7,200 blocks a twelve-second interval would have mined in a day; a test that wants the
day to pass, block by block, calls ``mock_advanceTime(86400)``.
"""

from __future__ import annotations

import math
from typing import Any

from mocknode.chain.records import Block
from mocknode.rpc import params, render
from mocknode.rpc.context import Context
from mocknode.rpc.params import ParamError
from mocknode.rpc.registry import method


def seconds(value: Any) -> float:
    """A non-negative number of seconds: a JSON number or a hex quantity."""
    if type(value) in (int, float):
        if value >= 0 and math.isfinite(value):
            return float(value)
        raise ParamError(f"seconds must be a non-negative number, not {value}")
    return float(params.uint64(value))


def _hashes(blocks: list[Block]) -> list[str]:
    return [render.hex_data(block.hash) for block in blocks]


@method("mock_advanceTime", seconds, result=_hashes)
def mock_advanceTime(ctx: Context, seconds: float) -> list[Block]:
    chain = ctx.chain
    before = chain.head.number
    chain.time.advance(seconds)
    return chain.blocks[before + 1 :]
