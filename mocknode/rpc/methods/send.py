"""Sending transactions and executing calls."""

from __future__ import annotations

from mocknode.chain.args import TxArgs
from mocknode.rpc import params, render
from mocknode.rpc.context import Context
from mocknode.rpc.registry import method, optional
from mocknode.types import LATEST, BlockRef, Hash32


@method("eth_sendTransaction", params.tx_args, result=render.hex_data)
def eth_sendTransaction(ctx: Context, args: TxArgs) -> Hash32:
    return ctx.chain.send_transaction(args)


@method("eth_sendRawTransaction", params.data, result=render.hex_data)
def eth_sendRawTransaction(ctx: Context, raw: bytes) -> Hash32:
    return ctx.chain.send_raw_transaction(raw)


@method("eth_call", params.call_args, optional(params.block_ref, LATEST), result=render.hex_data)
def eth_call(ctx: Context, args: TxArgs, block: BlockRef) -> bytes:
    return ctx.chain.call(args, block)


@method(
    "eth_estimateGas",
    params.call_args,
    optional(params.block_ref, LATEST),
    result=render.hex_quantity,
)
def eth_estimateGas(ctx: Context, args: TxArgs, block: BlockRef) -> int:
    return ctx.chain.estimate_gas(args, block)
