"""Account state reads at any block: balance, nonce, code, storage."""

from __future__ import annotations

from mocknode.chain.state.proofs import AccountProof
from mocknode.rpc import codec
from mocknode.rpc.context import Context
from mocknode.rpc.registry import method
from mocknode.types import Address, BlockRef


@method("eth_blockNumber", result=codec.hex_quantity)
def eth_blockNumber(ctx: Context) -> int:
    return ctx.chain.head.number


@method("eth_getBalance", codec.address, codec.block_ref, result=codec.hex_quantity)
def eth_getBalance(ctx: Context, address: Address, block: BlockRef) -> int:
    return ctx.chain.balance(address, block)


@method("eth_getTransactionCount", codec.address, codec.block_ref, result=codec.hex_quantity)
def eth_getTransactionCount(ctx: Context, address: Address, block: BlockRef) -> int:
    return ctx.chain.nonce(address, block)


@method("eth_getCode", codec.address, codec.block_ref, result=codec.hex_data)
def eth_getCode(ctx: Context, address: Address, block: BlockRef) -> bytes:
    return ctx.chain.code(address, block)


@method(
    "eth_getStorageAt", codec.address, codec.storage_key, codec.block_ref, result=codec.hex_word
)
def eth_getStorageAt(ctx: Context, address: Address, slot: int, block: BlockRef) -> int:
    return ctx.chain.storage(address, slot, block)


@method("eth_getProof", codec.address, codec.storage_keys, codec.block_ref, result=codec.proof_json)
def eth_getProof(ctx: Context, address: Address, slots: list[int], block: BlockRef) -> AccountProof:
    return ctx.chain.proof(address, slots, block)
