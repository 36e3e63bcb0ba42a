"""Sending transactions and executing calls.

eth_call and eth_estimateGas take geth's third and fourth arguments, state and block
overrides (:mod:`mocknode.rpc.params_overrides`); without them the call takes the plain
path, unchanged."""

from __future__ import annotations

from mocknode.chain.args import TxArgs
from mocknode.chain.evm.overrides import BlockOverrides, StateOverride
from mocknode.rpc import params, params_overrides, render
from mocknode.rpc.context import Context
from mocknode.rpc.registry import method, optional
from mocknode.types import LATEST, BlockRef, Hash32


@method("eth_sendTransaction", params.tx_args, result=render.hex_data)
def eth_sendTransaction(ctx: Context, args: TxArgs) -> Hash32:
    return ctx.chain.send_transaction(args)


@method("eth_sendRawTransaction", params.data, result=render.hex_data)
def eth_sendRawTransaction(ctx: Context, raw: bytes) -> Hash32:
    return ctx.chain.send_raw_transaction(raw)


@method(
    "eth_call",
    params.call_args,
    optional(params.block_ref, LATEST),
    optional(params_overrides.state_override, ()),
    optional(params_overrides.block_overrides),
    result=render.hex_data,
)
def eth_call(
    ctx: Context,
    args: TxArgs,
    block: BlockRef,
    state: StateOverride,
    block_overrides: BlockOverrides | None,
) -> bytes:
    return ctx.chain.call(args, block, params_overrides.call_overrides(state, block_overrides))


@method(
    "eth_estimateGas",
    params.call_args,
    optional(params.block_ref, LATEST),
    optional(params_overrides.state_override, ()),
    optional(params_overrides.block_overrides),
    result=render.hex_quantity,
)
def eth_estimateGas(
    ctx: Context,
    args: TxArgs,
    block: BlockRef,
    state: StateOverride,
    block_overrides: BlockOverrides | None,
) -> int:
    overrides = params_overrides.call_overrides(state, block_overrides)
    return ctx.chain.estimate_gas(args, block, overrides)
