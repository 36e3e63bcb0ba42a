"""Account state reads at any block: balance, nonce, code, storage."""

from __future__ import annotations

from typing import Any

from mocknode.rpc import params, scalars
from mocknode.rpc.context import Context
from mocknode.rpc.registry import method
from mocknode.types import Address, BlockRef


@method("eth_blockNumber", result=scalars.hex_quantity)
def eth_blockNumber(ctx: Context) -> int:
    return ctx.chain.head.number


@method("eth_getBalance", params.address, params.block_ref, result=scalars.hex_quantity)
def eth_getBalance(ctx: Context, address: Address, block: BlockRef) -> int:
    return ctx.chain.balance(address, block)


@method("eth_getTransactionCount", params.address, params.block_ref, result=scalars.hex_quantity)
def eth_getTransactionCount(ctx: Context, address: Address, block: BlockRef) -> int:
    return ctx.chain.nonce(address, block)


@method("eth_getCode", params.address, params.block_ref, result=scalars.hex_data)
def eth_getCode(ctx: Context, address: Address, block: BlockRef) -> bytes:
    return ctx.chain.code(address, block)


@method(
    "eth_getStorageAt",
    params.address,
    params.storage_text,
    params.block_ref,
    result=scalars.hex_word,
)
def eth_getStorageAt(ctx: Context, address: Address, key: str, block: BlockRef) -> int:
    ctx.chain.resolve(block)  # geth finds the block's state before it reads the key
    return ctx.chain.storage(address, params.storage_slot(key), block)


@method("eth_getProof", params.address, params.storage_keys, params.block_ref)
def eth_getProof(
    ctx: Context, address: Address, keys: list[params.StorageKey], block: BlockRef
) -> dict[str, Any]:
    from mocknode.rpc import render  # the rest of state's methods answer without it

    proof = ctx.chain.proof(address, [key.slot for key in keys], block)
    return render.proof_json(proof, [key.width for key in keys])
