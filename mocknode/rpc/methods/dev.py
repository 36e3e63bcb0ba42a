"""Dev-node controls clients already script against anvil and hardhat.

``evm_snapshot``/``evm_revert``/``evm_mine`` keep anvil's parameters and results, and
the same functions answer under the ``anvil_``/``hardhat_`` names where those exist.
Unlike anvil, reverting to a snapshot keeps it (and earlier ones) usable.
"""

from __future__ import annotations

from typing import Any

from mocknode.rpc import codec
from mocknode.rpc.context import Context
from mocknode.rpc.registry import method, optional


def _snapshot_id(value: Any) -> int:
    return codec.quantity(value)


@method("evm_snapshot", result=codec.hex_quantity, aliases=("anvil_snapshot",))
def evm_snapshot(ctx: Context) -> int:
    return ctx.chain.snapshot()


@method("evm_revert", _snapshot_id, aliases=("anvil_revert",))
def evm_revert(ctx: Context, snapshot_id: int) -> bool:
    return ctx.chain.revert(snapshot_id)


def _mine_options(value: Any) -> tuple[int, int | None]:
    """anvil's evm_mine: a timestamp, or ``{"blocks": N, "timestamp": T}``."""
    if isinstance(value, dict):
        blocks = value.get("blocks")
        stamp = value.get("timestamp")
        return (
            1 if blocks is None else codec.quantity(blocks),
            None if stamp is None else codec.quantity(stamp),
        )
    return 1, codec.quantity(value)


@method("evm_mine", optional(_mine_options, (1, None)))
def evm_mine(ctx: Context, options: tuple[int, int | None]) -> str:
    blocks, timestamp = options
    ctx.chain.mine(blocks, timestamp=timestamp)
    return "0x0"


@method(
    "anvil_mine",
    optional(codec.quantity, 1),
    optional(codec.quantity, None),
    aliases=("hardhat_mine",),
)
def anvil_mine(ctx: Context, blocks: int, interval: int | None) -> None:
    ctx.chain.mine(blocks, interval=interval)
