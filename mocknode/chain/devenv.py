"""What anvil's environment cheats change beyond the chain's config.

``anvil_setChainId``, ``anvil_setCoinbase`` and ``evm_setBlockGasLimit`` change fields
of the :class:`~mocknode.chain.config.ChainConfig` the chain runs on (it is replaced,
being frozen). The rest is here, in one frozen :class:`DevEnv`: the one-shot settings of
the next block (``anvil_setNextBlockBaseFeePerGas``, ``anvil_setNextBlockPrevRandao``),
spent by the block that uses them, and the timestamp interval
(``anvil_setBlockTimestampInterval``), which lasts until removed.

Both values are frozen, so a snapshot takes them by reference: :class:`SettingsHook`
lets the chain's snapshots restore them with everything else, and a test that moves
the coinbase leaves the next test the node it had.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mocknode.types import Hash32
from mocknode.values import dataclass, replace

if TYPE_CHECKING:
    from mocknode.chain.clock import TimeTravel
    from mocknode.chain.evm.engine import BlockEnv


@dataclass(frozen=True, slots=True)
class DevEnv:
    next_base_fee: int | None = None
    next_prev_randao: Hash32 | None = None
    timestamp_interval: int | None = None  # seconds between blocks; None: the clock's

    @property
    def one_shot(self) -> bool:
        """Whether the next block has settings of its own (the block builder asks this
        once per block, so a chain that uses none pays one check)."""
        return self.next_base_fee is not None or self.next_prev_randao is not None

    def apply(self, env: BlockEnv) -> BlockEnv:
        """``env`` with the next block's one-shot settings in place."""
        changes: dict[str, Any] = {}
        if self.next_base_fee is not None:
            changes["base_fee"] = self.next_base_fee
        if self.next_prev_randao is not None:
            changes["prev_randao"] = self.next_prev_randao
        return replace(env, **changes)

    def spent(self) -> DevEnv:
        """What remains once a block used the one-shot settings."""
        return DevEnv(timestamp_interval=self.timestamp_interval)

    def stamp_after(self, parent_timestamp: int) -> int | None:
        """The next block's timestamp under a timestamp interval, or None without one.
        An interval of 0 gives one second: a block is always after its parent here,
        where anvil would mine it at the parent's timestamp."""
        if self.timestamp_interval is None:
            return None
        return parent_timestamp + max(self.timestamp_interval, 1)


def set_clock(time: TimeTravel, head_timestamp: int, timestamp: int) -> int:
    """anvil_setTime on ``time``: the clock reads ``timestamp`` now, and later blocks
    continue from it. Returns how many seconds that moved it forward (0 when it moved
    back), as anvil's result.

    A pending evm_setNextBlockTimestamp is dropped, as anvil drops it. Time never goes
    back past the head (``head_timestamp``): the next block comes at least one second
    after it, where anvil would mine a block older than its parent.
    """
    time.take_next_timestamp()
    now = time.next_timestamp(head_timestamp)
    target = max(timestamp, head_timestamp + 1)
    time.increase(target - now)
    if time.peek_timestamp(head_timestamp) != target:
        # The clock had fallen behind the head (blocks mined faster than one a second):
        # moving it is not enough to reach the target exactly.
        time.set_next_timestamp(target)
    return max(0, timestamp - now)


class SettingsHook:
    """A snapshot hook (:class:`~mocknode.chain.snapshots.SnapshotHook`) over a getter
    and a setter of frozen values: capturing is taking the reference."""

    __slots__ = ("_get", "_set")

    def __init__(self, get: Callable[[], object], set_: Callable[[Any], None]) -> None:
        self._get = get
        self._set = set_

    def capture(self) -> object:
        return self._get()

    def restore(self, token: object) -> None:
        self._set(token)
