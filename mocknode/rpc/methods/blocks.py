"""Blocks, transactions and receipts by number, hash and index."""

from __future__ import annotations

from typing import Any

from mocknode.chain.errors import BlockNotFound
from mocknode.chain.records import Block, TxLocation
from mocknode.rpc import params, render
from mocknode.rpc.context import Context
from mocknode.rpc.jsonrpc import RawJson
from mocknode.rpc.registry import method
from mocknode.types import BlockRef, Hash32


def _block_or_none(ctx: Context, ref: BlockRef) -> Block | None:
    try:
        return ctx.chain.resolve(ref)
    except BlockNotFound:
        return None


@method("eth_getBlockByNumber", params.block_number, params.boolean)
def eth_getBlockByNumber(ctx: Context, ref: BlockRef, full: bool) -> RawJson | None:
    block = _block_or_none(ctx, ref)
    if block is None:
        return None
    if ref.tag == "pending":
        return render.pending_block_text(block, full)
    return render.block_text(block, full)


@method("eth_getBlockByHash", params.hash32, params.boolean)
def eth_getBlockByHash(ctx: Context, block_hash: Hash32, full: bool) -> RawJson | None:
    block = ctx.chain.block_by_hash(block_hash)
    return None if block is None else render.block_text(block, full)


@method("eth_getBlockTransactionCountByNumber", params.block_number)
def eth_getBlockTransactionCountByNumber(ctx: Context, ref: BlockRef) -> str | None:
    block = _block_or_none(ctx, ref)
    return None if block is None else render.hex_quantity(len(block.transactions))


@method("eth_getBlockTransactionCountByHash", params.hash32)
def eth_getBlockTransactionCountByHash(ctx: Context, block_hash: Hash32) -> str | None:
    block = ctx.chain.block_by_hash(block_hash)
    return None if block is None else render.hex_quantity(len(block.transactions))


@method("eth_getUncleCountByBlockNumber", params.block_number)
def eth_getUncleCountByBlockNumber(ctx: Context, ref: BlockRef) -> str | None:
    return None if _block_or_none(ctx, ref) is None else "0x0"


@method("eth_getUncleCountByBlockHash", params.hash32)
def eth_getUncleCountByBlockHash(ctx: Context, block_hash: Hash32) -> str | None:
    return None if ctx.chain.block_by_hash(block_hash) is None else "0x0"


@method("eth_getTransactionByHash", params.hash32)
def eth_getTransactionByHash(ctx: Context, tx_hash: Hash32) -> dict[str, Any] | None:
    found = ctx.chain.transaction(tx_hash)
    if found is None:
        return None
    if isinstance(found, TxLocation):
        block = found.block
        return render.tx_json(found.tx, block, found.index, block.header.base_fee_per_gas)
    return render.tx_json(found, None, None, None)


def _tx_in_block(block: Block | None, index: int) -> dict[str, Any] | None:
    if block is None or not 0 <= index < len(block.transactions):
        return None
    return render.tx_json(block.transactions[index], block, index, block.header.base_fee_per_gas)


@method("eth_getTransactionByBlockHashAndIndex", params.hash32, params.uint)
def eth_getTransactionByBlockHashAndIndex(
    ctx: Context, block_hash: Hash32, index: int
) -> dict[str, Any] | None:
    return _tx_in_block(ctx.chain.block_by_hash(block_hash), index)


@method("eth_getTransactionByBlockNumberAndIndex", params.block_number, params.uint)
def eth_getTransactionByBlockNumberAndIndex(
    ctx: Context, ref: BlockRef, index: int
) -> dict[str, Any] | None:
    return _tx_in_block(_block_or_none(ctx, ref), index)


@method("eth_getRawTransactionByHash", params.hash32)
def eth_getRawTransactionByHash(ctx: Context, tx_hash: Hash32) -> str:
    """geth answers ``"0x"``, not null, for a hash it does not know (its result is a
    hexutil.Bytes value, whose nil encodes as ``"0x"``)."""
    found = ctx.chain.transaction(tx_hash)
    if found is None:
        return "0x"
    tx = found.tx if isinstance(found, TxLocation) else found
    return render.hex_data(tx.raw)


@method("eth_getTransactionReceipt", params.hash32)
def eth_getTransactionReceipt(ctx: Context, tx_hash: Hash32) -> RawJson | None:
    location = ctx.chain.receipt(tx_hash)
    return None if location is None else render.receipt_text(location)


@method("eth_getBlockReceipts", params.block_ref)
def eth_getBlockReceipts(ctx: Context, ref: BlockRef) -> list[dict[str, Any]] | None:
    block = _block_or_none(ctx, ref)
    if block is None:
        return None
    return [render.receipt_json(TxLocation(block, i)) for i in range(len(block.transactions))]
