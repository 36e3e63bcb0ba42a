"""The remaining block, header, transaction and account reads.

* ``eth_getRawTransactionByBlock{Hash,Number}AndIndex``: the transaction's bytes; geth
  answers ``"0x"`` (not null) for a block or index that names none, a side effect of its
  result type every geth release so far has kept.
* ``eth_getUncleByBlock{Hash,Number}AndIndex``: a post-merge block has no uncles, so
  null (after the arguments decode as geth's do).
* ``eth_getHeaderBy{Number,Hash}``: RPCMarshalHeader, the pending one with ``hash``,
  ``nonce`` and ``miner`` null as geth shows it.
* ``eth_getAccount`` and ``eth_getTransactionBySenderAndNonce`` are not geth's (geth has
  neither); they answer as anvil does: the account's trie leaf (an absent account is
  the empty one, not null), and a pooled or mined transaction or null.
"""

from __future__ import annotations

from typing import Any

from mocknode.chain.errors import BlockNotFound
from mocknode.chain.primitives.hashing import EMPTY_CODE_HASH
from mocknode.chain.records import Block
from mocknode.chain.tx.lookup import find_by_sender_and_nonce
from mocknode.rpc import params, render
from mocknode.rpc.context import Context
from mocknode.rpc.jsonrpc import RawJson
from mocknode.rpc.registry import method, optional
from mocknode.types import LATEST, Address, BlockRef, Hash32


def _block(ctx: Context, ref: BlockRef) -> Block | None:
    try:
        return ctx.chain.resolve(ref)
    except BlockNotFound:
        return None


def _raw_at(block: Block | None, index: int) -> str:
    if block is None or index >= len(block.transactions):
        return "0x"
    return "0x" + block.transactions[index].raw.hex()


@method("eth_getRawTransactionByBlockHashAndIndex", params.hash32, params.uint)
def eth_getRawTransactionByBlockHashAndIndex(ctx: Context, block_hash: Hash32, index: int) -> str:
    return _raw_at(ctx.chain.block_by_hash(block_hash), index)


@method("eth_getRawTransactionByBlockNumberAndIndex", params.block_number, params.uint)
def eth_getRawTransactionByBlockNumberAndIndex(ctx: Context, ref: BlockRef, index: int) -> str:
    return _raw_at(_block(ctx, ref), index)


@method("eth_getUncleByBlockHashAndIndex", params.hash32, params.uint)
def eth_getUncleByBlockHashAndIndex(ctx: Context, block_hash: Hash32, index: int) -> None:
    return None


@method("eth_getUncleByBlockNumberAndIndex", params.block_number, params.uint)
def eth_getUncleByBlockNumberAndIndex(ctx: Context, ref: BlockRef, index: int) -> None:
    return None


@method("eth_getHeaderByNumber", params.block_number)
def eth_getHeaderByNumber(ctx: Context, ref: BlockRef) -> RawJson | dict[str, Any] | None:
    block = _block(ctx, ref)
    if block is None:
        return None
    if ref.tag == "pending":
        return render.pending_header_json(block)
    return render.header_text(block)


@method("eth_getHeaderByHash", params.hash32)
def eth_getHeaderByHash(ctx: Context, block_hash: Hash32) -> RawJson | None:
    block = ctx.chain.block_by_hash(block_hash)
    return None if block is None else render.header_text(block)


@method("eth_getAccount", params.address, optional(params.block_ref, LATEST))
def eth_getAccount(ctx: Context, address: Address, ref: BlockRef) -> dict[str, str]:
    """anvil's eth_getAccount: nonce, balance, code hash and storage root at a block. An
    absent account is the empty one, with the empty code's hash (eth_getProof, as geth,
    gives it a zero code hash)."""
    proof = ctx.chain.proof(address, [], ref)
    code_hash = proof.code_hash if any(proof.code_hash) else EMPTY_CODE_HASH
    return render.account_json(code_hash, proof.storage_hash, proof.balance, proof.nonce)


@method("eth_getTransactionBySenderAndNonce", params.address, params.quantity)
def eth_getTransactionBySenderAndNonce(
    ctx: Context, sender: Address, nonce: int
) -> dict[str, Any] | None:
    """anvil's: the pool first, then the mined blocks."""
    chain = ctx.chain
    pooled = chain.pool.existing(sender, nonce)
    if pooled is not None:
        return render.tx_json(pooled, None, None, None)
    found = find_by_sender_and_nonce(chain.blocks, chain.state_at, sender, nonce)
    if found is None:
        return None
    return render.tx_json(found.tx, found.block, found.index, found.block.header.base_fee_per_gas)
