"""Dev-node controls clients already script against anvil and hardhat: snapshots,
mining, time, state edits, impersonation and the pool.

Names, parameters and results are anvil's (its request enum and API), and each
method also answers under the ``hardhat_``/``evm_``/``tenderly_`` aliases anvil
gives it. Quantities are read as anvil reads them (:mod:`.dev_params`): JSON numbers as
well as hex, leading zeros allowed.

Unlike anvil, reverting to a snapshot keeps it (and earlier ones) usable. ``evm_revert``
is a silent rewind, as anvil's: subscriptions and filters hear nothing of the blocks it
takes back (``anvil_reorg`` and ``mock_reorg``, in :mod:`.reorg`, report them).

Where anvil and Hardhat answer differently, these answer as anvil:
``evm_setIntervalMining`` takes seconds (Hardhat: milliseconds); ``evm_increaseTime``
answers a JSON number; impersonation methods return ``null`` (Hardhat: ``true``);
``anvil_dropTransaction`` the dropped hash or ``null`` (Hardhat: a boolean). The block
environment, the node's own information and the token cheats are in :mod:`.dev_env`,
:mod:`.dev_node` and :mod:`.dev_tokens`.
"""

from __future__ import annotations

from collections.abc import Iterator

from mocknode.chain.limits import MAX_TIMESTAMP
from mocknode.chain.records import Block
from mocknode.rpc import params, render
from mocknode.rpc.context import Context
from mocknode.rpc.errors import INVALID_PARAMS, RpcError
from mocknode.rpc.jsonrpc import RawJson
from mocknode.rpc.methods.dev_params import (
    MineOptions,
    block_count,
    mine_interval,
    mine_options,
    number,
    number64,
    slot,
)
from mocknode.rpc.registry import method, optional
from mocknode.rpc.steps import CHECKPOINT, Deferred, Steps
from mocknode.types import LATEST, Address, Hash32

# -- snapshots ------------------------------------------------------------------------


@method("evm_snapshot", result=render.hex_quantity, aliases=("anvil_snapshot",))
def evm_snapshot(ctx: Context) -> int:
    return ctx.chain.snapshot()


@method("evm_revert", number, aliases=("anvil_revert",))
def evm_revert(ctx: Context, snapshot_id: int) -> bool:
    """Back to a snapshot, silently: no removed logs, no heads (as anvil)."""
    return ctx.chain.revert(snapshot_id)


# -- mining ---------------------------------------------------------------------------


def _in_steps(blocks: Iterator[Block]) -> Steps:
    """Mining as steps (:mod:`mocknode.rpc.steps`): a checkpoint after every block, so
    other clients are served between two blocks, never inside one; returns the blocks."""
    mined = []
    for block in blocks:
        mined.append(block)
        yield CHECKPOINT
    return mined


def _evm_mine(ctx: Context, options: MineOptions) -> Deferred:
    blocks, timestamp = options
    return Deferred(_in_steps(ctx.chain.mine_each(blocks, timestamp=timestamp)))


def _zero(_: object) -> str:
    return "0x0"


@method("evm_mine", optional(mine_options, (1, None)), result=_zero)
def evm_mine(ctx: Context, options: MineOptions) -> Deferred:
    """Mine now, whatever the mining mode: anvil's (and ganache's) ``"0x0"``."""
    return _evm_mine(ctx, options)


def _blocks_json(blocks: list[Block]) -> RawJson:
    return RawJson("[" + ",".join(render.block_text(block, True) for block in blocks) + "]")


@method(
    "anvil_mine_detailed",
    optional(mine_options, (1, None)),
    result=_blocks_json,
    aliases=("evm_mine_detailed",),
)
def anvil_mine_detailed(ctx: Context, options: MineOptions) -> Deferred:
    """evm_mine, answering the mined blocks with their full transactions (as
    eth_getBlockByNumber renders them; anvil also adds each transaction's return data
    as ``output``, which mocknode does not keep)."""
    return _evm_mine(ctx, options)


def _none(_: object) -> None:
    return None


@method(
    "anvil_mine",
    optional(block_count, 1),
    optional(mine_interval, None),
    result=_none,
    aliases=("hardhat_mine",),
)
def anvil_mine(ctx: Context, blocks: int, interval: int | None) -> Deferred:
    """``blocks`` blocks, time moving ``interval`` seconds before each (anvil's), at
    most :data:`~mocknode.chain.mine_many.MAX_MINE_BLOCKS`, in steps."""
    if interval:
        _check_time(ctx, interval * blocks, 1, f"{blocks} blocks {interval} seconds apart")
    return Deferred(_in_steps(ctx.chain.mine_each(blocks, interval=interval)))


# -- mining mode -------------------------------------------------------------------------


@method("evm_setAutomine", params.boolean, aliases=("anvil_setAutomine",))
def evm_setAutomine(ctx: Context, enabled: bool) -> None:
    ctx.chain.set_automine(enabled)


@method("anvil_getAutomine", aliases=("hardhat_getAutomine",))
def anvil_getAutomine(ctx: Context) -> bool:
    return ctx.chain.automine


@method("anvil_setIntervalMining", number64, aliases=("evm_setIntervalMining",))
def anvil_setIntervalMining(ctx: Context, seconds: int) -> None:
    """A block every ``seconds`` seconds, 0 turning interval mining off. Seconds under
    both names, as anvil (Hardhat's ``evm_setIntervalMining`` takes milliseconds; viem's
    anvil mode sends seconds)."""
    ctx.chain.set_interval(float(seconds) if seconds else None)


def _interval(seconds: float | None) -> int | float | None:
    if seconds is None:
        return None
    return int(seconds) if seconds == int(seconds) else seconds


@method("anvil_getIntervalMining", result=_interval)
def anvil_getIntervalMining(ctx: Context) -> float | None:
    """The interval in seconds, or ``null`` when not mining on one (anvil's)."""
    return ctx.chain.interval


# -- time --------------------------------------------------------------------------------


@method("evm_increaseTime", number, aliases=("anvil_increaseTime",))
def evm_increaseTime(ctx: Context, seconds: int) -> int:
    """Answers the total offset in seconds, a JSON number as anvil answers it. A jump
    that would put the next block past the largest timestamp a header holds (2**64 - 1)
    is refused, leaving the clock as it was."""
    _check_time(ctx, seconds, 0, f"moving time {seconds} seconds")
    return ctx.chain.time.increase(seconds)


def _check_time(ctx: Context, seconds: int, argument: int, what: str) -> None:
    """-32602 when ``seconds`` more would take block timestamps past 2**64 - 1."""
    chain = ctx.chain
    if chain.time.peek_timestamp(chain.head.header.timestamp) + seconds > MAX_TIMESTAMP:
        raise RpcError(
            INVALID_PARAMS,
            f"invalid argument {argument}: {what} would put block timestamps past "
            f"{MAX_TIMESTAMP} (2**64 - 1)",
        )


@method("evm_setNextBlockTimestamp", number64, aliases=("anvil_setNextBlockTimestamp",))
def evm_setNextBlockTimestamp(ctx: Context, timestamp: int) -> None:
    ctx.chain.set_next_timestamp(timestamp)


# -- state edits ---------------------------------------------------------------------------


@method(
    "anvil_setBalance",
    params.address,
    number,
    aliases=("hardhat_setBalance", "tenderly_setBalance"),
)
def anvil_setBalance(ctx: Context, address: Address, balance: int) -> None:
    ctx.chain.set_balance(address, balance)


@method(
    "anvil_addBalance",
    params.address,
    number,
    aliases=("hardhat_addBalance", "tenderly_addBalance"),
)
def anvil_addBalance(ctx: Context, address: Address, amount: int) -> None:
    """The balance raised by ``amount`` (saturating at 2**256 - 1, as anvil)."""
    balance = ctx.chain.balance(address, LATEST)
    ctx.chain.set_balance(address, min(balance + amount, 2**256 - 1))


@method(
    "anvil_setNonce",
    params.address,
    number64,
    aliases=("hardhat_setNonce", "evm_setAccountNonce"),
)
def anvil_setNonce(ctx: Context, address: Address, nonce: int) -> None:
    ctx.chain.set_nonce(address, nonce)


@method("anvil_setCode", params.address, params.data, aliases=("hardhat_setCode",))
def anvil_setCode(ctx: Context, address: Address, code: bytes) -> None:
    ctx.chain.set_code(address, code)


@method(
    "anvil_setStorageAt",
    params.address,
    slot,
    params.hash32,
    aliases=("hardhat_setStorageAt",),
)
def anvil_setStorageAt(ctx: Context, address: Address, key: int, value: Hash32) -> bool:
    ctx.chain.set_storage(address, key, int.from_bytes(value, "big"))
    return True


# -- impersonation --------------------------------------------------------------------------


@method("anvil_impersonateAccount", params.address, aliases=("hardhat_impersonateAccount",))
def anvil_impersonateAccount(ctx: Context, address: Address) -> None:
    """eth_sendTransaction from ``address`` without its key (contracts included); it
    joins eth_accounts, as on anvil."""
    ctx.chain.signers.impersonate(address)


@method(
    "anvil_stopImpersonatingAccount",
    params.address,
    aliases=("hardhat_stopImpersonatingAccount",),
)
def anvil_stopImpersonatingAccount(ctx: Context, address: Address) -> None:
    ctx.chain.signers.stop_impersonating(address)


@method(
    "anvil_autoImpersonateAccount",
    params.boolean,
    aliases=("hardhat_autoImpersonateAccount",),
)
def anvil_autoImpersonateAccount(ctx: Context, enabled: bool) -> None:
    ctx.chain.signers.auto_impersonate = enabled


# -- the pool -----------------------------------------------------------------------------


@method("anvil_dropTransaction", params.hash32, aliases=("hardhat_dropTransaction",))
def anvil_dropTransaction(ctx: Context, tx_hash: Hash32) -> str | None:
    dropped = ctx.chain.drop_transaction(tx_hash)
    return None if dropped is None else render.hex_data(dropped.hash)


@method("anvil_dropAllTransactions", aliases=("hardhat_dropAllTransactions",))
def anvil_dropAllTransactions(ctx: Context) -> None:
    ctx.chain.drop_all_transactions()


@method("anvil_removePoolTransactions", params.address)
def anvil_removePoolTransactions(ctx: Context, address: Address) -> None:
    ctx.chain.remove_pool_transactions(address)
