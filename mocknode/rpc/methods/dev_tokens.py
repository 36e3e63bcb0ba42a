"""ERC-20 cheats: ``anvil_dealERC20`` (``hardhat_dealERC20``, ``anvil_setERC20Balance``)
and ``anvil_setERC20Allowance``.

The slot is found as anvil finds it, by watching which storage slot ``balanceOf`` or
``allowance`` reads (:mod:`mocknode.chain.tokens`), then written like
``anvil_setStorageAt``, and the call is made once more to check it now answers the
value. When no slot works, the error is anvil's: -32603 ``Unable to set ERC20 balance,
no slot found`` (``allowance`` for the other).
"""

from __future__ import annotations

from mocknode.chain import tokens
from mocknode.chain.args import TxArgs
from mocknode.chain.chain import Chain
from mocknode.chain.errors import ExecutionFailed
from mocknode.rpc import params
from mocknode.rpc.context import Context
from mocknode.rpc.errors import INTERNAL_ERROR, RpcError
from mocknode.rpc.methods.dev_params import number
from mocknode.rpc.registry import method
from mocknode.types import LATEST, Address


def _write(chain: Chain, token: Address, calldata: bytes, value: int, what: str) -> None:
    failure = RpcError(INTERNAL_ERROR, f"Unable to set ERC20 {what}, no slot found")
    env = chain.call_env(chain.head)
    slot = tokens.find_slot(chain.state, env, token, calldata, value)
    if slot is None:
        raise failure
    before = chain.storage(token, slot, LATEST)
    chain.set_storage(token, slot, value)
    try:
        answer = chain.call(TxArgs(to=token, data=calldata), LATEST)
    except ExecutionFailed:
        answer = b""
    if int.from_bytes(answer, "big") != value or len(answer) != 32:
        chain.set_storage(token, slot, before)
        raise failure


@method(
    "anvil_dealERC20",
    params.address,
    params.address,
    number,
    aliases=("hardhat_dealERC20", "anvil_setERC20Balance"),
)
def anvil_dealERC20(ctx: Context, holder: Address, token: Address, balance: int) -> None:
    """``holder``'s balance of ``token`` becomes ``balance`` (the total supply is left
    as it is, as anvil leaves it)."""
    _write(ctx.chain, token, tokens.balance_of(holder), balance, "balance")


@method("anvil_setERC20Allowance", params.address, params.address, params.address, number)
def anvil_setERC20Allowance(
    ctx: Context, owner: Address, spender: Address, token: Address, amount: int
) -> None:
    _write(ctx.chain, token, tokens.allowance(owner, spender), amount, "allowance")
