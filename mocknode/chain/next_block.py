"""The next block's timestamp and environment, and whether the pool can fill it.

Split out of :mod:`mocknode.chain.chain` so that the chain's mining methods stay short
sequences: these rules need only the clock, the dev env, the config and the canon's
ancestor hashes, which each function takes explicitly (nothing here imports the chain).
The same environment serves a mined block, the pending block and, without the dev
env's one-shot settings, calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from mocknode.chain.errors import InvalidTxArgs
from mocknode.chain.limits import CODE_SIZE_LIMIT, MAX_TIMESTAMP
from mocknode.values import replace

if TYPE_CHECKING:
    from mocknode.chain.clock import TimeTravel
    from mocknode.chain.config import ChainConfig
    from mocknode.chain.devenv import DevEnv
    from mocknode.chain.evm.engine import BlockEnv
    from mocknode.chain.records import Block, Header
    from mocknode.chain.state.world import WorldState
    from mocknode.chain.tx.pool import Pool
    from mocknode.types import Hash32


def check_stamp(stamp: int) -> None:
    """A header holds a 64-bit timestamp: past the last second no block can follow."""
    if stamp > MAX_TIMESTAMP:
        raise InvalidTxArgs(
            f"block timestamp {stamp} is past the largest a header holds ({MAX_TIMESTAMP})"
        )


def mined_stamp(time: TimeTravel, dev: DevEnv, after: int, timestamp: int | None) -> int:
    """The timestamp of a block mined on a parent stamped ``after``: ``timestamp``, or
    the one evm_setNextBlockTimestamp set, or the interval's, or the clock's. Takes the
    clock's next timestamp (and rebases the clock on an explicit one)."""
    explicit = timestamp if timestamp is not None else time.take_next_timestamp()
    if explicit is None:
        by_interval = dev.stamp_after(after)  # anvil_setBlockTimestampInterval
        stamp = time.next_timestamp(after) if by_interval is None else by_interval
    elif explicit <= after:
        raise InvalidTxArgs(f"timestamp {explicit} is not after the parent block's {after}")
    else:
        stamp = explicit
        time.rebase(explicit)
    check_stamp(stamp)
    return stamp


def pending_stamp(time: TimeTravel, dev: DevEnv, after: int) -> int:
    """The timestamp the pending block on a parent stamped ``after`` shows; takes nothing."""
    stamp = time.peek_timestamp(after)
    if dev.timestamp_interval is not None and not time.forces_after(after):
        stamp = dev.stamp_after(after) or stamp  # anvil_setBlockTimestampInterval
    return stamp


def next_env(
    parent: Block,
    stamp: int,
    *,
    config: ChainConfig,
    dev: DevEnv,
    ancestor_hashes: Callable[[], Iterable[Hash32]],
) -> BlockEnv:
    """The environment of the block after ``parent`` stamped ``stamp`` (mined or
    pending): the config's, with the dev env's one-shot settings and a code size
    limit of its own only when they are set."""
    from mocknode.chain.block import mining

    env = mining.block_env(
        parent,
        stamp,
        coinbase=config.coinbase,
        gas_limit=config.gas_limit,
        chain_id=config.chain_id,
        ancestor_hashes=ancestor_hashes,
    )
    if dev.one_shot:
        env = dev.apply(env)
    if config.code_size_limit != CODE_SIZE_LIMIT:
        env = replace(env, code_size_limit=config.code_size_limit)
    return env


def call_env(
    block: Block, *, config: ChainConfig, ancestor_hashes: Callable[[], Iterable[Hash32]]
) -> BlockEnv:
    """The environment a call on top of ``block`` runs in."""
    from mocknode.chain.evm import calls

    env = calls.call_env(block.header, chain_id=config.chain_id, ancestor_hashes=ancestor_hashes)
    if config.code_size_limit != CODE_SIZE_LIMIT:
        env = replace(env, code_size_limit=config.code_size_limit)
    return env


def ready(pool: Pool, state: WorldState, parent: Header, time: TimeTravel) -> bool:
    """Whether ``pool`` holds a transaction the next block on ``parent`` could take,
    with sender nonces read from ``state``'s latest commit (automine mines until it
    holds none)."""
    if not len(pool):
        return False
    reader = state.reader()
    nonces = {}
    for sender in pool.senders():
        account = reader.account(sender)
        nonces[sender] = account.nonce if account else 0
    block = None
    if pool.holding:
        block = (parent.number + 1, time.peek_timestamp(parent.timestamp))
    return bool(pool.executable(nonces, block))
