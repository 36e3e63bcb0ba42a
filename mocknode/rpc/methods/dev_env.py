"""The block environment's cheats: chain id, coinbase, gas limit, fees, prevRandao, and
the clock (``anvil_setTime``, the timestamp interval).

Settings that last (chain id, coinbase, gas limit) change the chain's config; the next
block's base fee and prevRandao are one-shot, spent by the next block mined; the
timestamp interval lasts until removed (:mod:`mocknode.chain.devenv`). Snapshots take all
of them, so ``evm_revert`` (and the pytest plugin's per-test revert) undoes them.

Where anvil and Hardhat disagree these answer as anvil: ``evm_setBlockGasLimit`` is
anvil's alias of ``anvil_setBlockGasLimit``, answering ``true``; ``anvil_setTime``
takes seconds, or milliseconds past 10^12 (anvil's rule for ganache's millisecond
form), and answers the seconds it moved the clock forward. ``anvil_setMinGasPrice`` is
refused as anvil and Hardhat refuse it once EIP-1559 is active, which it always is
here (Prague).
"""

from __future__ import annotations

from mocknode.rpc import params
from mocknode.rpc.context import Context
from mocknode.rpc.errors import INVALID_PARAMS, RpcError
from mocknode.rpc.methods.dev_params import number, number64
from mocknode.rpc.registry import method
from mocknode.types import Address, Hash32

_MAX_U64 = 2**64 - 1


@method("anvil_setChainId", number64)
def anvil_setChainId(ctx: Context, chain_id: int) -> None:
    """Later transactions must carry this chain id, and CHAINID reads it; mined blocks
    and their transactions keep theirs."""
    if chain_id == 0:
        raise RpcError(INVALID_PARAMS, "chain id must be positive")
    ctx.chain.configure(chain_id=chain_id)


@method("anvil_setCoinbase", params.address, aliases=("hardhat_setCoinbase",))
def anvil_setCoinbase(ctx: Context, address: Address) -> None:
    ctx.chain.configure(coinbase=address)


@method("anvil_setBlockGasLimit", number, aliases=("evm_setBlockGasLimit",))
def anvil_setBlockGasLimit(ctx: Context, gas_limit: int) -> bool:
    """The gas limit of the blocks mined from now on (the pool checks against it too)."""
    ctx.chain.configure(gas_limit=min(gas_limit, _MAX_U64))
    return True


@method("anvil_setMinGasPrice", number, aliases=("hardhat_setMinGasPrice",))
def anvil_setMinGasPrice(ctx: Context, price: int) -> None:
    raise RpcError(INVALID_PARAMS, "anvil_setMinGasPrice is not supported when EIP-1559 is active")


@method(
    "anvil_setNextBlockBaseFeePerGas",
    number,
    aliases=("hardhat_setNextBlockBaseFeePerGas",),
)
def anvil_setNextBlockBaseFeePerGas(ctx: Context, base_fee: int) -> None:
    """The next block's base fee; the blocks after it follow EIP-1559 from it. Until it is
    mined, the pool admits, and eth_gasPrice and eth_sendTransaction price, against it."""
    ctx.chain.set_dev_env(next_base_fee=min(base_fee, _MAX_U64))


@method("anvil_setNextBlockPrevRandao", params.hash32, aliases=("hardhat_setPrevRandao",))
def anvil_setNextBlockPrevRandao(ctx: Context, prev_randao: Hash32) -> None:
    """The next block's prevRandao (its mixHash, and PREVRANDAO in it); later blocks
    derive theirs again."""
    ctx.chain.set_dev_env(next_prev_randao=prev_randao)


@method("anvil_setTime", number64, aliases=("evm_setTime",))
def anvil_setTime(ctx: Context, timestamp: int) -> int:
    """The clock reads ``timestamp`` (seconds; milliseconds past 10^12) from now on;
    answers how many seconds that moved it forward, 0 when back."""
    if timestamp > 10**12:
        timestamp //= 1000
    return ctx.chain.set_time(timestamp)


@method("anvil_setBlockTimestampInterval", number64)
def anvil_setBlockTimestampInterval(ctx: Context, seconds: int) -> None:
    """Each block from now on is ``seconds`` after its parent, whatever the clock says
    (evm_increaseTime does not move them meanwhile, as in anvil)."""
    ctx.chain.set_dev_env(timestamp_interval=seconds)


@method("anvil_removeBlockTimestampInterval")
def anvil_removeBlockTimestampInterval(ctx: Context) -> bool:
    """Back to the clock; whether an interval was set."""
    had = ctx.chain.dev_env.timestamp_interval is not None
    ctx.chain.set_dev_env(timestamp_interval=None)
    return had
