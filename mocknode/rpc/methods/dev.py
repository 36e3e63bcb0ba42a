"""Dev-node controls clients already script against anvil and hardhat.

``evm_snapshot``/``evm_revert``/``evm_mine`` keep anvil's parameters and results, and
the same functions answer under the ``anvil_``/``hardhat_`` names where those exist.
Unlike anvil, reverting to a snapshot keeps it (and earlier ones) usable. ``evm_revert``
is a silent rewind, as anvil's: subscriptions and filters hear nothing of the blocks it
takes back (``anvil_reorg`` and ``mock_reorg``, in :mod:`.reorg`, report them).

Where anvil and Hardhat answer differently, these answer as anvil: impersonation
methods return ``null`` (Hardhat: ``true``), ``anvil_dropTransaction`` the dropped hash
or ``null`` (Hardhat: a boolean).
"""

from __future__ import annotations

from typing import Any

from mocknode.rpc import params, render
from mocknode.rpc.context import Context
from mocknode.rpc.registry import method, optional
from mocknode.types import Address, Hash32


def _snapshot_id(value: Any) -> int:
    return params.quantity(value)


@method("evm_snapshot", result=render.hex_quantity, aliases=("anvil_snapshot",))
def evm_snapshot(ctx: Context) -> int:
    return ctx.chain.snapshot()


@method("evm_revert", _snapshot_id, aliases=("anvil_revert",))
def evm_revert(ctx: Context, snapshot_id: int) -> bool:
    """Back to a snapshot, silently: no removed logs, no heads (as anvil)."""
    return ctx.chain.revert(snapshot_id)


def _mine_options(value: Any) -> tuple[int, int | None]:
    """anvil's evm_mine: a timestamp, or ``{"blocks": N, "timestamp": T}``."""
    if isinstance(value, dict):
        blocks = value.get("blocks")
        stamp = value.get("timestamp")
        return (
            1 if blocks is None else params.quantity(blocks),
            None if stamp is None else params.quantity(stamp),
        )
    return 1, params.quantity(value)


@method("evm_mine", optional(_mine_options, (1, None)))
def evm_mine(ctx: Context, options: tuple[int, int | None]) -> str:
    blocks, timestamp = options
    ctx.chain.mine(blocks, timestamp=timestamp)
    return "0x0"


@method(
    "anvil_mine",
    optional(params.quantity, 1),
    optional(params.quantity, None),
    aliases=("hardhat_mine",),
)
def anvil_mine(ctx: Context, blocks: int, interval: int | None) -> None:
    ctx.chain.mine(blocks, interval=interval)


# -- mining mode -------------------------------------------------------------------------


@method("evm_setAutomine", params.boolean, aliases=("anvil_setAutomine",))
def evm_setAutomine(ctx: Context, enabled: bool) -> None:
    ctx.chain.set_automine(enabled)


@method("anvil_getAutomine", aliases=("hardhat_getAutomine",))
def anvil_getAutomine(ctx: Context) -> bool:
    return ctx.chain.automine


@method("evm_setIntervalMining", params.uint64)
def evm_setIntervalMining(ctx: Context, milliseconds: int) -> None:
    """hardhat's form: milliseconds, 0 turns interval mining off."""
    ctx.chain.set_interval(milliseconds / 1000 if milliseconds else None)


def _seconds(value: Any) -> int:
    # anvil takes a plain JSON number of seconds here; accept a hex quantity too.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return params.uint64(value)


@method("anvil_setIntervalMining", _seconds)
def anvil_setIntervalMining(ctx: Context, seconds: int) -> None:
    ctx.chain.set_interval(float(seconds) if seconds else None)


# -- time --------------------------------------------------------------------------------


@method("evm_increaseTime", _seconds, result=render.hex_quantity, aliases=("anvil_increaseTime",))
def evm_increaseTime(ctx: Context, seconds: int) -> int:
    return ctx.chain.time.increase(seconds)


@method("evm_setNextBlockTimestamp", _seconds, aliases=("anvil_setNextBlockTimestamp",))
def evm_setNextBlockTimestamp(ctx: Context, timestamp: int) -> None:
    ctx.chain.set_next_timestamp(timestamp)


# -- state edits ---------------------------------------------------------------------------


@method("anvil_setBalance", params.address, params.quantity, aliases=("hardhat_setBalance",))
def anvil_setBalance(ctx: Context, address: Address, balance: int) -> None:
    ctx.chain.set_balance(address, balance)


@method("anvil_setNonce", params.address, params.uint64, aliases=("hardhat_setNonce",))
def anvil_setNonce(ctx: Context, address: Address, nonce: int) -> None:
    ctx.chain.set_nonce(address, nonce)


@method("anvil_setCode", params.address, params.data, aliases=("hardhat_setCode",))
def anvil_setCode(ctx: Context, address: Address, code: bytes) -> None:
    ctx.chain.set_code(address, code)


@method(
    "anvil_setStorageAt",
    params.address,
    params.storage_key,
    params.hash32,
    aliases=("hardhat_setStorageAt",),
)
def anvil_setStorageAt(ctx: Context, address: Address, slot: int, value: Hash32) -> bool:
    ctx.chain.set_storage(address, slot, int.from_bytes(value, "big"))
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
