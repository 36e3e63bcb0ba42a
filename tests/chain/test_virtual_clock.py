"""The virtual clock, interval timestamps and their steps, without a node."""

from __future__ import annotations

import pytest

from mocknode.chain.chain import Chain
from mocknode.chain.clock import FixedClock, IntervalSteps, TimeTravel, VirtualClock, WallClock
from mocknode.chain.config import ChainConfig
from mocknode.chain.errors import InvalidRequest


def test_virtual_clock_stands_still_until_advanced() -> None:
    clock = VirtualClock(1_000)
    assert clock.genesis_timestamp() == 1_000
    assert clock.next_timestamp(1_000, 0, 0) == 1_001  # never the parent's
    assert clock.next_timestamp(900, 0, 0) == 1_000
    assert clock.advance(30) == 0  # no timer: nothing fires
    assert clock.now == 1_030
    assert clock.next_timestamp(900, 5, 5) == 1_035  # time travel still adds
    assert clock.offset_for(1_100, 0) == 70


def test_timer_fires_at_every_due_time_with_now_at_that_time() -> None:
    clock = VirtualClock(100)
    seen: list[float] = []
    clock.repeat(2, lambda: seen.append(clock.now))
    assert clock.next_due() == 102
    assert clock.advance(1.5) == 0
    assert clock.advance(8.5) == 5  # due at 102 ... 110, 110 itself included
    assert seen == [102, 104, 106, 108, 110]
    assert clock.now == 110
    assert clock.advance(3) == 1  # 112; the phase is kept across calls
    assert seen[-1] == 112
    assert clock.now == 113
    clock.repeat(None, lambda: None)
    assert clock.next_due() is None
    assert clock.advance(100) == 0


def test_timer_restarts_from_now_and_a_callback_may_change_it() -> None:
    clock = VirtualClock(0)
    fired: list[float] = []

    def first() -> None:
        fired.append(clock.now)
        clock.repeat(10, lambda: fired.append(clock.now))  # from t=3: due at 13, 23

    clock.repeat(3, first)
    assert clock.advance(25) == 3
    assert fired == [3, 13, 23]


def test_fractional_timer_is_not_lost_to_rounding() -> None:
    clock = VirtualClock(0)
    clock.repeat(0.1, lambda: None)
    assert clock.advance(10) == 100  # 100 * 0.1 is 10.000000000000002


def test_reset_moves_now_without_firing() -> None:
    clock = VirtualClock(0)
    clock.repeat(1, lambda: None)
    clock.reset(5_000)
    assert clock.now == 5_000
    assert clock.next_due() == 5_001


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan")])
def test_timer_and_advance_refuse_nonsense(bad: float) -> None:
    clock = VirtualClock(0)
    with pytest.raises(ValueError, match="positive interval"):
        clock.repeat(bad, lambda: None)
    if bad != 0:
        with pytest.raises(ValueError, match="only moves forward"):
            clock.advance(bad)


@pytest.mark.parametrize(
    ("interval", "steps"),
    [
        (2, [2, 2, 2, 2]),
        (1.5, [1, 2, 1, 2]),
        (0.5, [1, 1, 1, 1]),
        (0.1, [1, 1, 1, 1]),
        (2.5, [2, 3, 2, 3]),
    ],
)
def test_interval_steps_are_whole_seconds_averaging_the_interval(
    interval: float, steps: list[int]
) -> None:
    ticker = IntervalSteps(interval)
    assert [ticker.next_step() for _ in steps] == steps


def test_interval_timestamp_follows_the_parent_plus_jumps_or_the_forced_one() -> None:
    time = TimeTravel(WallClock())
    assert time.interval_timestamp(1_000, 12) == 1_012  # not the wall clock's now
    time.increase(100)
    assert time.interval_timestamp(1_000, 12) == 1_112  # the jump since the parent
    time.block_mined()
    time.set_next_timestamp(5_000)
    assert time.interval_timestamp(1_112, 12) == 5_000  # forced, and taken
    assert time.take_next_timestamp() is None
    time.set_next_timestamp(900)  # behind the parent (a revert since): ignored, and taken
    assert time.interval_timestamp(1_000, 12) == 1_012
    assert time.take_next_timestamp() is None


def test_advance_needs_a_virtual_clock() -> None:
    with pytest.raises(InvalidRequest, match=r"no virtual clock.*--virtual-time"):
        TimeTravel(FixedClock()).advance(1)
    chain = Chain(ChainConfig(clock=VirtualClock(1_700_000_000)))
    assert chain.time.advance(60) == 0
    chain.mine()
    assert chain.head.header.timestamp == 1_700_000_060
