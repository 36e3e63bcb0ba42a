"""Reorgs over JSON-RPC: anvil's ``anvil_reorg`` and ``anvil_rollback``, and ``mock_reorg``.

``anvil_reorg(depth, [[tx, blockOffset], ...])`` replaces the top ``depth`` blocks with
as many new ones holding the given transactions: ``tx`` is a signed transaction (hex)
or a transaction request (quantities as hex or, as anvil allows, JSON numbers), filled
and signed as ``eth_sendTransaction`` would on top of the common block (``from``
defaults to the first dev account, as in anvil; each sender's
nonces count on from its nonce at the common block, in block-offset order; gas is
estimated on the common block, the block gas limit when that fails). ``anvil_rollback``
removes blocks and mines none. Depths and offsets are JSON numbers (anvil's form) or
hex quantities.

``mock_reorg({depth, blocks, reinclude, drop, transactions, seed})`` is the native form:
``blocks`` new blocks (``depth`` by default), the orphaned transactions re-included as
``reinclude`` says (``"none"``, ``"same"``, ``"reverse"``, ``"shuffle"`` with ``seed``),
``drop`` a list of orphaned transaction hashes or ``"all"``, ``transactions`` as in
``anvil_reorg``. It answers what happened: the removed and added block hashes, and the
transactions now pooled, dropped, or discarded (no longer valid).

Where orphans go, and what subscriptions and filters see, is the chain's
(:meth:`mocknode.chain.chain.Chain.reorg`): by default back to the pool, where anvil
forgets them; ``removed: true`` logs first, in geth's order, then the new branch.
Arguments that do not fit the chain (too deep, an offset past the new branch, an
unknown hash to drop) are -32602, as anvil answers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from mocknode.chain.args import TxArgs
from mocknode.chain.chain import Chain
from mocknode.chain.errors import InvalidRequest, TxRejected
from mocknode.chain.records import Block, Tx
from mocknode.chain.reorg import (
    REINCLUDE_MODES,
    Reinclude,
    ReorgOutcome,
    check_depth,
    check_offsets,
)
from mocknode.chain.tx import codec as txcodec
from mocknode.rpc import params, render
from mocknode.rpc.context import Context
from mocknode.rpc.errors import INVALID_PARAMS, RpcError
from mocknode.rpc.params import ParamError
from mocknode.rpc.registry import method, optional
from mocknode.types import BlockRef, Hash32
from mocknode.values import replace

Pair = tuple[bytes | TxArgs, int]  # a signed transaction or a request, and its offset


def count(value: Any) -> int:
    """A non-negative count: a JSON number (anvil's form) or a hex quantity."""
    if type(value) is int and value >= 0:
        return value
    return params.uint64(value)


# Members of a transaction request that anvil (alloy) also reads from JSON numbers.
_NUMERIC = ("value", "gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "nonce", "chainId")


def request(value: dict[str, Any]) -> TxArgs:
    """A transaction request as anvil reads it: geth's TransactionArgs, where the
    quantities may also be JSON numbers (anvil's own examples send ``"value": 100``)."""
    lenient = {
        key: hex(item) if key in _NUMERIC and type(item) is int and item >= 0 else item
        for key, item in value.items()
    }
    return params.tx_args(lenient)


def pairs(value: Any) -> tuple[Pair, ...]:
    """``[[tx, blockOffset], ...]``: ``tx`` a signed transaction as hex, or an object."""
    if type(value) is not list:
        raise ParamError("expected a list of [transaction, blockOffset] pairs")
    decoded: list[Pair] = []
    for item in value:
        if type(item) is not list or len(item) != 2:
            raise ParamError("expected a list of [transaction, blockOffset] pairs")
        tx, offset = item
        if type(tx) is str:
            decoded.append((params.data(tx), count(offset)))
        elif type(tx) is dict:
            decoded.append((request(tx), count(offset)))
        else:
            raise ParamError("a reorg transaction is signed hex or a transaction object")
    return tuple(decoded)


def _invalid(exc: InvalidRequest) -> RpcError:
    return RpcError(INVALID_PARAMS, exc.message)


def transactions(chain: Chain, common: Block, given: Sequence[Pair]) -> list[tuple[Tx, int]]:
    """The signed transactions ``given`` names, as anvil builds them on ``common``."""
    out: list[tuple[Tx, int]] = []
    nonces: dict[bytes, int] = {}
    for tx, offset in sorted(given, key=lambda pair: pair[1]):
        if isinstance(tx, bytes):
            try:
                out.append((txcodec.decode(tx), offset))
            except txcodec.TxDecodeError as exc:
                raise TxRejected(str(exc)) from None
            continue
        sender = tx.sender if tx.sender is not None else chain.accounts[0].address
        nonce = nonces.get(sender)
        if nonce is None:
            nonce = chain.nonce(sender, BlockRef(number=common.number))
        signed = chain.request_transaction(
            replace(tx, sender=sender), common, nonce=nonce, fallback_gas=True
        )
        nonces[sender] = nonce + 1
        out.append((signed, offset))
    return out


def _reorg(
    chain: Chain,
    depth: int,
    given: Sequence[Pair],
    *,
    blocks: int | None = None,
    reinclude: Reinclude = "none",
    drop: Sequence[Hash32] | Literal["all"] = (),
    seed: int = 0,
) -> ReorgOutcome:
    try:
        check_depth(depth, chain.head.number)
        check_offsets((offset for _, offset in given), depth if blocks is None else blocks)
        common = chain.blocks[chain.head.number - depth]
        signed = transactions(chain, common, given)
        return chain.reorg(
            depth, blocks=blocks, transactions=signed, reinclude=reinclude, drop=drop, seed=seed
        )
    except InvalidRequest as exc:
        raise _invalid(exc) from None


@method("anvil_reorg", count, optional(pairs, ()))
def anvil_reorg(ctx: Context, depth: int, given: tuple[Pair, ...]) -> None:
    _reorg(ctx.chain, depth, given)


@method("anvil_rollback", optional(count, 1))
def anvil_rollback(ctx: Context, depth: int) -> None:
    try:
        ctx.chain.rollback(depth)
    except InvalidRequest as exc:
        raise _invalid(exc) from None


# -- mock_reorg ----------------------------------------------------------------------------


def _reinclude(value: Any) -> Reinclude:
    for mode in REINCLUDE_MODES:
        if value == mode:
            return mode
    raise ParamError(f"reinclude: one of {', '.join(REINCLUDE_MODES)}")


def _drop(value: Any) -> tuple[Hash32, ...] | Literal["all"]:
    if value == "all":
        return "all"
    if type(value) is not list:
        raise ParamError('drop: a list of transaction hashes, or "all"')
    return tuple(params.hash32(item) for item in value)


_OPTIONS: dict[str, Any] = {
    "depth": count,
    "blocks": count,
    "reinclude": _reinclude,
    "drop": _drop,
    "transactions": pairs,
    "seed": count,
}


def reorg_options(value: Any) -> dict[str, Any]:
    """mock_reorg's options object, each member decoded; unknown members are refused
    (a misspelt option would otherwise reorg differently than asked)."""
    if type(value) is not dict:
        raise ParamError("expected an object with a depth")
    options = {}
    for key, item in value.items():
        decode = _OPTIONS.get(key)
        if decode is None:
            raise ParamError(f"unknown reorg option {key!r}: one of {', '.join(_OPTIONS)}")
        if item is not None:
            options[key] = decode(item)
    if "depth" not in options:
        raise ParamError("depth is required")
    return options


def outcome_json(outcome: ReorgOutcome) -> dict[str, list[str]]:
    return {
        "removed": [render.hex_data(block.hash) for block in outcome.removed],
        "added": [render.hex_data(block.hash) for block in outcome.added],
        "pooled": [render.hex_data(tx.hash) for tx in outcome.pooled],
        "dropped": [render.hex_data(tx.hash) for tx in outcome.dropped],
        "discarded": [render.hex_data(tx.hash) for tx in outcome.discarded],
    }


@method("mock_reorg", reorg_options, result=outcome_json)
def mock_reorg(ctx: Context, options: dict[str, Any]) -> ReorgOutcome:
    return _reorg(
        ctx.chain,
        options["depth"],
        options.get("transactions", ()),
        blocks=options.get("blocks"),
        reinclude=options.get("reinclude", "none"),
        drop=options.get("drop", ()),
        seed=options.get("seed", 0),
    )
